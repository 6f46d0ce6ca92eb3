"""Versioned documents ↔ rows, for the catalog and contracts tables. Makes no decisions, never commits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Table, insert, select

from tally.audit.canonical import canonical_json, digest
from tally.store.schema.catalog import (
    catalog_plans,
    catalog_price_book_versions,
    catalog_products,
    contract_versions,
)

TABLES: dict[str, Table] = {
    "product": catalog_products,
    "plan": catalog_plans,
    "price_book_version": catalog_price_book_versions,
    "contract": contract_versions,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredVersion:
    kind: str
    code: str
    version: int
    effective_from: datetime | None
    recorded_at: datetime
    digest: str
    document: Mapping[str, Any]


def document_digest(document: Mapping[str, Any]) -> str:
    return digest(document)


def _code_column(table: Table) -> str:
    return str(next(iter(table.primary_key.columns)).name)


def load_versions(connection: Connection, kind: str, *, codes: list[str] | None = None,
                  recorded_by: datetime | None = None) -> tuple[StoredVersion, ...]:
    """All versions of one kind (optionally of some codes, recorded by an instant), by code then version."""
    table = TABLES[kind]
    code_col = table.c[_code_column(table)]
    query = select(table).order_by(code_col, table.c.version)
    if codes is not None:
        query = query.where(code_col.in_(sorted(set(codes))))
    if recorded_by is not None:
        query = query.where(table.c.recorded_at <= recorded_by)
    return tuple(
        StoredVersion(kind=kind, code=row._mapping[code_col.name], version=row.version,
                      effective_from=row._mapping.get("effective_from"), recorded_at=row.recorded_at,
                      digest=row.digest, document=orjson.loads(row.document))
        for row in connection.execute(query)
    )


def insert_versions(connection: Connection, versions: list[StoredVersion]) -> None:
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for v in versions:
        table = TABLES[v.kind]
        row: dict[str, Any] = {_code_column(table): v.code, "version": v.version, "recorded_at": v.recorded_at,
                               "digest": v.digest, "document": canonical_json(v.document)}
        if "effective_from" in table.c:
            row["effective_from"] = v.effective_from
        by_kind.setdefault(v.kind, []).append(row)
    for kind, rows in by_kind.items():
        connection.execute(insert(TABLES[kind]), rows)
