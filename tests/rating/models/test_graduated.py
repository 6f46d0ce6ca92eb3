from decimal import Decimal

import pytest

from tally.rating.pricing import price_quantity
from tests.rating.models.helpers import TIERS, amount_of, p


@pytest.mark.parametrize(("quantity", "rounding", "amount"), [
    ("12345", "half_even", "103.72"),  # 0 + 9000 × 0.01 + 2345 × 0.005 + 2.00 = 103.725
    ("12345", "half_up", "103.73"),
    ("1000", "half_even", "0.00"),
    ("1001", "half_even", "0.01"),
])
def test_graduated(quantity: str, rounding: str, amount: str) -> None:
    assert amount_of(p(model="graduated", tiers=TIERS, rounding=rounding), quantity) == amount


def test_graduated_explanation_is_readable() -> None:
    priced = price_quantity(p(model="graduated", tiers=TIERS), Decimal(12345))
    assert [s.description for s in priced.explanation] == [
        "tier 1 (over 0 up to 1000): 1000 units at 0",
        "tier 2 (over 1000 up to 10000): 9000 units at 0.01",
        "tier 3 (over 10000): 2345 units at 0.005",
        "tier 3 flat fee",
        "rounded 103.725 to 103.72 USD (half_even)",
    ]
