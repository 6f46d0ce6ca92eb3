"""Contract documents: bad input is refused at load time, naming the exact place."""

from __future__ import annotations

import pytest

from tally.catalog.errors import CatalogInvalid
from tally.contracts.model import CreditKind, DiscountKind, ProrationUnit
from tests.rating.builders import contract

HEAD = "id: c1\ncurrency: USD\neffective_from: 2026-01-01T00:00:00Z\n"


def refused(text: str, field: str, reason: str) -> None:
    with pytest.raises(CatalogInvalid) as caught:
        contract(HEAD + text)
    assert caught.value.field == field, caught.value.detail
    assert reason in caught.value.reason


def test_a_full_contract_parses() -> None:
    c = contract(HEAD + """proration: day
billing_anchor: 1
subscriptions: [{id: s1, plan: basic, start: 2026-01-01T00:00:00Z, end: 2027-01-01T00:00:00Z}]
overrides: {compute: {model: per_unit, currency: USD, unit_price: "0.08"}}
discounts: [{id: d, percentage: "10", product: compute, start: 2026-01-01T00:00:00Z}]
commitments: [{id: m, amount: "100", start: 2026-01-01T00:00:00Z}]
credits: [{id: u, units: 10, product: search, expires_at: 2027-01-01T00:00:00Z}]
""")
    t = c.terms
    assert t.proration is ProrationUnit.DAY and t.discounts[0].kind is DiscountKind.PERCENTAGE
    assert t.credits[0].kind is CreditKind.UNITS and t.credits[0].granted_at.year == 2026


def test_overlapping_subscriptions_to_the_same_product() -> None:
    refused("subscriptions:\n  - {id: a, plan: basic, start: 2026-01-01T00:00:00Z}\n"
            "  - {id: b, plan: pro, start: 2026-06-01T00:00:00Z}",
            "customers[0].subscriptions[1]", "overlaps subscriptions[0]")


def test_back_to_back_subscriptions_do_not_overlap() -> None:
    contract(HEAD + "subscriptions:\n  - {id: a, plan: basic, start: 2026-01-01T00:00:00Z, end: 2026-06-01T00:00:00Z}"
             "\n  - {id: b, plan: pro, start: 2026-06-01T00:00:00Z}")


def test_missing_references_and_bad_values() -> None:
    refused("subscriptions: [{id: a, plan: gold, start: 2026-01-01T00:00:00Z}]", "customers[0].subscriptions[0].plan",
            "does not exist")
    refused("overrides: {gpu: {model: per_unit, currency: USD, unit_price: '1'}}", "customers[0].overrides.gpu",
            "does not exist")
    refused("overrides: {compute: {model: per_unit, currency: EUR, unit_price: '1'}}",
            "customers[0].overrides.compute.currency", "not a currency")
    refused("credits: [{id: u, units: -5, product: search}]", "customers[0].credits[0].units", "negative")
    refused("credits: [{id: u, units: 5}]", "customers[0].credits[0].product", "required")
    refused("discounts: [{id: d, percentage: '110', start: 2026-01-01T00:00:00Z}]",
            "customers[0].discounts[0].percentage", "at most 100")
    refused("discounts: [{id: d, percentage: '1', fixed: '2', start: 2026-01-01T00:00:00Z}]",
            "customers[0].discounts[0]", "exactly one")
    refused("commitments: [{id: m, amount: '1', start: 2026-02-01T00:00:00Z, end: 2026-01-01T00:00:00Z}]",
            "customers[0].commitments[0].end", "after start")
    refused("subscriptions: [{id: a, plan: basic, start: 2026-01-01}]", "customers[0].subscriptions[0].start",
            "timezone")
    refused("proration: hour", "customers[0].proration", "second or day")
