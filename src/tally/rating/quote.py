"""`tally price quote`: the amount of one quantity under one price written in the price syntax. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tally.catalog import fields
from tally.catalog.prices import parse_price
from tally.catalog.yamlexact import load_yaml
from tally.rating.pricing import PricedQuantity, price_quantity


def quote(price_text: str, quantity_text: str) -> PricedQuantity:
    """Parse a price (YAML or JSON; optionally nested under a `price:` key) and price the quantity."""
    data: Any = load_yaml(price_text)
    path = ""
    if isinstance(data, Mapping) and set(data) == {"price"}:
        data, path = data["price"], "price"
    price = parse_price(data, path=path)
    quantity = fields.decimal(quantity_text, "quantity")
    return price_quantity(price, quantity)


def quote_json(priced: PricedQuantity) -> dict[str, Any]:
    """`{"amount": "123.40", "currency": "USD", "explanation": [...]}`: exactly the minor-unit digits."""
    return {
        "amount": priced.amount.text(),
        "currency": priced.amount.currency.code,
        "explanation": [
            {"description": s.description, "quantity": f"{s.quantity:f}", "unit_price": f"{s.unit_price:f}",
             "amount": f"{s.amount:f}"} for s in priced.explanation
        ],
    }
