import pytest

from tests.rating.models.helpers import TIERS, amount_of, p


@pytest.mark.parametrize(("quantity", "amount"), [
    ("12345", "63.72"),  # all 12345 in tier 3: 61.725 + 2.00 flat = 63.725 → 63.72
    ("5000", "50.00"),   # all 5000 in tier 2 at 0.01
    ("1000", "0.00"),    # the bound is inclusive: tier 1
    ("0", "0.00"),
])
def test_volume(quantity: str, amount: str) -> None:
    assert amount_of(p(model="volume", tiers=TIERS), quantity) == amount
