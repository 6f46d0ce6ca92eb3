"""Per-unit pricing: quantity × unit price. Linear before rounding. Never rounds."""

from __future__ import annotations

from decimal import Decimal

from tally.catalog.model import PerUnitPrice
from tally.rating.models.base import Rated, fmt, step


def rate_per_unit(quantity: Decimal, price: PerUnitPrice) -> Rated:
    amount = quantity * price.unit_price
    return Rated(amount=amount, explanation=(
        step(f"{fmt(quantity)} units at {fmt(price.unit_price)} per unit", quantity=quantity,
             unit_price=price.unit_price, amount=amount),))
