"""Pricing one quantity: rounding once to the minor unit, the registry, refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tally.catalog.prices import parse_price
from tally.rating.errors import NegativeQuantity, UnknownPricingModel
from tally.rating.models import model_for
from tally.rating.pricing import price_quantity


@pytest.mark.parametrize(("code", "unit_price", "quantity", "rounding", "amount"), [
    ("JPY", "0.5", "5", "half_even", "2"),      # 2.5 → 2 (to even)
    ("JPY", "0.5", "5", "half_up", "3"),        # 2.5 → 3
    ("JPY", "0.5", "7", "half_even", "4"),      # 3.5 → 4
    ("USD", "0.01", "0.5", "half_even", "0.00"),  # 0.005 → 0.00
    ("USD", "0.01", "1.5", "half_even", "0.02"),  # 0.015 → 0.02
    ("USD", "0.01", "0.5", "half_up", "0.01"),
    ("KWD", "0.0005", "9", "half_even", "0.004"),  # 0.0045 → 0.004
    ("KWD", "0.0005", "9", "half_up", "0.005"),
])
def test_rounding_once_to_the_minor_unit(code: str, unit_price: str, quantity: str, rounding: str,
                                         amount: str) -> None:
    price = parse_price({"model": "per_unit", "currency": code, "unit_price": unit_price, "rounding": rounding})
    assert price_quantity(price, Decimal(quantity)).amount.text() == amount


def test_negative_quantity_is_refused() -> None:
    price = parse_price({"model": "per_unit", "currency": "USD", "unit_price": "1"})
    with pytest.raises(NegativeQuantity):
        price_quantity(price, Decimal(-1))


def test_unknown_model_raises() -> None:
    with pytest.raises(UnknownPricingModel):
        model_for(object())  # type: ignore[arg-type]
