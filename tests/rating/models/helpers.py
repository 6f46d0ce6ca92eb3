"""Shared helpers for the pricing model tests: a price in the real syntax, priced and checked."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tally.catalog.prices import parse_price
from tally.rating.pricing import price_quantity


def p(**kw: Any) -> Any:
    return parse_price({"currency": "USD", **kw})


def amount_of(price: Any, quantity: str) -> str:
    """The rounded amount; also checks that the explanation adds up to it."""
    priced = price_quantity(price, Decimal(quantity))
    assert sum((s.amount for s in priced.explanation), Decimal(0)) == priced.amount.amount
    return priced.amount.text()


TIERS = [{"up_to": 1000, "unit_price": "0", "flat_price": "0"},
         {"up_to": 10000, "unit_price": "0.01"},
         {"up_to": None, "unit_price": "0.005", "flat_price": "2.00"}]
