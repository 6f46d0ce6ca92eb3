"""Use cases that turn stored documents into files: render one (HTML/PDF), export a period (CSV/JSON)."""

from __future__ import annotations

from dataclasses import dataclass

from tally.errors import InvalidInput
from tally.invoicing import render, service
from tally.invoicing.config import BillingConfig
from tally.invoicing.errors import InvoiceNotFound
from tally.invoicing.store import CreditNoteStore, InvoiceStore
from tally.period import Period
from tally.store.uow import UnitOfWorkFactory

FORMATS = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
EXPORT_FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderedDocument:
    filename: str
    media_type: str
    content: bytes


def render_document(uow_factory: UnitOfWorkFactory, ref: str, *, config: BillingConfig,
                    fmt: str) -> RenderedDocument:
    """An invoice (by number or id) or a credit note (by number) as HTML or PDF."""
    if fmt not in FORMATS:
        raise InvalidInput("format", f"must be one of {', '.join(FORMATS)}, got {fmt!r}")
    with uow_factory() as uow:
        invoices = InvoiceStore(uow.connection)
        invoice = invoices.get(ref) or invoices.by_number(ref)
        note = None if invoice is not None else CreditNoteStore(uow.connection).by_number(ref)
    if invoice is not None:
        view = render.invoice_view(invoice, config)
        stamp = invoice.issued_at or invoice.created_at
        name = invoice.number or invoice.invoice_id
    elif note is not None:
        view = render.credit_note_view(note, config)
        stamp, name = note.issued_at, note.number
    else:
        raise InvoiceNotFound(ref)
    content = render.render_html(view).encode() if fmt == "html" else render.render_pdf(view, created_at=stamp)
    return RenderedDocument(filename=f"{name}.{fmt}", media_type=FORMATS[fmt], content=content)


def export_documents(uow_factory: UnitOfWorkFactory, *, period: Period, fmt: str) -> str:
    """Every invoice and credit note of a billing period, with their lines."""
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput("format", f"must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    invoices, notes = service.export_period(uow_factory, period)
    if fmt == "csv":
        return render.export_csv(render.export_rows(invoices, notes))
    return render.export_json(invoices, notes)
