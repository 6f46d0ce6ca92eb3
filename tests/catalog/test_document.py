"""The catalog file, parsed and cross-checked without a database: errors name the exact place."""

from __future__ import annotations

import pytest

from tally.catalog.document import check_references, parse_document
from tally.catalog.errors import CatalogInvalid
from tally.catalog.yamlexact import load_yaml
from tests.rating.builders import CATALOG


def check(text: str) -> None:
    doc = parse_document(load_yaml(text))
    check_references(doc, products={e.code: e.product for e in doc.products}, plans={e.code: e.plan for e in doc.plans},
                     book_versions=tuple(e.book for e in doc.price_book_versions),
                     meter_slugs=frozenset({"instance_hours", "search_requests"}))


def refused(old: str, new: str, field: str, reason: str) -> None:
    assert old in CATALOG, old
    with pytest.raises(CatalogInvalid) as caught:
        check(CATALOG.replace(old, new, 1))
    assert caught.value.field == field, caught.value.detail
    assert reason in caught.value.reason


def test_the_builder_catalog_is_valid() -> None:
    check(CATALOG)


def test_errors_name_the_place() -> None:
    refused("currencies: [USD]", "currencies: [USX]", "price_books[0].currencies[0]", "unknown")
    refused("  - version: 1\n", "  - version: 0\n", "price_books[0].versions[0].version", "positive")
    refused("- {code: search,", "- {code: compute,", "products[3].code", "defined twice")
    refused("products: [platform, compute, search]", "products: [platform, compute, gpu]", "plans[0].products[2]",
            "does not exist")
    refused('platform: {model: flat, currency: USD, amount: "30.00"}',
            'platform: {model: per_unit, currency: USD, unit_price: "30.00"}', "plans[0].products[0]", "must be flat")
    refused('compute: {model: per_unit, currency: USD, unit_price: "0.10"}', "", "plans[0].products[1]", "no price")
    refused("meter: search_requests,", "meter: searches,", "products[3].meter", "not defined")
    refused("price_books:", "colour: red\nprice_books:", "colour", "unknown key")
    refused("{USD: list-usd}}\n  - {code: pro", "{USD: list-eur}}\n  - {code: pro", "plans[0].price_books.USD",
            "does not exist")


def test_versions_must_be_in_order() -> None:
    second = ("      - version: 1\n        effective_from: 2025-06-01T00:00:00Z\n        prices: {}\n")
    text = CATALOG.replace("plans:\n", "").split("  - {code: basic")[0]
    with pytest.raises(CatalogInvalid) as caught:
        check(text.rstrip("\n") + "\n" + second)
    assert caught.value.field == "price_books[0].versions[1]"
