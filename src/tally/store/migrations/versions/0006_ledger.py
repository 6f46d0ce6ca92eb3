"""Ledger: journal entries and lines, periods, revenue schedules and releases.

Triggers keep the journal a fact in the database itself, on SQLite and PostgreSQL: entries and
lines are never updated or deleted; an entry is written after its lines and refused unless they
balance per currency (integer minor units: exact sums on both backends); lines cannot be added to
an entry already written; no entry may be dated inside a closed period.

Revision ID: 0006_ledger
Revises: 0005_invoicing
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tally.store.schema.base import BigId
from tally.store.types import UtcDateTime

revision = "0006_ledger"
down_revision = "0005_invoicing"
branch_labels = None
depends_on = None

_UNBALANCED = ("(SELECT COUNT(*) FROM ledger_lines WHERE entry_id = NEW.entry_id) < 2 OR EXISTS ("
               "SELECT 1 FROM ledger_lines WHERE entry_id = NEW.entry_id GROUP BY currency "
               "HAVING SUM(debit_minor) <> SUM(credit_minor))")
_IN_CLOSED = ("EXISTS (SELECT 1 FROM ledger_periods WHERE status = 'closed' AND NEW.entry_date >= start_on "
              "AND NEW.entry_date < end_on)")

_SQLITE_TRIGGERS = (
    f"CREATE TRIGGER trg_ledger_entries_balanced BEFORE INSERT ON ledger_entries WHEN {_UNBALANCED} "
    "BEGIN SELECT RAISE(ABORT, 'journal entry is not balanced per currency'); END",
    f"CREATE TRIGGER trg_ledger_entries_open_period BEFORE INSERT ON ledger_entries WHEN {_IN_CLOSED} "
    "BEGIN SELECT RAISE(ABORT, 'journal entry dated inside a closed period'); END",
    "CREATE TRIGGER trg_ledger_lines_entry_open BEFORE INSERT ON ledger_lines "
    "WHEN EXISTS (SELECT 1 FROM ledger_entries WHERE entry_id = NEW.entry_id) "
    "BEGIN SELECT RAISE(ABORT, 'journal entries are immutable: no lines may be added'); END",
    "CREATE TRIGGER trg_ledger_entries_no_update BEFORE UPDATE ON ledger_entries "
    "BEGIN SELECT RAISE(ABORT, 'journal entries are immutable'); END",
    "CREATE TRIGGER trg_ledger_entries_no_delete BEFORE DELETE ON ledger_entries "
    "BEGIN SELECT RAISE(ABORT, 'journal entries are immutable'); END",
    "CREATE TRIGGER trg_ledger_lines_no_update BEFORE UPDATE ON ledger_lines "
    "BEGIN SELECT RAISE(ABORT, 'journal entries are immutable'); END",
    "CREATE TRIGGER trg_ledger_lines_no_delete BEFORE DELETE ON ledger_lines "
    "BEGIN SELECT RAISE(ABORT, 'journal entries are immutable'); END",
)

_PG_FUNCTION = f"""
CREATE FUNCTION tally_ledger_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    RAISE EXCEPTION 'journal entries are immutable';
  END IF;
  IF TG_TABLE_NAME = 'ledger_lines' THEN
    IF EXISTS (SELECT 1 FROM ledger_entries WHERE entry_id = NEW.entry_id) THEN
      RAISE EXCEPTION 'journal entries are immutable: no lines may be added';
    END IF;
    RETURN NEW;
  END IF;
  IF {_UNBALANCED} THEN
    RAISE EXCEPTION 'journal entry is not balanced per currency';
  END IF;
  IF {_IN_CLOSED} THEN
    RAISE EXCEPTION 'journal entry dated inside a closed period';
  END IF;
  RETURN NEW;
END $$
"""

_PG_TRIGGERS = (
    "CREATE TRIGGER trg_ledger_entries_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger_entries "
    "FOR EACH ROW EXECUTE FUNCTION tally_ledger_guard()",
    "CREATE TRIGGER trg_ledger_lines_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger_lines "
    "FOR EACH ROW EXECUTE FUNCTION tally_ledger_guard()",
)


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("entry_id", sa.String(64), primary_key=True),
        sa.Column("entry_date", sa.Date, nullable=False),
        sa.Column("source_kind", sa.String(32), nullable=False),
        sa.Column("source_id", sa.String(255), nullable=False),
        sa.Column("memo", sa.Text, nullable=False),
        sa.Column("reverses", sa.String(64), nullable=True),
        sa.Column("reference", sa.Text, nullable=True),
        sa.Column("posted_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("source_kind", "source_id", name="uq_ledger_entries_source_kind_source_id"),
    )
    op.create_index("ix_ledger_entries_entry_date", "ledger_entries", ["entry_date"])
    op.create_table(
        "ledger_lines",
        sa.Column("line_id", BigId, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.String(64), nullable=False),
        sa.Column("line_no", sa.Integer, nullable=False),
        sa.Column("entry_date", sa.Date, nullable=False),
        sa.Column("account", sa.String(128), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("debit_minor", sa.BigInteger, nullable=False),
        sa.Column("credit_minor", sa.BigInteger, nullable=False),
        sa.Column("customer_id", sa.String(255), nullable=True),
        sa.Column("document", sa.String(64), nullable=True),
        sa.Column("product_code", sa.String(128), nullable=True),
        sa.Column("memo", sa.Text, nullable=False),
        sa.Column("ref", sa.String(160), nullable=True),
        sa.UniqueConstraint("entry_id", "line_no", name="uq_ledger_lines_entry_id_line_no"),
        sa.CheckConstraint("debit_minor >= 0 AND credit_minor >= 0", name="ck_ledger_lines_non_negative"),
    )
    op.create_index("ix_ledger_lines_entry_id", "ledger_lines", ["entry_id"])
    op.create_index("ix_ledger_lines_entry_date_account", "ledger_lines", ["entry_date", "account"])
    op.create_index("ix_ledger_lines_customer_id", "ledger_lines", ["customer_id"])
    op.create_index("ix_ledger_lines_ref", "ledger_lines", ["ref"])
    op.create_table(
        "ledger_periods",
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("start_on", sa.Date, nullable=False),
        sa.Column("end_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("closed_at", UtcDateTime, nullable=True),
        sa.Column("closed_by", sa.String(255), nullable=True),
        sa.Column("reopened_at", UtcDateTime, nullable=True),
        sa.Column("reopened_by", sa.String(255), nullable=True),
    )
    op.create_table(
        "revenue_schedules",
        sa.Column("schedule_id", sa.String(64), primary_key=True),
        sa.Column("document_id", sa.String(64), nullable=False),
        sa.Column("document_number", sa.String(64), nullable=False),
        sa.Column("line_no", sa.Integer, nullable=False),
        sa.Column("customer_id", sa.String(255), nullable=False),
        sa.Column("product_code", sa.String(128), nullable=True),
        sa.Column("revenue_category", sa.String(128), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("service_start", UtcDateTime, nullable=False),
        sa.Column("service_end", UtcDateTime, nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("created_on", sa.Date, nullable=False),
    )
    op.create_index("ix_revenue_schedules_customer_id", "revenue_schedules", ["customer_id"])
    op.create_table(
        "revenue_releases",
        sa.Column("schedule_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("through_on", sa.Date, nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("entry_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("schedule_id", "period", name="pk_revenue_releases"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for statement in _PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    for table in ("revenue_releases", "revenue_schedules", "ledger_periods", "ledger_lines", "ledger_entries"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS tally_ledger_guard()")
