import pytest

from tests.rating.models.helpers import amount_of, p


@pytest.mark.parametrize(("price", "share", "amount"), [
    (p(model="flat", amount="49.00"), "1", "49.00"),
    (p(model="flat", amount="49.00", timing="in_arrears"), "0.5", "24.50"),
    (p(model="flat", amount="49.00"), "0.3333333333", "16.33"),  # 16.333… → half-even
])
def test_flat_fee_times_the_share_of_the_period(price: object, share: str, amount: str) -> None:
    assert amount_of(price, share) == amount
