"""Build an invoice from a rating result: one line per rated line, tax per line, totals from lines.

Pure: ids and times are handed in. Never rounds money itself except through the tax calculator,
which rounds each line's tax once.
"""

from __future__ import annotations

from datetime import datetime

from tally.audit.canonical import digest
from tally.errors import InvariantViolation
from tally.invoicing.model import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, totals_of
from tally.invoicing.tax import TaxCalculator, plain
from tally.money import Money
from tally.rating.model import RatingResult


def invoice_lines(result: RatingResult, tax: TaxCalculator) -> tuple[InvoiceLine, ...]:
    """Lines in the rating's order, numbered from 1, each with its tax."""
    lines: list[InvoiceLine] = []
    seen: set[str] = set()
    for no, rated in enumerate(result.lines, start=1):
        if rated.amount.currency != result.currency:
            raise InvariantViolation(f"rated line {rated.line_key} is in {rated.amount.currency.code}, "
                                     f"the rating in {result.currency.code}")
        if not rated.amount.is_rounded:
            raise InvariantViolation(f"rated line {rated.line_key} amount {rated.amount.amount} is not rounded")
        if rated.customer_id != result.customer_id:
            raise InvariantViolation(f"rated line {rated.line_key} belongs to {rated.customer_id}")
        if rated.line_key in seen:
            raise InvariantViolation(f"rated line key {rated.line_key} appears twice")
        seen.add(rated.line_key)
        lines.append(InvoiceLine(
            line_no=no, line_key=rated.line_key, kind=rated.kind, product_code=rated.product_code,
            description=rated.description, service_period=rated.service_period, quantity=plain(rated.quantity),
            unit=rated.unit, unit_price=rated.unit_price, amount=Money(plain(rated.amount.amount), result.currency),
            tax=tax.assess(rated),
            explanation=rated.explanation, price_version_id=rated.price_version_id,
            revenue_category=rated.revenue_category))
    return tuple(lines)


def lines_digest(lines: tuple[InvoiceLine, ...]) -> str:
    return digest(lines)


def draft_invoice(result: RatingResult, *, invoice_id: str, tax: TaxCalculator, created_at: datetime,
                  rated_as_of: datetime, kind: InvoiceKind = InvoiceKind.REGULAR, correction_no: int = 0,
                  corrects: str | None = None) -> Invoice:
    """A draft invoice for one customer and billing period, checked: totals = sums of rounded lines."""
    lines = invoice_lines(result, tax)
    return Invoice(
        invoice_id=invoice_id, kind=kind, correction_no=correction_no, corrects=corrects,
        customer_id=result.customer_id, currency=result.currency, billing_period=result.billing_period,
        status=InvoiceStatus.DRAFT, lines=lines, totals=totals_of(lines, result.currency), inputs=result.inputs,
        inputs_digest=digest(result.inputs), lines_digest=lines_digest(lines),
        credit_balances=result.credit_drawdowns, rated_as_of=rated_as_of, created_at=created_at)
