import pytest

from tests.rating.models.helpers import amount_of, p

PACKAGE = p(model="package", package={"size": 1000, "price": "5.00"})


@pytest.mark.parametrize(("quantity", "amount"), [("2001", "15.00"), ("2000", "10.00"), ("1", "5.00"), ("0", "0.00")])
def test_every_started_package_counts(quantity: str, amount: str) -> None:
    assert amount_of(PACKAGE, quantity) == amount


def test_package_after_an_allowance() -> None:
    assert amount_of(p(model="package", package={"size": 1000, "price": "0.40"}, included=10000), "25001") == "6.40"
