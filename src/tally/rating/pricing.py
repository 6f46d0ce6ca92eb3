"""Price one quantity under one price: allowance, model, minimum/maximum, then round once.

This is the only place a usage amount is rounded (through money.round_to_minor, with the price's
rounding mode). Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tally.catalog.model import FlatPrice, Price
from tally.money import Money, round_to_minor
from tally.rating.errors import NegativeQuantity
from tally.rating.model import RatingStep
from tally.rating.models import model_for
from tally.rating.models.base import ZERO, fmt, step


@dataclass(frozen=True, slots=True, kw_only=True)
class PricedQuantity:
    amount: Money  # rounded to the currency's minor unit, once
    unrounded: Decimal
    explanation: tuple[RatingStep, ...]


def unrounded_amount(price: Price, quantity: Decimal) -> tuple[Decimal, tuple[RatingStep, ...]]:
    """The exact amount before rounding, and the steps that add up to it."""
    if quantity < 0:
        raise NegativeQuantity("quantity", quantity)
    steps: list[RatingStep] = []
    billable = quantity
    if price.included and not isinstance(price, FlatPrice):
        free = min(quantity, price.included)
        billable = quantity - free
        steps.append(step(f"included allowance: first {fmt(price.included)} units free ({fmt(free)} used)",
                          quantity=free, unit_price=ZERO, amount=ZERO))
    rated = model_for(price)(billable, price)
    steps.extend(rated.explanation)
    amount = rated.amount
    if price.minimum is not None and amount < price.minimum:
        steps.append(step(f"minimum charge {fmt(price.minimum)} applies", quantity=Decimal(1),
                          unit_price=price.minimum - amount, amount=price.minimum - amount))
        amount = price.minimum
    if price.maximum is not None and amount > price.maximum:
        steps.append(step(f"maximum charge {fmt(price.maximum)} caps the amount", quantity=Decimal(1),
                          unit_price=price.maximum - amount, amount=price.maximum - amount))
        amount = price.maximum
    return amount, tuple(steps)


def price_quantity(price: Price, quantity: Decimal) -> PricedQuantity:
    """Price `quantity` and round once, to the currency's minor unit, in the price's rounding mode."""
    exact, steps = unrounded_amount(price, quantity)
    rounded = round_to_minor(exact, price.currency, rounding=price.rounding)
    if rounded != exact:
        steps = (*steps, step(f"rounded {fmt(exact)} to {fmt(rounded)} {price.currency.code} "
                              f"({price.rounding.value})", quantity=Decimal(1), unit_price=rounded - exact,
                              amount=rounded - exact))
    return PricedQuantity(amount=Money(rounded, price.currency), unrounded=exact, explanation=steps)
