"""Volume tiers: the total quantity picks one tier, and every unit is priced at that tier's rate.

Plus that tier's flat fee. Zero quantity costs nothing. Never rounds.
"""

from __future__ import annotations

from decimal import Decimal

from tally.catalog.model import VolumePrice
from tally.rating.model import RatingStep
from tally.rating.models.base import ZERO, Rated, fmt, step


def rate_volume(quantity: Decimal, price: VolumePrice) -> Rated:
    if quantity <= 0:
        return Rated(amount=ZERO, explanation=(step("no usage", quantity=ZERO, unit_price=ZERO, amount=ZERO),))
    number, tier = next((n, t) for n, t in enumerate(price.tiers, start=1) if t.up_to is None or quantity <= t.up_to)
    bound = "no upper bound" if tier.up_to is None else f"up to {fmt(tier.up_to)}"
    steps: list[RatingStep] = [
        step(f"volume tier {number} ({bound}): all {fmt(quantity)} units at {fmt(tier.unit_price)}",
             quantity=quantity, unit_price=tier.unit_price, amount=quantity * tier.unit_price)]
    if tier.flat_price:
        steps.append(step(f"tier {number} flat fee", quantity=Decimal(1), unit_price=tier.flat_price,
                          amount=tier.flat_price))
    return Rated(amount=sum((s.amount for s in steps), ZERO), explanation=tuple(steps))
