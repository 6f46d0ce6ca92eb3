"""Tables owned by the catalog and contracts stages.

Catalog entities and contracts are append-only versions: a change is a new row with the next
version number, never an update. Each row keeps the canonical JSON document it was parsed from
and its SHA-256, so a rating can name exactly what it used.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, PrimaryKeyConstraint, String, Table, Text, UniqueConstraint

from tally.store.schema.base import BigId, metadata
from tally.store.types import ExactDecimal, UtcDateTime


def _versioned(name: str, code_column: str, *, effective: bool) -> Table:
    columns: list[Column[object]] = [
        Column(code_column, String(255), nullable=False),
        Column("version", Integer, nullable=False),
    ]
    if effective:
        columns.append(Column("effective_from", UtcDateTime, nullable=False))
    columns += [
        Column("recorded_at", UtcDateTime, nullable=False),
        Column("digest", String(64), nullable=False),
        Column("document", Text, nullable=False),
    ]
    return Table(name, metadata, *columns, PrimaryKeyConstraint(code_column, "version"))


catalog_products = _versioned("catalog_products", "code", effective=False)
catalog_plans = _versioned("catalog_plans", "code", effective=False)
catalog_price_book_versions = _versioned("catalog_price_book_versions", "price_book_code", effective=True)
contract_versions = _versioned("contract_versions", "customer_id", effective=True)

credit_drawdowns = Table(
    "credit_drawdowns",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    # the document that moved the balance: the issued invoice that drew it, or, for a return
    # (`restores_seq` set), the credit note that returned it
    Column("invoice_id", String(255), nullable=False),
    Column("customer_id", String(255), nullable=False),
    Column("credit_id", String(255), nullable=False),
    Column("line_key", String(255), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", ExactDecimal, nullable=False),  # money value drawn
    Column("units", ExactDecimal, nullable=True),  # units drawn (credits in units)
    Column("drawn_at", UtcDateTime, nullable=False),
    # a return: the drawdown row it gives back (amount and units negated); unique, so never returned twice
    Column("restores_seq", BigId, nullable=True),
    UniqueConstraint("invoice_id", "customer_id", "credit_id", "line_key"),
    UniqueConstraint("restores_seq"),
    Index(None, "customer_id", "credit_id"),
)
