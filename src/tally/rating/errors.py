"""Errors of the rating stage.

InvalidInput (tally.errors)
├── UnknownPricingModel  unknown_pricing_model  400 / exit 2   (the registry has no such model)
└── NegativeQuantity     negative_quantity      400 / exit 2
NotFound (tally.errors)
└── NoContract           no_contract            404 / exit 3   (no contract version in force)
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


class NoContract(NotFound):
    code = "no_contract"
    title = "No contract in force"

    def __init__(self, customer_id: str) -> None:
        super().__init__("contract for customer", customer_id)


class UsageSourceNotWired(Unavailable):
    code = "usage_source_not_wired"
    title = "Usage source not wired"
