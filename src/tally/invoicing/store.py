"""The invoicing tables ↔ records. Makes no decisions and never commits; the unit of work does.

There is no UPDATE path for an issued invoice's lines or amounts: drafts are replaced while they
are drafts, issued invoices only change status (and the database triggers refuse anything else).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Connection, Row, and_, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tally.audit.canonical import canonical_json
from tally.errors import Conflict, InvariantViolation
from tally.invoicing.model import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    TaxAssessment,
    Totals,
)
from tally.money import Currency, Money, currency
from tally.period import Period
from tally.rating.model import CreditDrawdown, LineKind, RatingInputs, RatingStep
from tally.store.schema.invoicing import (
    billing_run_failures,
    billing_runs,
    credit_note_lines,
    credit_notes,
    document_counters,
    invoice_lines,
    invoices,
)


class DocumentCounters:
    """Gapless sequences per series. `next` must run inside the transaction that uses the number."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def lock(self, series: str) -> int:
        """Take the series' lock (creating its counter if new) and return the last number used.

        PostgreSQL: a row lock held to commit serialises issuers of one series. Every issuing
        transaction takes its series locks *before* locking any invoice row, so lock order is the
        same everywhere and issuers never deadlock. SQLite: BEGIN IMMEDIATE already serialises writers.
        """
        query = select(document_counters.c.last_value).where(document_counters.c.series == series)
        if self.connection.dialect.name == "postgresql":
            query = query.with_for_update()
        last = self.connection.execute(query).scalar_one_or_none()
        if last is None:
            maker = pg_insert if self.connection.dialect.name == "postgresql" else sqlite_insert
            self.connection.execute(maker(document_counters).values(series=series, last_value=0)
                                    .on_conflict_do_nothing(index_elements=["series"]))
            last = self.connection.execute(query).scalar_one()
        return int(last)

    def next(self, series: str) -> int:
        """The next number of `series`, in this transaction: gapless because it commits or rolls back with it."""
        return self.take(series, 1)

    def take(self, series: str, count: int) -> int:
        """Reserve `count` consecutive numbers of `series` in this transaction and return the first.

        One update for a whole billing batch; gapless like `next`, because the numbers commit or roll
        back with the documents that carry them.
        """
        if count < 1:
            raise InvariantViolation(f"take {count} numbers of {series}: at least one")
        last = self.lock(series)
        self.connection.execute(update(document_counters).where(document_counters.c.series == series)
                                .values(last_value=last + count))
        return last + 1

    def current(self, series: str) -> int:
        value = self.connection.execute(select(document_counters.c.last_value)
                                        .where(document_counters.c.series == series)).scalar_one_or_none()
        return int(value or 0)


class InvoiceStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    # --- reads ---

    def get(self, invoice_id: str, *, for_update: bool = False) -> Invoice | None:
        query = select(invoices).where(invoices.c.invoice_id == invoice_id)
        return self._one(query, for_update)

    def by_number(self, number: str, *, for_update: bool = False) -> Invoice | None:
        return self._one(select(invoices).where(invoices.c.number == number), for_update)

    def find(self, *, customer_id: str, period: Period, kind: InvoiceKind = InvoiceKind.REGULAR,
             correction_no: int = 0, for_update: bool = False) -> Invoice | None:
        query = select(invoices).where(and_(invoices.c.customer_id == customer_id,
                                            invoices.c.period_start == period.start,
                                            invoices.c.period_end == period.end, invoices.c.kind == kind.value,
                                            invoices.c.correction_no == correction_no))
        return self._one(query, for_update)

    def statuses_for(self, period: Period, customer_ids: Sequence[str]) -> dict[str, str]:
        """customer id → status of its regular invoice for `period` (lets a resumed run skip cheaply)."""
        rows = self.connection.execute(
            select(invoices.c.customer_id, invoices.c.status).where(and_(
                invoices.c.period_start == period.start, invoices.c.period_end == period.end,
                invoices.c.kind == InvoiceKind.REGULAR.value, invoices.c.correction_no == 0,
                invoices.c.customer_id.in_(list(customer_ids)))))
        return {row.customer_id: row.status for row in rows}

    def adjustments_of(self, invoice_id: str) -> tuple[Invoice, ...]:
        query = select(invoices).where(invoices.c.corrects == invoice_id).order_by(invoices.c.correction_no)
        return self._many(query)

    def next_correction_no(self, invoice: Invoice) -> int:
        value = self.connection.execute(
            select(func.max(invoices.c.correction_no)).where(and_(
                invoices.c.customer_id == invoice.customer_id, invoices.c.period_start == invoice.billing_period.start,
                invoices.c.period_end == invoice.billing_period.end))).scalar_one_or_none()
        return int(value or 0) + 1

    def list(self, *, period: Period | None = None, customer_id: str | None = None, status: str | None = None,
             issued_in: Period | None = None, limit: int = 100, offset: int = 0) -> tuple[Invoice, ...]:
        query = select(invoices)
        if period is not None:
            query = query.where(invoices.c.period_start == period.start, invoices.c.period_end == period.end)
        if customer_id is not None:
            query = query.where(invoices.c.customer_id == customer_id)
        if status is not None:
            query = query.where(invoices.c.status == status)
        if issued_in is not None:
            query = query.where(invoices.c.issued_at >= issued_in.start, invoices.c.issued_at < issued_in.end)
        query = query.order_by(invoices.c.period_start, invoices.c.customer_id, invoices.c.correction_no,
                               invoices.c.invoice_id).limit(limit).offset(offset)
        return self._many(query)

    def _one(self, query: Any, for_update: bool) -> Invoice | None:
        if for_update and self.connection.dialect.name == "postgresql":
            query = query.with_for_update()
        found = self._many(query)
        return found[0] if found else None

    def _many(self, query: Any) -> tuple[Invoice, ...]:
        rows = list(self.connection.execute(query))
        if not rows:
            return ()
        lines: dict[str, list[Row[Any]]] = defaultdict(list)
        ids = [row.invoice_id for row in rows]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for line in self.connection.execute(select(invoice_lines).where(invoice_lines.c.invoice_id.in_(chunk))
                                                .order_by(invoice_lines.c.invoice_id, invoice_lines.c.line_no)):
                lines[line.invoice_id].append(line)
        return tuple(_invoice(row, lines[row.invoice_id]) for row in rows)

    # --- writes ---

    def add(self, invoice: Invoice, *, at: datetime) -> None:
        self.add_many((invoice,), at=at)

    def add_many(self, new: Sequence[Invoice], *, at: datetime) -> None:
        """Insert invoices and their lines: one statement for the invoices and one for all their lines."""
        if not new:
            return
        self.connection.execute(insert(invoices), [{**_invoice_row(invoice), "updated_at": at} for invoice in new])
        lines = [_line_row(invoice.invoice_id, ln) for invoice in new for ln in invoice.lines]
        if lines:
            self.connection.execute(insert(invoice_lines), lines)

    def replace_draft(self, invoice: Invoice, *, at: datetime) -> None:
        """Recompute a draft: new lines and amounts. Refuses anything that is not a draft."""
        result = self.connection.execute(
            update(invoices).where(and_(invoices.c.invoice_id == invoice.invoice_id,
                                        invoices.c.status == InvoiceStatus.DRAFT.value))
            .values(**{k: v for k, v in _invoice_row(invoice).items() if k not in ("invoice_id", "created_at")},
                    updated_at=at))
        if result.rowcount != 1:
            raise Conflict(f"invoice {invoice.invoice_id} is no longer a draft; it cannot be recomputed")
        self.connection.execute(delete(invoice_lines).where(invoice_lines.c.invoice_id == invoice.invoice_id))
        self._insert_lines(invoice)

    def mark_issued(self, invoice: Invoice, *, at: datetime) -> None:
        if invoice.status is not InvoiceStatus.ISSUED:
            raise InvariantViolation(f"mark_issued got a {invoice.status} invoice")
        result = self.connection.execute(
            update(invoices).where(and_(invoices.c.invoice_id == invoice.invoice_id,
                                        invoices.c.status == InvoiceStatus.DRAFT.value,
                                        invoices.c.lines_digest == invoice.lines_digest))
            .values(status=invoice.status.value, series=invoice.series, number=invoice.number,
                    issued_at=invoice.issued_at, due_on=invoice.due_on, updated_at=at))
        if result.rowcount != 1:
            raise Conflict(f"invoice {invoice.invoice_id} changed while it was being issued")

    def change_status(self, invoice: Invoice, *, previous: InvoiceStatus, at: datetime) -> None:
        """Record paid or void: the only change an issued invoice ever sees."""
        result = self.connection.execute(
            update(invoices).where(and_(invoices.c.invoice_id == invoice.invoice_id,
                                        invoices.c.status == previous.value))
            .values(status=invoice.status.value, paid_at=invoice.paid_at, voided_at=invoice.voided_at, updated_at=at))
        if result.rowcount != 1:
            raise Conflict(f"invoice {invoice.label} changed concurrently; retry")

    def _insert_lines(self, invoice: Invoice) -> None:
        if invoice.lines:
            self.connection.execute(insert(invoice_lines), [_line_row(invoice.invoice_id, ln) for ln in invoice.lines])


class CreditNoteStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(self, note: CreditNote) -> None:
        self.connection.execute(insert(credit_notes).values(
            credit_note_id=note.credit_note_id, invoice_id=note.invoice_id, invoice_number=note.invoice_number,
            customer_id=note.customer_id,
            currency=note.currency.code, period_start=note.billing_period.start, period_end=note.billing_period.end,
            reason=note.reason, series=note.series, number=note.number, issued_at=note.issued_at,
            subtotal=note.totals.subtotal.amount, tax_total=note.totals.tax_total.amount,
            total=note.totals.total.amount))
        self.connection.execute(insert(credit_note_lines), [{
            "credit_note_id": note.credit_note_id, "line_no": ln.line_no, "invoice_line_no": ln.invoice_line_no,
            "line_key": ln.line_key, "kind": ln.kind.value, "product_code": ln.product_code,
            "description": ln.description, "service_start": ln.service_period.start,
            "service_end": ln.service_period.end, "quantity": ln.quantity, "unit": ln.unit,
            "amount": ln.amount.amount, "tax_jurisdiction": ln.tax.jurisdiction, "tax_rate": ln.tax.rate,
            "tax_amount": ln.tax.amount.amount, "revenue_category": ln.revenue_category} for ln in note.lines])

    def for_invoice(self, invoice_id: str) -> tuple[CreditNote, ...]:
        return self._many(select(credit_notes).where(credit_notes.c.invoice_id == invoice_id)
                          .order_by(credit_notes.c.issued_at, credit_notes.c.number))

    def by_number(self, number: str) -> CreditNote | None:
        found = self._many(select(credit_notes).where(credit_notes.c.number == number))
        return found[0] if found else None

    def list(self, *, issued_in: Period | None = None, period: Period | None = None,
             limit: int = 100, offset: int = 0) -> tuple[CreditNote, ...]:
        query = select(credit_notes)
        if issued_in is not None:
            query = query.where(credit_notes.c.issued_at >= issued_in.start, credit_notes.c.issued_at < issued_in.end)
        if period is not None:
            query = query.where(credit_notes.c.period_start == period.start, credit_notes.c.period_end == period.end)
        return self._many(query.order_by(credit_notes.c.issued_at, credit_notes.c.number).limit(limit).offset(offset))

    def _many(self, query: Any) -> tuple[CreditNote, ...]:
        rows = list(self.connection.execute(query))
        if not rows:
            return ()
        lines: dict[str, list[Row[Any]]] = defaultdict(list)
        ids = [r.credit_note_id for r in rows]
        for line in self.connection.execute(
                select(credit_note_lines).where(credit_note_lines.c.credit_note_id.in_(ids))
                .order_by(credit_note_lines.c.credit_note_id, credit_note_lines.c.line_no)):
            lines[line.credit_note_id].append(line)
        return tuple(_credit_note(row, lines[row.credit_note_id]) for row in rows)


class BillingRunStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def start(self, *, run_id: str, period: Period, issue: bool, actor: str, at: datetime) -> None:
        self.connection.execute(insert(billing_runs).values(
            run_id=run_id, period_start=period.start, period_end=period.end, issue=issue, actor=actor,
            started_at=at, finished_at=None, customers_seen=0, drafted=0, issued=0, unchanged=0, failed=0))

    def finish(self, *, run_id: str, at: datetime, customers_seen: int, drafted: int, issued: int, unchanged: int,
               failed: int) -> None:
        self.connection.execute(update(billing_runs).where(billing_runs.c.run_id == run_id).values(
            finished_at=at, customers_seen=customers_seen, drafted=drafted, issued=issued, unchanged=unchanged,
            failed=failed))

    def add_failures(self, run_id: str, failures: Sequence[tuple[str, str, str]], *, at: datetime) -> None:
        if failures:
            self.connection.execute(insert(billing_run_failures), [
                {"run_id": run_id, "customer_id": c, "code": code, "detail": detail, "failed_at": at}
                for c, code, detail in failures])


# --- row ↔ record ---


def _invoice_row(invoice: Invoice) -> dict[str, Any]:
    return {
        "invoice_id": invoice.invoice_id, "kind": invoice.kind.value, "correction_no": invoice.correction_no,
        "corrects": invoice.corrects, "customer_id": invoice.customer_id, "currency": invoice.currency.code,
        "period_start": invoice.billing_period.start, "period_end": invoice.billing_period.end,
        "status": invoice.status.value, "series": invoice.series, "number": invoice.number,
        "issued_at": invoice.issued_at, "due_on": invoice.due_on, "paid_at": invoice.paid_at,
        "voided_at": invoice.voided_at, "subtotal": invoice.totals.subtotal.amount,
        "tax_total": invoice.totals.tax_total.amount, "total": invoice.totals.total.amount,
        "contract_version_id": invoice.inputs.contract_version_id,
        "price_book_version_id": invoice.inputs.price_book_version_id, "usage_digest": invoice.inputs.usage_digest,
        "engine_version": invoice.inputs.engine_version, "inputs_digest": invoice.inputs_digest,
        "lines_digest": invoice.lines_digest, "credit_balances": canonical_json(invoice.credit_balances),
        "rated_as_of": invoice.rated_as_of, "created_at": invoice.created_at,
    }


def _line_row(invoice_id: str, line: InvoiceLine) -> dict[str, Any]:
    return {
        "invoice_id": invoice_id, "line_no": line.line_no, "line_key": line.line_key, "kind": line.kind.value,
        "product_code": line.product_code, "description": line.description,
        "service_start": line.service_period.start, "service_end": line.service_period.end,
        "quantity": line.quantity, "unit": line.unit, "unit_price": line.unit_price, "amount": line.amount.amount,
        "tax_jurisdiction": line.tax.jurisdiction, "tax_rate": line.tax.rate, "tax_amount": line.tax.amount.amount,
        "explanation": canonical_json(line.explanation), "price_version_id": line.price_version_id,
        "revenue_category": line.revenue_category,
    }


def _money(amount: Decimal, cur: Currency) -> Money:
    return Money(amount, cur)


def _totals(row: Row[Any], cur: Currency) -> Totals:
    return Totals(subtotal=_money(row.subtotal, cur), tax_total=_money(row.tax_total, cur),
                  total=_money(row.total, cur))


def _steps(text: str) -> tuple[RatingStep, ...]:
    return tuple(RatingStep(description=s["description"], quantity=Decimal(s["quantity"]),
                            unit_price=Decimal(s["unit_price"]), amount=Decimal(s["amount"]))
                 for s in orjson.loads(text))


def _drawdowns(text: str, cur: Currency) -> tuple[CreditDrawdown, ...]:
    def money(value: Any) -> Money:
        return Money(Decimal(value["amount"]), currency(value["currency"]["code"]))
    _ = cur
    return tuple(CreditDrawdown(credit_id=d["credit_id"], amount=money(d["amount"]), remaining=money(d["remaining"]))
                 for d in orjson.loads(text))


def _invoice(row: Row[Any], lines: Iterable[Row[Any]]) -> Invoice:
    cur = currency(row.currency)
    return Invoice(
        invoice_id=row.invoice_id, kind=InvoiceKind(row.kind), correction_no=row.correction_no,
        corrects=row.corrects, customer_id=row.customer_id, currency=cur,
        billing_period=Period(row.period_start, row.period_end), status=InvoiceStatus(row.status),
        lines=tuple(InvoiceLine(
            line_no=ln.line_no, line_key=ln.line_key, kind=LineKind(ln.kind), product_code=ln.product_code,
            description=ln.description, service_period=Period(ln.service_start, ln.service_end),
            quantity=ln.quantity, unit=ln.unit, unit_price=ln.unit_price, amount=_money(ln.amount, cur),
            tax=TaxAssessment(jurisdiction=ln.tax_jurisdiction, rate=ln.tax_rate, amount=_money(ln.tax_amount, cur)),
            explanation=_steps(ln.explanation), price_version_id=ln.price_version_id,
            revenue_category=ln.revenue_category) for ln in lines),
        totals=_totals(row, cur),
        inputs=RatingInputs(contract_version_id=row.contract_version_id,
                            price_book_version_id=row.price_book_version_id, usage_digest=row.usage_digest,
                            engine_version=row.engine_version),
        inputs_digest=row.inputs_digest, lines_digest=row.lines_digest,
        credit_balances=_drawdowns(row.credit_balances, cur), rated_as_of=row.rated_as_of, created_at=row.created_at,
        series=row.series, number=row.number, issued_at=row.issued_at, due_on=row.due_on, paid_at=row.paid_at,
        voided_at=row.voided_at)


def _credit_note(row: Row[Any], lines: Iterable[Row[Any]]) -> CreditNote:
    cur = currency(row.currency)
    return CreditNote(
        credit_note_id=row.credit_note_id, invoice_id=row.invoice_id, invoice_number=row.invoice_number,
        customer_id=row.customer_id, currency=cur, billing_period=Period(row.period_start, row.period_end),
        reason=row.reason, series=row.series, number=row.number, issued_at=row.issued_at,
        lines=tuple(CreditNoteLine(
            line_no=ln.line_no, invoice_line_no=ln.invoice_line_no, line_key=ln.line_key, kind=LineKind(ln.kind),
            product_code=ln.product_code, description=ln.description,
            service_period=Period(ln.service_start, ln.service_end), quantity=ln.quantity, unit=ln.unit,
            amount=_money(ln.amount, cur),
            tax=TaxAssessment(jurisdiction=ln.tax_jurisdiction, rate=ln.tax_rate, amount=_money(ln.tax_amount, cur)),
            revenue_category=ln.revenue_category) for ln in lines),
        totals=_totals(row, cur))
