"""Invoicing: invoices and lines, credit notes, gapless document counters, billing runs.

Triggers make issued documents immutable in the database itself: lines are never updated, lines of
an issued invoice are never deleted, an issued invoice's amounts and number never change, and
credit notes are never updated or deleted.

Revision ID: 0005_invoicing
Revises: 0004_catalog
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tally.store.schema.base import BigId
from tally.store.types import ExactDecimal, UtcDateTime

revision = "0005_invoicing"
down_revision = "0004_catalog"
branch_labels = None
depends_on = None

_FROZEN_COLUMNS = (
    "subtotal",
    "tax_total",
    "total",
    "number",
    "series",
    "issued_at",
    "lines_digest",
    "inputs_digest",
    "customer_id",
    "currency",
    "period_start",
    "period_end",
    "due_on",
)

_SQLITE_TRIGGERS = (
    "CREATE TRIGGER trg_invoice_lines_no_update BEFORE UPDATE ON invoice_lines "
    "BEGIN SELECT RAISE(ABORT, 'invoice lines are immutable'); END",
    "CREATE TRIGGER trg_invoice_lines_no_delete BEFORE DELETE ON invoice_lines "
    "WHEN (SELECT status FROM invoices WHERE invoice_id = OLD.invoice_id) <> 'draft' "
    "BEGIN SELECT RAISE(ABORT, 'lines of an issued invoice are immutable'); END",
    "CREATE TRIGGER trg_invoices_frozen BEFORE UPDATE ON invoices WHEN OLD.status <> 'draft' AND ("
    + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FROZEN_COLUMNS)
    + ") BEGIN SELECT RAISE(ABORT, 'an issued invoice is immutable'); END",
    "CREATE TRIGGER trg_invoices_no_delete BEFORE DELETE ON invoices WHEN OLD.status <> 'draft' "
    "BEGIN SELECT RAISE(ABORT, 'an issued invoice is never deleted'); END",
    "CREATE TRIGGER trg_credit_notes_no_update BEFORE UPDATE ON credit_notes "
    "BEGIN SELECT RAISE(ABORT, 'credit notes are immutable'); END",
    "CREATE TRIGGER trg_credit_notes_no_delete BEFORE DELETE ON credit_notes "
    "BEGIN SELECT RAISE(ABORT, 'credit notes are immutable'); END",
    "CREATE TRIGGER trg_credit_note_lines_no_update BEFORE UPDATE ON credit_note_lines "
    "BEGIN SELECT RAISE(ABORT, 'credit notes are immutable'); END",
    "CREATE TRIGGER trg_credit_note_lines_no_delete BEFORE DELETE ON credit_note_lines "
    "BEGIN SELECT RAISE(ABORT, 'credit notes are immutable'); END",
)

_PG_FUNCTION = """
CREATE FUNCTION tally_invoicing_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME IN ('credit_notes', 'credit_note_lines') THEN
    RAISE EXCEPTION 'credit notes are immutable';
  ELSIF TG_TABLE_NAME = 'invoice_lines' THEN
    IF TG_OP = 'UPDATE' THEN
      RAISE EXCEPTION 'invoice lines are immutable';
    END IF;
    IF (SELECT status FROM invoices WHERE invoice_id = OLD.invoice_id) <> 'draft' THEN
      RAISE EXCEPTION 'lines of an issued invoice are immutable';
    END IF;
    RETURN OLD;
  ELSIF TG_TABLE_NAME = 'invoices' THEN
    IF OLD.status <> 'draft' THEN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'an issued invoice is never deleted';
      END IF;
      IF (@FROZEN@) THEN
        RAISE EXCEPTION 'an issued invoice is immutable';
      END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  RETURN NULL;
END $$
""".replace("@FROZEN@", " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _FROZEN_COLUMNS))

_PG_TRIGGERS = (
    "CREATE TRIGGER trg_invoice_lines_guard BEFORE UPDATE OR DELETE ON invoice_lines "
    "FOR EACH ROW EXECUTE FUNCTION tally_invoicing_guard()",
    "CREATE TRIGGER trg_invoices_guard BEFORE UPDATE OR DELETE ON invoices "
    "FOR EACH ROW EXECUTE FUNCTION tally_invoicing_guard()",
    "CREATE TRIGGER trg_credit_notes_guard BEFORE UPDATE OR DELETE ON credit_notes "
    "FOR EACH ROW EXECUTE FUNCTION tally_invoicing_guard()",
    "CREATE TRIGGER trg_credit_note_lines_guard BEFORE UPDATE OR DELETE ON credit_note_lines "
    "FOR EACH ROW EXECUTE FUNCTION tally_invoicing_guard()",
)


def upgrade() -> None:
    op.create_table(
        "document_counters",
        sa.Column("series", sa.String(64), primary_key=True),
        sa.Column("last_value", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "invoices",
        sa.Column("invoice_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("correction_no", sa.Integer, nullable=False),
        sa.Column(
            "corrects",
            sa.String(64),
            sa.ForeignKey("invoices.invoice_id", name="fk_invoices_corrects_invoices"),
            nullable=True,
        ),
        sa.Column("customer_id", sa.String(255), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("period_start", UtcDateTime, nullable=False),
        sa.Column("period_end", UtcDateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("series", sa.String(64), nullable=True),
        sa.Column("number", sa.String(64), nullable=True),
        sa.Column("issued_at", UtcDateTime, nullable=True),
        sa.Column("due_on", sa.Date, nullable=True),
        sa.Column("paid_at", UtcDateTime, nullable=True),
        sa.Column("voided_at", UtcDateTime, nullable=True),
        sa.Column("subtotal", ExactDecimal, nullable=False),
        sa.Column("tax_total", ExactDecimal, nullable=False),
        sa.Column("total", ExactDecimal, nullable=False),
        sa.Column("contract_version_id", sa.String(255), nullable=False),
        sa.Column("price_book_version_id", sa.String(255), nullable=False),
        sa.Column("usage_digest", sa.String(128), nullable=False),
        sa.Column("engine_version", sa.String(64), nullable=False),
        sa.Column("inputs_digest", sa.String(64), nullable=False),
        sa.Column("lines_digest", sa.String(64), nullable=False),
        sa.Column("credit_balances", sa.Text, nullable=False),
        sa.Column("rated_as_of", UtcDateTime, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("number", name="uq_invoices_number"),
        sa.UniqueConstraint(
            "customer_id",
            "period_start",
            "period_end",
            "kind",
            "correction_no",
            name="uq_invoices_period_doc",
        ),
    )
    op.create_index("ix_invoices_issued_at", "invoices", ["issued_at"])
    op.create_index("ix_invoices_period_start_status", "invoices", ["period_start", "status"])
    op.create_table(
        "invoice_lines",
        sa.Column(
            "invoice_id",
            sa.String(64),
            sa.ForeignKey("invoices.invoice_id", name="fk_invoice_lines_invoice_id_invoices"),
            nullable=False,
        ),
        sa.Column("line_no", sa.Integer, nullable=False),
        sa.Column("line_key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("product_code", sa.String(255), nullable=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("service_start", UtcDateTime, nullable=False),
        sa.Column("service_end", UtcDateTime, nullable=False),
        sa.Column("quantity", ExactDecimal, nullable=False),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("unit_price", ExactDecimal, nullable=True),
        sa.Column("amount", ExactDecimal, nullable=False),
        sa.Column("tax_jurisdiction", sa.String(64), nullable=True),
        sa.Column("tax_rate", ExactDecimal, nullable=False),
        sa.Column("tax_amount", ExactDecimal, nullable=False),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("price_version_id", sa.String(255), nullable=True),
        sa.Column("revenue_category", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id", "line_no", name="pk_invoice_lines"),
    )
    op.create_table(
        "credit_notes",
        sa.Column("credit_note_id", sa.String(64), primary_key=True),
        sa.Column(
            "invoice_id",
            sa.String(64),
            sa.ForeignKey("invoices.invoice_id", name="fk_credit_notes_invoice_id_invoices"),
            nullable=False,
        ),
        sa.Column("invoice_number", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(255), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("period_start", UtcDateTime, nullable=False),
        sa.Column("period_end", UtcDateTime, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("series", sa.String(64), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("issued_at", UtcDateTime, nullable=False),
        sa.Column("subtotal", ExactDecimal, nullable=False),
        sa.Column("tax_total", ExactDecimal, nullable=False),
        sa.Column("total", ExactDecimal, nullable=False),
        sa.UniqueConstraint("number", name="uq_credit_notes_number"),
    )
    op.create_index("ix_credit_notes_invoice_id", "credit_notes", ["invoice_id"])
    op.create_index("ix_credit_notes_issued_at", "credit_notes", ["issued_at"])
    op.create_table(
        "credit_note_lines",
        sa.Column(
            "credit_note_id",
            sa.String(64),
            sa.ForeignKey("credit_notes.credit_note_id", name="fk_credit_note_lines_credit_note_id_credit_notes"),
            nullable=False,
        ),
        sa.Column("line_no", sa.Integer, nullable=False),
        sa.Column("invoice_line_no", sa.Integer, nullable=True),
        sa.Column("line_key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("product_code", sa.String(255), nullable=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("service_start", UtcDateTime, nullable=False),
        sa.Column("service_end", UtcDateTime, nullable=False),
        sa.Column("quantity", ExactDecimal, nullable=False),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("amount", ExactDecimal, nullable=False),
        sa.Column("tax_jurisdiction", sa.String(64), nullable=True),
        sa.Column("tax_rate", ExactDecimal, nullable=False),
        sa.Column("tax_amount", ExactDecimal, nullable=False),
        sa.Column("revenue_category", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("credit_note_id", "line_no", name="pk_credit_note_lines"),
    )
    op.create_table(
        "billing_runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("period_start", UtcDateTime, nullable=False),
        sa.Column("period_end", UtcDateTime, nullable=False),
        sa.Column("issue", sa.Boolean, nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("finished_at", UtcDateTime, nullable=True),
        sa.Column("customers_seen", sa.Integer, nullable=False),
        sa.Column("drafted", sa.Integer, nullable=False),
        sa.Column("issued", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("failed", sa.Integer, nullable=False),
    )
    op.create_table(
        "billing_run_failures",
        sa.Column("seq", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "run_id",
            sa.String(64),
            sa.ForeignKey("billing_runs.run_id", name="fk_billing_run_failures_run_id_billing_runs"),
            nullable=False,
        ),
        sa.Column("customer_id", sa.String(255), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("failed_at", UtcDateTime, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for statement in _PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    for table in (
        "billing_run_failures",
        "billing_runs",
        "credit_note_lines",
        "credit_notes",
        "invoice_lines",
        "invoices",
        "document_counters",
    ):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS tally_invoicing_guard()")
