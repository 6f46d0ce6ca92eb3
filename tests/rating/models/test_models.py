"""Worked examples for every pricing model: (price, quantity) → (amount, explanation)."""

from __future__ import annotations

from decimal import Decimal as D  # noqa: N817
from typing import Any

import pytest

from tally.catalog.prices import parse_price
from tally.rating.errors import NegativeQuantity, UnknownPricingModel
from tally.rating.models import model_for
from tally.rating.pricing import price_quantity

TIERS = [{"up_to": 1000, "unit_price": "0", "flat_price": "0"},
         {"up_to": 10000, "unit_price": "0.01"},
         {"up_to": None, "unit_price": "0.005", "flat_price": "2.00"}]


def p(**kw: Any) -> Any:
    return parse_price({"currency": "USD", **kw})


@pytest.mark.parametrize(("price", "quantity", "amount"), [
    # flat recurring fee: amount × share of the period
    (p(model="flat", amount="49.00"), "1", "49.00"),
    (p(model="flat", amount="49.00", timing="in_arrears"), "0.5", "24.50"),
    (p(model="flat", amount="49.00"), "0.3333333333", "16.33"),  # 16.333… → half-even
    # per unit
    (p(model="per_unit", unit_price="0.10"), "12.345", "1.23"),  # 1.2345 → 1.23
    (p(model="per_unit", unit_price="0.000000123456"), "1000000", "0.12"),  # 12 decimals
    (p(model="per_unit", unit_price="0.10", included="100"), "150", "5.00"),  # first 100 free
    (p(model="per_unit", unit_price="0.10", included="100"), "40", "0.00"),
    # package: partial blocks round up
    (p(model="package", package={"size": 1000, "price": "5.00"}), "2001", "15.00"),
    (p(model="package", package={"size": 1000, "price": "5.00"}), "2000", "10.00"),
    (p(model="package", package={"size": 1000, "price": "5.00"}), "0", "0.00"),
    # graduated: 1000 free, 9000 × 0.01 = 90, 2345 × 0.005 = 11.725, flat 2 → 103.725 → 103.72
    (p(model="graduated", tiers=TIERS), "12345", "103.72"),
    (p(model="graduated", tiers=TIERS), "1000", "0.00"),
    (p(model="graduated", tiers=TIERS), "1001", "0.01"),
    (p(model="graduated", tiers=TIERS, rounding="half_up"), "12345", "103.73"),
    # volume: 12345 falls in tier 3: 12345 × 0.005 + 2 = 63.725 → 63.72
    (p(model="volume", tiers=TIERS), "12345", "63.72"),
    (p(model="volume", tiers=TIERS), "5000", "50.00"),
    (p(model="volume", tiers=TIERS), "0", "0.00"),
    # minimum and maximum per charge
    (p(model="per_unit", unit_price="0.10", minimum="5.00"), "3", "5.00"),
    (p(model="per_unit", unit_price="0.10", maximum="50.00"), "1000", "50.00"),
])
def test_worked_examples(price: Any, quantity: str, amount: str) -> None:
    priced = price_quantity(price, D(quantity))
    assert priced.amount.text() == amount
    assert sum((s.amount for s in priced.explanation), D(0)) == priced.amount.amount


@pytest.mark.parametrize(("code", "unit_price", "quantity", "rounding", "amount"), [
    ("JPY", "0.5", "5", "half_even", "2"),      # 2.5 → 2 (to even)
    ("JPY", "0.5", "5", "half_up", "3"),        # 2.5 → 3
    ("USD", "0.01", "0.5", "half_even", "0.00"),  # 0.005 → 0.00
    ("USD", "0.01", "1.5", "half_even", "0.02"),  # 0.015 → 0.02
    ("USD", "0.01", "0.5", "half_up", "0.01"),
    ("KWD", "0.0005", "9", "half_even", "0.004"),  # 0.0045 → 0.004
    ("KWD", "0.0005", "9", "half_up", "0.005"),
])
def test_rounding_once_to_the_minor_unit(code: str, unit_price: str, quantity: str, rounding: str,
                                         amount: str) -> None:
    price = parse_price({"model": "per_unit", "currency": code, "unit_price": unit_price, "rounding": rounding})
    assert price_quantity(price, D(quantity)).amount.text() == amount


def test_graduated_explanation_is_readable() -> None:
    priced = price_quantity(p(model="graduated", tiers=TIERS), D(12345))
    assert [s.description for s in priced.explanation] == [
        "tier 1 (over 0 up to 1000): 1000 units at 0",
        "tier 2 (over 1000 up to 10000): 9000 units at 0.01",
        "tier 3 (over 10000): 2345 units at 0.005",
        "tier 3 flat fee",
        "rounded 103.725 to 103.72 USD (half_even)",
    ]


def test_negative_quantity_is_refused() -> None:
    with pytest.raises(NegativeQuantity):
        price_quantity(p(model="per_unit", unit_price="1"), D(-1))


def test_unknown_model_raises() -> None:
    with pytest.raises(UnknownPricingModel):
        model_for(object())  # type: ignore[arg-type]
