"""The price syntax: every bad input names its exact place."""

from __future__ import annotations

from typing import Any

import pytest

from tally.catalog.errors import CatalogInvalid
from tally.catalog.model import GraduatedPrice, PackagePrice
from tally.catalog.prices import parse_price, price_to_mapping
from tally.catalog.yamlexact import load_yaml

WHERE = "price_books[0].versions[1].prices.instance_hours"


def bad(data: dict[str, Any], field: str, reason_part: str, **kw: Any) -> None:
    with pytest.raises(CatalogInvalid) as caught:
        parse_price(data, path=WHERE, **kw)
    assert caught.value.field == field
    assert reason_part in caught.value.reason


def test_issue_syntax_parses() -> None:
    price = parse_price(load_yaml("""
model: graduated
currency: USD
tiers:
  - {up_to: 1000, unit_price: "0", flat_price: "0"}
  - {up_to: 10000, unit_price: "0.01"}
  - {up_to: null, unit_price: "0.005", flat_price: "2.00"}
included: 0
minimum: null
maximum: null
rounding: half_even
"""))
    assert isinstance(price, GraduatedPrice) and len(price.tiers) == 3
    assert parse_price(price_to_mapping(price)) == price
    package = parse_price(load_yaml('model: package\ncurrency: USD\npackage: {size: 1000, price: "5.00"}'))
    assert isinstance(package, PackagePrice)


def test_tier_overlap_gap_and_unbounded_middle() -> None:
    tiers = [{"up_to": 1000, "unit_price": "0"}, {"up_to": 10000, "unit_price": "0.01"},
             {"up_to": 5000, "unit_price": "0.005"}, {"up_to": None, "unit_price": "0.001"}]
    bad({"model": "graduated", "currency": "USD", "tiers": tiers}, f"{WHERE}.tiers[2].up_to", "overlaps")
    bad({"model": "volume", "currency": "USD", "tiers": tiers[:2]}, f"{WHERE}.tiers[1].up_to", "gap")
    bad({"model": "volume", "currency": "USD", "tiers": [{"up_to": None}, {"up_to": None}]},
        f"{WHERE}.tiers[0].up_to", "last tier")


def test_bad_values() -> None:
    bad({"model": "per_unit", "currency": "USD", "unit_price": "-1"}, f"{WHERE}.unit_price", "negative")
    bad({"model": "per_unit", "currency": "EUR", "unit_price": "1"}, f"{WHERE}.currency", "not a currency",
        currencies=("USD",))
    bad({"model": "per_unit", "currency": "XXX", "unit_price": "1"}, f"{WHERE}.currency", "unknown")
    bad({"model": "per_unit", "currency": "USD", "unit_price": 0.1}, f"{WHERE}.unit_price", "float")
    bad({"model": "per_unit", "currency": "USD", "unit_price": "0.0000000000001"}, f"{WHERE}.unit_price", "12")
    bad({"model": "stairs", "currency": "USD"}, f"{WHERE}.model", "unknown pricing model")
    bad({"model": "per_unit", "currency": "USD", "unit_price": "1", "rounding": "up"}, f"{WHERE}.rounding", "half")
    bad({"model": "per_unit", "currency": "USD", "unit_price": "1", "colour": "red"}, f"{WHERE}.colour", "unknown")
    bad({"model": "package", "currency": "USD", "package": {"size": 0, "price": "1"}}, f"{WHERE}.package.size",
        "positive")
    bad({"model": "per_unit", "currency": "USD", "unit_price": "1", "minimum": "5", "maximum": "2"},
        f"{WHERE}.maximum", "below")
