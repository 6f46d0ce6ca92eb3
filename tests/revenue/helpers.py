"""Builders for issued documents and a compact view of journal entries."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from tally.invoicing.model import DocumentKind, IssuedDocument, IssuedDocumentLine
from tally.ledger.model import JournalEntry
from tally.money import Money, sum_money
from tally.period import Period
from tally.rating.model import LineKind

NOV = Period.month("2026-11")


def usd(text: str) -> Money:
    return Money.of(text, "USD")


def line(no: int, kind: LineKind, amount: str, *, product: str | None = None, category: str = "general",
         tax: str = "0.00", service: Period = NOV) -> IssuedDocumentLine:
    return IssuedDocumentLine(line_no=no, kind=kind, product_code=product, revenue_category=category,
                              service_period=service, quantity=Decimal(1), amount=usd(amount), tax_amount=usd(tax))


def document(*lines: IssuedDocumentLine, kind: DocumentKind = DocumentKind.INVOICE, doc_id: str = "inv_1",
             number: str = "TLY-2026-000001", issued_at: datetime = datetime(2026, 12, 2, 9, tzinfo=UTC),
             corrects: str | None = None) -> IssuedDocument:
    cur = usd("0").currency
    subtotal = sum_money((ln.amount for ln in lines), cur)
    tax = sum_money((ln.tax_amount for ln in lines), cur)
    return IssuedDocument(document_id=doc_id, kind=kind, number=number, customer_id="acme", currency=cur,
                          issued_at=issued_at, billing_period=NOV, corrects=corrects, lines=lines,
                          subtotal=subtotal, tax_total=tax, total=subtotal + tax)


def view(entry: JournalEntry | None) -> list[tuple[str, str, str]]:
    """(account, debit, credit) per line: how the tests spell out the expected journal entry."""
    assert entry is not None
    return [(ln.account, ln.debit.text(), ln.credit.text()) for ln in entry.lines]
