"""Errors of the rating stage.

InvalidInput (tally.errors)
├── UnknownPricingModel  unknown_pricing_model  400 / exit 2   (the registry has no such model)
└── NegativeQuantity     negative_quantity      400 / exit 2
NotFound (tally.errors)
└── NoPriceInForce       no_price_in_force      404 / exit 3   (no price book version in force for the period)
Unavailable (tally.errors)
└── UsageSourceNotWired  usage_source_not_wired 503 / exit 6   (metering is not wired into rating yet)
"""

from __future__ import annotations

from decimal import Decimal

from tally.errors import InvalidInput, NotFound, Unavailable


class UnknownPricingModel(InvalidInput):
    code = "unknown_pricing_model"
    title = "Unknown pricing model"

    def __init__(self, model: object) -> None:
        super().__init__("model", f"no pricing model {model!r} is registered")


class NegativeQuantity(InvalidInput):
    code = "negative_quantity"
    title = "Negative quantity"

    def __init__(self, field: str, quantity: Decimal) -> None:
        super().__init__(field, f"must not be negative, got {quantity}")


class NoPriceInForce(NotFound):
    code = "no_price_in_force"
    title = "No price in force"

    def __init__(self, book_code: str, at: str) -> None:
        super().__init__("price book version in force", f"{book_code} at {at}")


class UsageSourceNotWired(Unavailable):
    code = "usage_source_not_wired"
    title = "Usage source not wired"
