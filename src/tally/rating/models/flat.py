"""Flat recurring fee: `amount` per billing period, times the share of the period served.

The quantity is that share (1 for a whole period; a proration fraction otherwise). Never rounds.
"""

from __future__ import annotations

from decimal import Decimal

from tally.catalog.model import FlatPrice
from tally.rating.models.base import Rated, fmt, step


def rate_flat(quantity: Decimal, price: FlatPrice) -> Rated:
    amount = price.amount * quantity
    label = "billed in advance" if price.timing.value == "in_advance" else "billed in arrears"
    if quantity == 1:
        description = f"flat fee {fmt(price.amount)} for the period ({label})"
    else:
        description = f"flat fee {fmt(price.amount)} × {fmt(quantity)} of the period ({label})"
    return Rated(amount=amount, explanation=(step(description, quantity=quantity, unit_price=price.amount,
                                                  amount=amount),))
