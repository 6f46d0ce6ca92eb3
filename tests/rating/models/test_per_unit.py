import pytest

from tests.rating.models.helpers import amount_of, p


@pytest.mark.parametrize(("price", "quantity", "amount"), [
    (p(model="per_unit", unit_price="0.10"), "12.345", "1.23"),  # 1.2345 → 1.23
    (p(model="per_unit", unit_price="0.000000123456"), "1000000", "0.12"),  # 12 decimal places
    (p(model="per_unit", unit_price="0.10", included="100"), "150", "5.00"),  # first 100 free
    (p(model="per_unit", unit_price="0.10", included="100"), "40", "0.00"),
    (p(model="per_unit", unit_price="0.10", minimum="5.00"), "3", "5.00"),  # per-charge minimum
    (p(model="per_unit", unit_price="0.10", maximum="50.00"), "1000", "50.00"),  # per-charge maximum
])
def test_per_unit(price: object, quantity: str, amount: str) -> None:
    assert amount_of(price, quantity) == amount
