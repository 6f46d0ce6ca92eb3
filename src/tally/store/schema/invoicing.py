"""Tables owned by the invoicing stage.

Issued invoices and credit notes are facts: lines are inserted once and never updated (a trigger
refuses UPDATE on lines, and DELETE of lines of an invoice that is no longer a draft).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from tally.store.schema.base import BigId, metadata
from tally.store.types import ExactDecimal, UtcDateTime

document_counters = Table(
    "document_counters",
    metadata,
    Column("series", String(64), primary_key=True),  # "TLY-2026", "TLY-CN-2026"
    Column("last_value", BigInteger, nullable=False),
)

invoices = Table(
    "invoices",
    metadata,
    Column("invoice_id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("correction_no", Integer, nullable=False),
    Column("corrects", String(64), ForeignKey("invoices.invoice_id"), nullable=True),
    Column("customer_id", String(255), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("period_start", UtcDateTime, nullable=False),
    Column("period_end", UtcDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("series", String(64), nullable=True),
    Column("number", String(64), nullable=True),
    Column("issued_at", UtcDateTime, nullable=True),
    Column("due_on", Date, nullable=True),
    Column("paid_at", UtcDateTime, nullable=True),
    Column("voided_at", UtcDateTime, nullable=True),
    Column("subtotal", ExactDecimal, nullable=False),
    Column("tax_total", ExactDecimal, nullable=False),
    Column("total", ExactDecimal, nullable=False),
    Column("contract_version_id", String(255), nullable=False),
    Column("price_book_version_id", String(255), nullable=False),
    Column("usage_digest", String(128), nullable=False),
    Column("engine_version", String(64), nullable=False),
    Column("inputs_digest", String(64), nullable=False),
    Column("lines_digest", String(64), nullable=False),
    Column("credit_balances", Text, nullable=False),  # canonical JSON of the credit drawdowns
    Column("rated_as_of", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # one regular invoice per customer and period; adjustments numbered 1.. beside it
    UniqueConstraint("customer_id", "period_start", "period_end", "kind", "correction_no",
                     name="uq_invoices_period_doc"),
    UniqueConstraint("number"),
    Index(None, "period_start", "status"),
    Index(None, "issued_at"),
)

invoice_lines = Table(
    "invoice_lines",
    metadata,
    Column("invoice_id", String(64), ForeignKey("invoices.invoice_id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("line_key", String(255), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("product_code", String(255), nullable=True),
    Column("description", Text, nullable=False),
    Column("service_start", UtcDateTime, nullable=False),
    Column("service_end", UtcDateTime, nullable=False),
    Column("quantity", ExactDecimal, nullable=False),
    Column("unit", String(64), nullable=False),
    Column("unit_price", ExactDecimal, nullable=True),
    Column("amount", ExactDecimal, nullable=False),
    Column("tax_jurisdiction", String(64), nullable=True),
    Column("tax_rate", ExactDecimal, nullable=False),
    Column("tax_amount", ExactDecimal, nullable=False),
    Column("explanation", Text, nullable=False),  # canonical JSON of the rating steps
    Column("price_version_id", String(255), nullable=True),
    Column("revenue_category", String(64), nullable=False),
    PrimaryKeyConstraint("invoice_id", "line_no"),
)

credit_notes = Table(
    "credit_notes",
    metadata,
    Column("credit_note_id", String(64), primary_key=True),
    Column("invoice_id", String(64), ForeignKey("invoices.invoice_id"), nullable=False),
    Column("invoice_number", String(64), nullable=False),
    Column("customer_id", String(255), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("period_start", UtcDateTime, nullable=False),
    Column("period_end", UtcDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("series", String(64), nullable=False),
    Column("number", String(64), nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("subtotal", ExactDecimal, nullable=False),
    Column("tax_total", ExactDecimal, nullable=False),
    Column("total", ExactDecimal, nullable=False),
    UniqueConstraint("number"),
    Index(None, "invoice_id"),
    Index(None, "issued_at"),
)

credit_note_lines = Table(
    "credit_note_lines",
    metadata,
    Column("credit_note_id", String(64), ForeignKey("credit_notes.credit_note_id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("invoice_line_no", Integer, nullable=True),
    Column("line_key", String(255), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("product_code", String(255), nullable=True),
    Column("description", Text, nullable=False),
    Column("service_start", UtcDateTime, nullable=False),
    Column("service_end", UtcDateTime, nullable=False),
    Column("quantity", ExactDecimal, nullable=False),
    Column("unit", String(64), nullable=False),
    Column("amount", ExactDecimal, nullable=False),
    Column("tax_jurisdiction", String(64), nullable=True),
    Column("tax_rate", ExactDecimal, nullable=False),
    Column("tax_amount", ExactDecimal, nullable=False),
    Column("revenue_category", String(64), nullable=False),
    PrimaryKeyConstraint("credit_note_id", "line_no"),
)

billing_runs = Table(
    "billing_runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("period_start", UtcDateTime, nullable=False),
    Column("period_end", UtcDateTime, nullable=False),
    Column("issue", Boolean, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("customers_seen", Integer, nullable=False),
    Column("drafted", Integer, nullable=False),
    Column("issued", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
)

billing_run_failures = Table(
    "billing_run_failures",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("run_id", String(64), ForeignKey("billing_runs.run_id"), nullable=False),
    Column("customer_id", String(255), nullable=False),
    Column("code", String(64), nullable=False),
    Column("detail", Text, nullable=False),
    Column("failed_at", UtcDateTime, nullable=False),
)
