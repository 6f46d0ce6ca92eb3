"""Graduated tiers: each unit is priced by the tier it falls in; a tier's flat fee once it is entered.

Tier bounds are inclusive (`up_to`), the last is unbounded. Continuous and non-decreasing in the
quantity when no tier has a flat fee. Never rounds.
"""

from __future__ import annotations

from decimal import Decimal

from tally.catalog.model import GraduatedPrice
from tally.rating.model import RatingStep
from tally.rating.models.base import ZERO, Rated, fmt, step


def rate_graduated(quantity: Decimal, price: GraduatedPrice) -> Rated:
    steps: list[RatingStep] = []
    lower = ZERO
    for number, tier in enumerate(price.tiers, start=1):
        if quantity <= lower:
            break
        upper = quantity if tier.up_to is None else min(quantity, tier.up_to)
        units = upper - lower
        bound = f"over {fmt(lower)}" if tier.up_to is None else f"over {fmt(lower)} up to {fmt(tier.up_to)}"
        steps.append(step(f"tier {number} ({bound}): {fmt(units)} units at "
                          f"{fmt(tier.unit_price)}", quantity=units, unit_price=tier.unit_price,
                          amount=units * tier.unit_price))
        if tier.flat_price:
            steps.append(step(f"tier {number} flat fee", quantity=Decimal(1), unit_price=tier.flat_price,
                              amount=tier.flat_price))
        if tier.up_to is None:
            break
        lower = tier.up_to
    amount = sum((s.amount for s in steps), ZERO)
    return Rated(amount=amount, explanation=tuple(steps))
