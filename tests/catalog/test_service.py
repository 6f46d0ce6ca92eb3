"""Applying catalog files on SQLite and PostgreSQL: all or nothing, a diff, versions, audit."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tally.audit.model import Actor
from tally.catalog.errors import CatalogConflict, CatalogInvalid
from tally.catalog.service import Action, apply_catalog, show_catalog
from tally.clock import FixedClock
from tally.store.schema.catalog import catalog_price_book_versions, catalog_products, contract_versions
from tally.store.schema.foundation import audit_log
from tests.conftest import TestDatabase

DEMO = (Path(__file__).parents[2] / "src" / "tally" / "demo" / "catalog.yaml").read_text()
ACTOR = Actor.cli_user("tester")


def count(db: TestDatabase, table: object) -> int:
    with db.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_dry_run_then_apply_then_unchanged(db: TestDatabase, clock: FixedClock) -> None:
    dry = apply_catalog(db.uow_factory, DEMO, actor=ACTOR, clock=clock, dry_run=True)
    assert not dry.applied and dry.counts["create"] == 16
    assert count(db, catalog_products) == 0
    applied = apply_catalog(db.uow_factory, DEMO, actor=ACTOR, clock=clock)
    assert applied.applied and [c for c in applied.changes if c.action is not Action.APPLY] == \
        [c for c in dry.changes if c.action is not Action.APPLY]
    assert count(db, catalog_products) == 9 and count(db, catalog_price_book_versions) == 3
    assert count(db, contract_versions) == 2
    assert count(db, audit_log) == 16 + 5  # every catalog item, and each of the 5 meters metering stored
    again = apply_catalog(db.uow_factory, DEMO, actor=ACTOR, clock=clock)
    assert set(again.counts) == {"unchanged", "apply"}
    view = show_catalog(db.uow_factory)
    assert view.book_in_force("list-usd", clock.now()).version_id == "list-usd@1"  # type: ignore[union-attr]
    assert view.products["compute_m5_large"].group_filter == (("size", "m5.large"),)


def test_a_changed_product_gets_a_new_version_and_a_past_version_is_immutable(db: TestDatabase,
                                                                              clock: FixedClock) -> None:
    apply_catalog(db.uow_factory, DEMO, actor=ACTOR, clock=clock)
    clock.advance(timedelta(minutes=1))
    changed = DEMO.replace("name: Search requests,", "name: Search API requests,")
    result = apply_catalog(db.uow_factory, changed, actor=ACTOR, clock=clock)
    updates = [c for c in result.changes if c.action is Action.UPDATE]
    assert [(c.kind, c.code, c.version, c.detail) for c in updates] == [("product", "search", 2, "changed: name")]
    contract = DEMO.replace('amount: "5000.00", start', 'amount: "6000.00", start')
    updated = [c for c in apply_catalog(db.uow_factory, contract, actor=ACTOR, clock=clock, dry_run=True).changes
               if c.action is Action.UPDATE]
    assert updated[-1].detail.endswith("changed: commitments[0].amount")
    rewritten = DEMO.replace('compute_m5_xlarge: {model: per_unit, currency: USD, unit_price: "0.192"}',
                             'compute_m5_xlarge: {model: per_unit, currency: USD, unit_price: "0.191"}')
    with pytest.raises(CatalogConflict):
        apply_catalog(db.uow_factory, rewritten, actor=ACTOR, clock=clock)
    backdated = DEMO.replace("effective_from: 2027-01-01T00:00:00Z", "effective_from: 2026-11-01T00:00:00Z")
    backdated = backdated.replace("- version: 2 ", "- version: 3 ")
    with pytest.raises(CatalogInvalid) as caught:
        apply_catalog(db.uow_factory, backdated, actor=ACTOR, clock=clock)
    assert caught.value.field == "price_books[0].versions[1].effective_from"


@pytest.mark.parametrize(("edit", "field"), [
    (("meter: search_requests,", "meter: search_reqs,"), "products[8].meter"),
    (("{up_to: 10240, unit_price: \"0.09\"}", "{up_to: 50, unit_price: \"0.09\"}"),
     "price_books[0].versions[0].prices.egress.tiers[1].up_to"),
    (("plan: enterprise, start: 2026-01-01", "plan: platinum, start: 2026-01-01"),
     "customers[0].subscriptions[0].plan"),
    (("compute_r6g_2xlarge: {model: per_unit, currency: EUR", "compute_r6g_2xlarge: {model: per_unit, currency: USD"),
     "price_books[1].versions[0].prices.compute_r6g_2xlarge.currency"),
])
def test_bad_input_names_the_place_and_writes_nothing(db: TestDatabase, clock: FixedClock,
                                                      edit: tuple[str, str], field: str) -> None:
    assert edit[0] in DEMO
    with pytest.raises(CatalogInvalid) as caught:
        apply_catalog(db.uow_factory, DEMO.replace(edit[0], edit[1], 1), actor=ACTOR, clock=clock)
    assert caught.value.field == field
    assert count(db, catalog_products) == 0 and count(db, contract_versions) == 0 and count(db, audit_log) == 0


def test_the_meter_hook_receives_the_meters_section(db: TestDatabase, clock: FixedClock) -> None:
    from types import SimpleNamespace
    from typing import Any

    from tally.catalog.meters import CallableMeterCatalog

    applied: list[Any] = []
    hook = CallableMeterCatalog(
        parse_meters=lambda ms: [SimpleNamespace(slug=m["slug"]) for m in ms],
        apply_meters=lambda uow, defs, *, actor, at: applied.extend(d.slug for d in defs),
        stored_slugs=lambda uow: frozenset({"legacy_meter"}))
    text = DEMO.replace("meter: search_requests,", "meter: legacy_meter,")
    result = apply_catalog(db.uow_factory, text, actor=ACTOR, clock=clock, meters=hook)
    assert applied == ["instance_hours", "egress_gb", "snapshot_gb_hours", "ingest_gb", "search_requests"]
    assert next(c.detail for c in result.changes if c.kind == "meter") == "handed to metering"


def test_a_price_for_a_missing_product_is_refused(db: TestDatabase, clock: FixedClock) -> None:
    text = DEMO.replace("search: {model: package, currency: EUR,", "serch: {model: package, currency: EUR,")
    with pytest.raises(CatalogInvalid) as caught:
        apply_catalog(db.uow_factory, text, actor=ACTOR, clock=clock)
    assert caught.value.field == "price_books[1].versions[0].prices.serch"
