"""Posting an issued invoice or credit note: receivables, tax, revenue, deferrals, credits drawn.

Rules (amounts signed: a credit note posts the mirror image of an invoice, in the period it is issued):
- usage lines: the customer-month's unbilled balance per product line is reclassified to receivables;
  any difference between what is billed and what was recognised daily is revenue now;
- recurring fees: deferred revenue, with a schedule released day by day over the service period;
- discounts: allocated to the lines they apply to (same product, else same product line, else all),
  pro rata by amount with `allocate`; on a fee they reduce its schedule, otherwise contra-revenue;
- commitment true-ups: revenue, allocated to the usage lines of the same product (line) pro rata;
- prepaid money credit applied: the credit liability pays that part of the receivable; prepaid units
  of a product (no money was recorded for them) are contra-revenue of that product;
- tax: tax payable. Never reads the clock or the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

from tally.errors import InvariantViolation
from tally.invoicing.model import DocumentKind, IssuedDocument, IssuedDocumentLine
from tally.ledger.model import (
    AR,
    DEFERRED,
    PREPAID,
    TAX,
    UNBILLED,
    JournalEntry,
    JournalLine,
    cr,
    discount_account,
    dr,
    make_entry,
    revenue_account,
)
from tally.money import Money, Rounding, allocate
from tally.rating.model import LineKind
from tally.revenue.model import Schedule, schedule_id_for
from tally.revenue.usage import unbilled_ref

ROUNDING = Rounding.HALF_EVEN
_BASE_KINDS = (LineKind.USAGE, LineKind.RECURRING_FEE, LineKind.COMMITMENT_TRUE_UP)


def month_of(doc: IssuedDocument) -> str:
    start = doc.billing_period.start
    return f"{start.year:04d}-{start.month:02d}"


def _targets(line: IssuedDocumentLine, candidates: Sequence[IssuedDocumentLine]) -> list[IssuedDocumentLine]:
    """The lines an adjustment applies to: same product, else same product line, else all candidates."""
    for match in (lambda c: line.product_code is not None and c.product_code == line.product_code,
                  lambda c: c.revenue_category == line.revenue_category, lambda c: True):
        chosen = [c for c in candidates if match(c) and not c.amount.is_zero()]
        if chosen:
            return chosen
    return []


def _spread(amount: Money, targets: Sequence[IssuedDocumentLine]) -> list[tuple[IssuedDocumentLine, Money]]:
    """`amount` split over `targets` pro rata by the size of their amounts (largest remainder)."""
    weights = [abs(t.amount.amount) for t in targets]
    return list(zip(targets, allocate(amount, weights, rounding=ROUNDING), strict=True))


def post_document(doc: IssuedDocument, *, entry_date: date,
                  unbilled: Mapping[str, Money]) -> tuple[JournalEntry | None, tuple[Schedule, ...]]:
    """The journal entry of one issued document and the revenue schedules of its fee lines.

    `unbilled`: the customer-month's unbilled receivable per product line (revenue category) at issue;
    pass `{}` for credit notes (they reverse revenue directly). None when every amount is zero.
    """
    sign = Decimal(1) if doc.kind is DocumentKind.INVOICE else Decimal(-1)
    cur = doc.currency
    who, number = doc.customer_id, doc.number
    month = month_of(doc)
    signed = {ln.line_no: ln.amount * sign for ln in doc.lines}

    def s(line: IssuedDocumentLine) -> IssuedDocumentLine:
        return IssuedDocumentLine(line_no=line.line_no, kind=line.kind, product_code=line.product_code,
                                  revenue_category=line.revenue_category, service_period=line.service_period,
                                  quantity=line.quantity, amount=signed[line.line_no], tax_amount=line.tax_amount)

    lines = [s(ln) for ln in doc.lines]
    for ln in lines:
        if ln.kind not in (*_BASE_KINDS, LineKind.DISCOUNT, LineKind.CREDIT_APPLIED):
            raise InvariantViolation(f"{number} line {ln.line_no}: no revenue rule for line kind {ln.kind}")
    usage = [ln for ln in lines if ln.kind is LineKind.USAGE]
    # rating applies discounts to usage and fees, before any commitment true-up
    discountable = [ln for ln in lines if ln.kind in (LineKind.USAGE, LineKind.RECURRING_FEE)]
    out: list[JournalLine | None] = [
        dr(AR, doc.total * sign, customer_id=who, document=number, memo=f"{doc.kind.value} {number}"),
        cr(TAX, doc.tax_total * sign, customer_id=who, document=number, memo="tax"),
    ]
    fee_net: dict[int, Money] = {ln.line_no: ln.amount for ln in lines if ln.kind is LineKind.RECURRING_FEE}
    extra_usage_revenue: list[tuple[IssuedDocumentLine, Money]] = []
    for ln in lines:
        if ln.kind is LineKind.COMMITMENT_TRUE_UP:
            targets = _targets(ln, usage)
            if targets:
                extra_usage_revenue.extend(_spread(ln.amount, targets))
            else:
                out.append(cr(revenue_account(ln.revenue_category), ln.amount, customer_id=who, document=number,
                              product_code=ln.product_code, memo="commitment true-up"))
        elif ln.kind is LineKind.DISCOUNT:
            targets = _targets(ln, discountable)
            if not targets:
                out.append(dr(discount_account(ln.revenue_category), -ln.amount, customer_id=who, document=number,
                              product_code=ln.product_code, memo="discount"))
            for target, share in _spread(ln.amount, targets):
                if target.kind is LineKind.RECURRING_FEE:
                    fee_net[target.line_no] = fee_net[target.line_no] + share
                else:
                    out.append(dr(discount_account(target.revenue_category), -share, customer_id=who,
                                  document=number, product_code=target.product_code,
                                  memo=f"discount on line {target.line_no}"))
        elif ln.kind is LineKind.CREDIT_APPLIED and ln.product_code is not None:
            # prepaid units of one product: no money value was ever received for them, so their use
            # reduces that product's revenue (contra-revenue) rather than a liability
            out.append(dr(discount_account(ln.revenue_category), -ln.amount, customer_id=who, document=number,
                          product_code=ln.product_code, memo="prepaid units applied"))
        elif ln.kind is LineKind.CREDIT_APPLIED:
            out.append(dr(PREPAID, -ln.amount, customer_id=who, document=number, memo="prepaid credit applied"))
    for target, share in extra_usage_revenue:
        out.append(cr(revenue_account(target.revenue_category), share, customer_id=who, document=number,
                      product_code=target.product_code, memo=f"commitment true-up on line {target.line_no}"))
    # usage: reclassify the unbilled balance; the difference to what is billed is revenue now
    categories = sorted({ln.revenue_category for ln in usage} | set(unbilled))
    for category in categories:
        in_cat = [ln for ln in usage if ln.revenue_category == category]
        billed = sum((ln.amount for ln in in_cat), Money.zero(cur))
        recognised = unbilled.get(category, Money.zero(cur))
        out.append(cr(UNBILLED, recognised, customer_id=who, document=number, ref=unbilled_ref(category, month),
                      memo="unbilled usage reclassified to receivables"))
        difference = billed - recognised
        if difference.is_zero():
            continue
        if in_cat and any(not ln.amount.is_zero() for ln in in_cat):
            spread = _spread(difference, [ln for ln in in_cat if not ln.amount.is_zero()])
        else:
            spread = [(in_cat[0], difference)] if in_cat else []
        if not spread:
            out.append(cr(revenue_account(category), difference, customer_id=who, document=number,
                          memo="usage recognised but not billed"))
        for target, share in spread:
            out.append(cr(revenue_account(category), share, customer_id=who, document=number,
                          product_code=target.product_code, memo=f"usage billed vs recognised, line {target.line_no}"))
    schedules = []
    for ln in lines:
        if ln.kind is not LineKind.RECURRING_FEE:
            continue
        net = fee_net[ln.line_no]
        if net.is_zero():
            continue
        schedule = Schedule(schedule_id=schedule_id_for(doc.document_id, ln.line_no), document_id=doc.document_id,
                            document_number=number, line_no=ln.line_no, customer_id=who,
                            product_code=ln.product_code, revenue_category=ln.revenue_category,
                            service_period=ln.service_period, amount=net)
        schedules.append(schedule)
        out.append(cr(DEFERRED, net, customer_id=who, document=number, product_code=ln.product_code,
                      ref=schedule.schedule_id, memo=f"deferred fee, line {ln.line_no}"))
    entry = make_entry(source_kind=doc.kind.value, source_id=doc.document_id, entry_date=entry_date,
                       memo=f"{doc.kind.value.replace('_', ' ')} {number} issued", lines=out)
    return entry, tuple(schedules)
