"""Records of the invoicing stage: frozen dataclasses, no I/O.

An invoice is built from one `RatingResult` (one customer, one billing period, one currency);
its totals are sums of its rounded lines. Issued invoices and credit notes are facts: they are
never edited, only followed by new records (paid, void, credit note, adjustment invoice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from tally.errors import InvariantViolation
from tally.money import Currency, Money, sum_money
from tally.period import Period
from tally.rating.model import CreditDrawdown, LineKind, RatingInputs, RatingStep


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    PAID = "paid"
    VOID = "void"


class InvoiceKind(StrEnum):
    REGULAR = "regular"  # the one invoice of a customer's billing period
    ADJUSTMENT = "adjustment"  # bills what a correction found under-billed; points at the regular one


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


@dataclass(frozen=True, slots=True, kw_only=True)
class TaxAssessment:
    """The tax on one line: the rate applied, where, and the amount rounded once at the line."""

    jurisdiction: str | None
    rate: Decimal
    amount: Money


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceLine:
    """One line of an invoice: a rated line plus its tax. `amount` is net and rounded."""

    line_no: int
    line_key: str
    kind: LineKind
    product_code: str | None
    description: str
    service_period: Period
    quantity: Decimal
    unit: str
    unit_price: Decimal | None
    amount: Money
    tax: TaxAssessment
    explanation: tuple[RatingStep, ...]
    price_version_id: str | None
    revenue_category: str

    @property
    def total(self) -> Money:
        return self.amount + self.tax.amount


@dataclass(frozen=True, slots=True, kw_only=True)
class Totals:
    subtotal: Money
    tax_total: Money
    total: Money


def totals_of(lines: tuple[InvoiceLine, ...], currency: Currency) -> Totals:
    """Totals are sums of rounded lines: never a rounding of a sum."""
    for line in lines:
        if line.amount.currency != currency or line.tax.amount.currency != currency:
            raise InvariantViolation(f"line {line.line_no} is not in {currency.code}")
        if not (line.amount.is_rounded and line.tax.amount.is_rounded):
            raise InvariantViolation(f"line {line.line_no} is not rounded to {currency.code} minor units")
    subtotal = sum_money((line.amount for line in lines), currency)
    tax_total = sum_money((line.tax.amount for line in lines), currency)
    return Totals(subtotal=subtotal, tax_total=tax_total, total=subtotal + tax_total)


def check_totals(document_id: str, lines: tuple[InvoiceLine, ...], currency: Currency, totals: Totals) -> None:
    """Raise `InvariantViolation` unless the stored totals equal the sums of the rounded lines."""
    expected = totals_of(lines, currency)
    if expected != totals:
        raise InvariantViolation(
            f"{document_id}: totals {totals.subtotal}/{totals.tax_total}/{totals.total} differ from the sum of "
            f"its lines {expected.subtotal}/{expected.tax_total}/{expected.total}")
    numbers = [line.line_no for line in lines]
    if numbers != list(range(1, len(lines) + 1)):
        raise InvariantViolation(f"{document_id}: line numbers {numbers} are not 1..{len(lines)}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Invoice:
    invoice_id: str
    kind: InvoiceKind
    correction_no: int  # 0 for the regular invoice, 1.. for adjustment invoices of the same period
    corrects: str | None  # the invoice an adjustment invoice corrects
    customer_id: str
    currency: Currency
    billing_period: Period
    status: InvoiceStatus
    lines: tuple[InvoiceLine, ...]
    totals: Totals
    inputs: RatingInputs
    inputs_digest: str
    lines_digest: str
    credit_balances: tuple[CreditDrawdown, ...]  # prepaid credits drawn, with the balance left
    rated_as_of: datetime  # rating saw usage received up to this instant
    created_at: datetime
    series: str | None = None
    number: str | None = None
    issued_at: datetime | None = None
    due_on: date | None = None
    paid_at: datetime | None = None
    voided_at: datetime | None = None

    def __post_init__(self) -> None:
        check_totals(self.invoice_id, self.lines, self.currency, self.totals)
        if self.status is not InvoiceStatus.DRAFT and (self.number is None or self.issued_at is None):
            raise InvariantViolation(f"invoice {self.invoice_id} is {self.status} without a number")

    @property
    def label(self) -> str:
        return self.number or f"draft {self.invoice_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditNoteLine:
    """A line of a credit note: positive amounts that reduce what the invoice line billed."""

    line_no: int
    invoice_line_no: int | None
    line_key: str
    kind: LineKind
    product_code: str | None
    description: str
    service_period: Period
    quantity: Decimal
    unit: str
    amount: Money  # net, rounded, positive: the amount credited
    tax: TaxAssessment
    revenue_category: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditNote:
    credit_note_id: str
    invoice_id: str
    invoice_number: str
    customer_id: str
    currency: Currency
    billing_period: Period
    reason: str
    series: str
    number: str
    issued_at: datetime
    lines: tuple[CreditNoteLine, ...]
    totals: Totals

    def __post_init__(self) -> None:
        as_invoice_lines = tuple(_as_line(line) for line in self.lines)
        check_totals(self.credit_note_id, as_invoice_lines, self.currency, self.totals)
        if self.totals.subtotal.amount < 0:
            raise InvariantViolation(f"credit note {self.number} credits a negative amount")


def _as_line(line: CreditNoteLine) -> InvoiceLine:
    return InvoiceLine(line_no=line.line_no, line_key=line.line_key, kind=line.kind, product_code=line.product_code,
                       description=line.description, service_period=line.service_period, quantity=line.quantity,
                       unit=line.unit, unit_price=None, amount=line.amount, tax=line.tax, explanation=(),
                       price_version_id=None, revenue_category=line.revenue_category)


@dataclass(frozen=True, slots=True, kw_only=True)
class LineDifference:
    """How one line differs between what was billed and a recomputation (zero where absent)."""

    line_key: str
    description: str
    billed_quantity: Decimal
    recomputed_quantity: Decimal
    billed_amount: Money
    recomputed_amount: Money

    @property
    def amount_delta(self) -> Money:
        return self.recomputed_amount - self.billed_amount

    @property
    def quantity_delta(self) -> Decimal:
        return self.recomputed_quantity - self.billed_quantity


# --- the seam to the ledger (docs/SEAMS.md): issued invoices and credit notes, posted once each ---


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedDocumentLine:
    line_no: int
    kind: LineKind
    product_code: str | None
    revenue_category: str
    service_period: Period
    quantity: Decimal
    amount: Money  # net, rounded; positive on a credit note means "this much is taken back"
    tax_amount: Money


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedDocument:
    document_id: str
    kind: DocumentKind
    number: str
    customer_id: str
    currency: Currency
    issued_at: datetime
    billing_period: Period
    corrects: str | None  # credit note → invoice id it credits; adjustment invoice → invoice it corrects
    lines: tuple[IssuedDocumentLine, ...]
    subtotal: Money
    tax_total: Money
    total: Money
