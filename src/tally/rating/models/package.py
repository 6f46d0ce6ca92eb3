"""Package pricing: every started package of `size` units costs `price` (partial blocks round up).

Never rounds money; money.round_to_minor does that once per line.
"""

from __future__ import annotations

from decimal import Decimal

from tally.catalog.model import PackagePrice
from tally.money import ceil_div
from tally.rating.models.base import Rated, fmt, step


def rate_package(quantity: Decimal, price: PackagePrice) -> Rated:
    packages = ceil_div(quantity, price.size)
    amount = packages * price.price
    return Rated(amount=amount, explanation=(
        step(f"{fmt(quantity)} units make {fmt(packages)} started package(s) of {fmt(price.size)} "
             f"at {fmt(price.price)} each", quantity=packages, unit_price=price.price, amount=amount),))
