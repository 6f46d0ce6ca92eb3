"""The invoice lifecycle: draft → issued → paid | void. Illegal moves raise `IllegalTransition`.

Pure: returns new records; the service stores them. Never reads the clock.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from tally.invoicing.errors import IllegalTransition
from tally.invoicing.model import Invoice, InvoiceStatus

ALLOWED: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    InvoiceStatus.DRAFT: frozenset({InvoiceStatus.ISSUED}),
    InvoiceStatus.ISSUED: frozenset({InvoiceStatus.PAID, InvoiceStatus.VOID}),
    InvoiceStatus.PAID: frozenset(),
    InvoiceStatus.VOID: frozenset(),
}


def _require(invoice: Invoice, target: InvoiceStatus, action: str) -> None:
    if target not in ALLOWED[invoice.status]:
        raise IllegalTransition(invoice.label, invoice.status.value, action)


def issue(draft: Invoice, *, series: str, number: str, issued_at: datetime, payment_terms_days: int) -> Invoice:
    """Freeze a draft under its number; the due date follows from the payment terms."""
    _require(draft, InvoiceStatus.ISSUED, "issue")
    due_on = (issued_at + timedelta(days=payment_terms_days)).date()
    return replace(draft, status=InvoiceStatus.ISSUED, series=series, number=number, issued_at=issued_at,
                   due_on=due_on)


def pay(invoice: Invoice, *, paid_at: datetime) -> Invoice:
    _require(invoice, InvoiceStatus.PAID, "mark paid")
    return replace(invoice, status=InvoiceStatus.PAID, paid_at=paid_at)


def void(invoice: Invoice, *, voided_at: datetime) -> Invoice:
    _require(invoice, InvoiceStatus.VOID, "void")
    return replace(invoice, status=InvoiceStatus.VOID, voided_at=voided_at)


def can_recompute(invoice: Invoice) -> bool:
    """Only drafts follow late usage; issued invoices are corrected by new documents."""
    return invoice.status is InvoiceStatus.DRAFT
