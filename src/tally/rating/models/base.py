"""What a pricing model returns, and the steps shared by all of them (allowance, minimum, maximum).

Never rounds money: `rating.pricing.price_quantity` rounds once per line via money.round_to_minor.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tally.rating.model import RatingStep

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rated:
    """An unrounded amount and the readable steps that add up to it."""

    amount: Decimal
    explanation: tuple[RatingStep, ...]


def step(description: str, *, quantity: Decimal, unit_price: Decimal, amount: Decimal) -> RatingStep:
    return RatingStep(description=description, quantity=quantity, unit_price=unit_price, amount=amount)


def fmt(value: Decimal) -> str:
    """A decimal for an explanation: exact, no exponent, no trailing zeros beyond what was written."""
    return f"{value:f}"
