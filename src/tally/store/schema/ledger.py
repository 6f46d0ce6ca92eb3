"""Tables owned by the ledger and revenue stages.

Journal entries and their lines are facts: triggers refuse UPDATE and DELETE on both, refuse an
entry whose lines do not balance per currency, refuse lines added to an entry already written, and
refuse an entry dated inside a closed period. Amounts are integers of minor units, so that the
database itself can sum them exactly on both backends (SQLite has no exact decimal type).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from tally.store.schema.base import BigId, metadata
from tally.store.types import UtcDateTime

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("entry_id", String(64), primary_key=True),
    Column("entry_date", Date, nullable=False),
    Column("source_kind", String(32), nullable=False),
    Column("source_id", String(255), nullable=False),
    Column("memo", Text, nullable=False),
    Column("reverses", String(64), nullable=True),
    Column("reference", Text, nullable=True),
    Column("posted_at", UtcDateTime, nullable=False),
    UniqueConstraint("source_kind", "source_id"),
    Index("ix_ledger_entries_entry_date", "entry_date"),
)

ledger_lines = Table(
    "ledger_lines",
    metadata,
    Column("line_id", BigId, primary_key=True, autoincrement=True),
    Column("entry_id", String(64), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("entry_date", Date, nullable=False),
    Column("account", String(128), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("debit_minor", BigInteger, nullable=False),
    Column("credit_minor", BigInteger, nullable=False),
    Column("customer_id", String(255), nullable=True),
    Column("document", String(64), nullable=True),
    Column("product_code", String(128), nullable=True),
    Column("memo", Text, nullable=False),
    Column("ref", String(160), nullable=True),
    UniqueConstraint("entry_id", "line_no"),
    CheckConstraint("debit_minor >= 0 AND credit_minor >= 0", name="non_negative"),
    Index("ix_ledger_lines_entry_id", "entry_id"),
    Index("ix_ledger_lines_entry_date_account", "entry_date", "account"),
    Index("ix_ledger_lines_customer_id", "customer_id"),
    Index("ix_ledger_lines_ref", "ref"),
)

ledger_periods = Table(
    "ledger_periods",
    metadata,
    Column("period", String(7), primary_key=True),  # "2026-11"
    Column("start_on", Date, nullable=False),
    Column("end_on", Date, nullable=False),  # exclusive
    Column("status", String(16), nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    Column("closed_by", String(255), nullable=True),
    Column("reopened_at", UtcDateTime, nullable=True),
    Column("reopened_by", String(255), nullable=True),
)

revenue_schedules = Table(
    "revenue_schedules",
    metadata,
    Column("schedule_id", String(64), primary_key=True),
    Column("document_id", String(64), nullable=False),
    Column("document_number", String(64), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("customer_id", String(255), nullable=False),
    Column("product_code", String(128), nullable=True),
    Column("revenue_category", String(128), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("service_start", UtcDateTime, nullable=False),
    Column("service_end", UtcDateTime, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),  # signed: a credit note's schedule is negative
    Column("created_on", Date, nullable=False),
    Index("ix_revenue_schedules_customer_id", "customer_id"),
)

revenue_releases = Table(
    "revenue_releases",
    metadata,
    Column("schedule_id", String(64), nullable=False),
    Column("period", String(7), nullable=False),
    Column("through_on", Date, nullable=False),  # released for days before this one
    Column("amount_minor", BigInteger, nullable=False),
    Column("entry_id", String(64), nullable=True),
    PrimaryKeyConstraint("schedule_id", "period"),
)
