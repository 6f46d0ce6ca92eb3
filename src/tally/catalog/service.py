"""Catalog use cases: apply a catalog file (all-or-nothing, with a diff), read the catalog in force.

`apply_catalog` opens one unit of work: meters (through the MeterCatalog hook), products, price
book versions, plans and customers' contracts are checked together and written together, or not
at all. Every new version is audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection

from tally.audit.canonical import digest
from tally.audit.model import Actor
from tally.catalog.diff import describe_changes
from tally.catalog.document import (
    CatalogDocument,
    check_references,
    parse_document,
    parse_plan,
    parse_price_book_version,
    parse_product,
)
from tally.catalog.errors import CatalogConflict, CatalogInvalid
from tally.catalog.meters import MeterCatalog, default_meter_catalog
from tally.catalog.model import Plan, PriceBookVersion, Product
from tally.catalog.store import StoredVersion, insert_versions, load_versions
from tally.catalog.yamlexact import load_yaml
from tally.clock import Clock
from tally.contracts.changes import LatestContract, plan_contract_changes
from tally.store.uow import UnitOfWork, UnitOfWorkFactory


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    APPLY = "apply"  # meters: handed to metering, which versions them


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    kind: str  # meter | product | price_book_version | plan | contract
    code: str
    action: Action
    version: int | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyResult:
    changes: tuple[Change, ...]
    applied: bool  # False for a dry run

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.changes:
            out[c.action.value] = out.get(c.action.value, 0) + 1
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogView:
    """The catalog as recorded by an instant: latest products and plans, every price book version."""

    products: Mapping[str, Product]
    plans: Mapping[str, Plan]
    book_versions: tuple[PriceBookVersion, ...]
    versions: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (kind, code) → latest version

    def book_in_force(self, book_code: str, at: datetime) -> PriceBookVersion | None:
        """The version of a price book in force at `at`: the latest effective_from at or before it."""
        candidates = [v for v in self.book_versions if v.price_book_code == book_code and v.effective_from <= at]
        return max(candidates, key=lambda v: (v.effective_from, v.version), default=None)


def _latest(versions: tuple[StoredVersion, ...]) -> dict[str, StoredVersion]:
    out: dict[str, StoredVersion] = {}
    for v in versions:
        out[v.code] = v  # ordered by code, version
    return out


def load_catalog(connection: Connection, *, recorded_by: datetime | None = None) -> CatalogView:
    product_rows = _latest(load_versions(connection, "product", recorded_by=recorded_by))
    products = {code: parse_product(v.document, f"product {code}@{v.version}") for code, v in product_rows.items()}
    plan_rows = _latest(load_versions(connection, "plan", recorded_by=recorded_by))
    plans = {code: parse_plan(v.document, f"plan {code}@{v.version}") for code, v in plan_rows.items()}
    book_rows = load_versions(connection, "price_book_version", recorded_by=recorded_by)
    books = tuple(parse_price_book_version(v.document, f"price book {v.code}@{v.version}") for v in book_rows)
    versions = {("product", c): v.version for c, v in product_rows.items()}
    versions.update({("plan", c): v.version for c, v in plan_rows.items()})
    return CatalogView(products=products, plans=plans, book_versions=books, versions=versions)


def catalog_view(uow: UnitOfWork, *, as_of: datetime | None = None) -> CatalogView:
    """Composable inside another service's unit of work."""
    return load_catalog(uow.connection, recorded_by=as_of)


def show_catalog(uow_factory: UnitOfWorkFactory, *, as_of: datetime | None = None) -> CatalogView:
    with uow_factory() as uow:
        return catalog_view(uow, as_of=as_of)


def apply_catalog(
    uow_factory: UnitOfWorkFactory,
    text: str,
    *,
    actor: Actor,
    clock: Clock,
    dry_run: bool = False,
    meters: MeterCatalog | None = None,
) -> ApplyResult:
    """Apply a catalog file (YAML or JSON text): everything or nothing. A dry run writes nothing."""
    document = parse_document(load_yaml(text))
    return apply_document(uow_factory, document, actor=actor, clock=clock, dry_run=dry_run, meters=meters)


def apply_document(
    uow_factory: UnitOfWorkFactory,
    document: CatalogDocument,
    *,
    actor: Actor,
    clock: Clock,
    dry_run: bool = False,
    meters: MeterCatalog | None = None,
) -> ApplyResult:
    hook = meters or default_meter_catalog()
    at = clock.now()
    with uow_factory() as uow:
        connection = uow.connection
        meter_slugs = hook.parse(document.meters)
        known_slugs = hook.known_slugs(uow) | frozenset(meter_slugs)
        changes: list[Change] = [
            Change(kind="meter", code=slug, action=Action.APPLY,
                   detail="handed to metering" if getattr(hook, "wired", True) else
                   "metering not wired: checked, not stored") for slug in meter_slugs]
        new_rows: list[StoredVersion] = []

        def plan_kind(kind: str, entries: list[tuple[str, Mapping[str, Any]]]) -> None:
            latest = _latest(load_versions(connection, kind, codes=[c for c, _ in entries]))
            for code, doc in entries:
                doc_digest = digest(doc)
                before = latest.get(code)
                if before is not None and before.digest == doc_digest:
                    changes.append(Change(kind=kind, code=code, action=Action.UNCHANGED, version=before.version))
                    continue
                version = 1 if before is None else before.version + 1
                new_rows.append(StoredVersion(kind=kind, code=code, version=version, effective_from=None,
                                              recorded_at=at, digest=doc_digest, document=doc))
                changes.append(Change(kind=kind, code=code, action=Action.CREATE if before is None else Action.UPDATE,
                                      version=version,
                                      detail="" if before is None else describe_changes(before.document, doc)))

        plan_kind("product", [(e.code, e.document) for e in document.products])
        plan_kind("plan", [(e.code, e.document) for e in document.plans])

        stored_books = load_versions(connection, "price_book_version")
        stored_by_key = {(v.code, v.version): v for v in stored_books}
        for entry in document.price_book_versions:
            book = entry.book
            doc_digest = digest(entry.document)
            existing = stored_by_key.get((book.price_book_code, book.version))
            code = book.version_id
            if existing is not None:
                if existing.digest != doc_digest:
                    raise CatalogConflict(f"{entry.path}: {code} is already applied with different prices; versions "
                                          "are immutable — add a new version with a later effective_from")
                changes.append(Change(kind="price_book_version", code=code, action=Action.UNCHANGED,
                                      version=book.version))
                continue
            applied_before = [v for v in stored_books if v.code == book.price_book_code]
            if applied_before and book.effective_from < at:
                raise CatalogInvalid(f"{entry.path}.effective_from",
                                     f"{book.effective_from.isoformat()} is in the past (now {at.isoformat()}): a new "
                                     "version of an applied price book may not change a period that has begun")
            later = [v for v in stored_books if v.code == book.price_book_code and v.version > book.version]
            if later:
                raise CatalogConflict(f"{entry.path}: {code} would be inserted before the applied version "
                                      f"{later[0].version}; number new versions after the latest")
            new_rows.append(StoredVersion(kind="price_book_version", code=book.price_book_code, version=book.version,
                                          effective_from=book.effective_from, recorded_at=at, digest=doc_digest,
                                          document=entry.document))
            changes.append(Change(kind="price_book_version", code=code, action=Action.CREATE, version=book.version,
                                  detail=f"effective from {book.effective_from.isoformat()}"))

        current = load_catalog(connection)
        products = {**current.products, **{e.code: e.product for e in document.products}}
        plans = {**current.plans, **{e.code: e.plan for e in document.plans}}
        merged_books = {v.version_id: v for v in current.book_versions}
        merged_books.update({e.book.version_id: e.book for e in document.price_book_versions})
        check_references(document, products=products, plans=plans, book_versions=tuple(merged_books.values()),
                         meter_slugs=known_slugs)

        customer_ids = [str(c.get("id")) for c in document.customers]
        latest_contracts = {
            code: LatestContract(version=v.version, effective_from=v.effective_from or v.recorded_at, digest=v.digest,
                                 document=v.document)
            for code, v in _latest(load_versions(connection, "contract", codes=customer_ids)).items()}
        contract_changes, unchanged = plan_contract_changes(document.customers, latest=latest_contracts,
                                                            products=products, plans=plans)
        for change in contract_changes:
            new_rows.append(StoredVersion(kind="contract", code=change.customer_id, version=change.version,
                                          effective_from=change.effective_from, recorded_at=at, digest=change.digest,
                                          document=change.document))
            changes.append(Change(kind="contract", code=change.customer_id,
                                  action=Action.CREATE if change.created else Action.UPDATE, version=change.version,
                                  detail=f"effective from {change.effective_from.isoformat()}" + (
                                      "" if change.previous is None else
                                      f"; {describe_changes(change.previous, change.document)}")))
        changes.extend(Change(kind="contract", code=c, action=Action.UNCHANGED) for c in unchanged)

        if dry_run:
            return ApplyResult(changes=tuple(changes), applied=False)
        if document.meters:
            hook.apply(uow, document.meters, actor=actor, at=at)
        insert_versions(connection, new_rows)
        for row in new_rows:
            uow.audit.record(f"{row.kind}.versioned", actor=actor, subject_type=row.kind,
                             subject_id=f"{row.code}@{row.version}", at=at, after=row.document)
        uow.commit()
    return ApplyResult(changes=tuple(changes), applied=True)
