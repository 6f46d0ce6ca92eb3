"""Corrections: compare what was billed with a recomputation, and split the difference into a
credit note (what was over-billed) and an adjustment invoice (what was under-billed).

Pure. An issued invoice is never edited: a correction is always a new document pointing at it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from tally.errors import InvariantViolation
from tally.invoicing.errors import CreditExceedsRemaining
from tally.invoicing.model import CreditNoteLine, InvoiceLine, LineDifference
from tally.invoicing.tax import plain, tax_at
from tally.money import Currency, Money, Rounding, sum_money
from tally.period import Period
from tally.rating.model import LineKind

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class BilledLine:
    """What has been billed so far for one line key: invoice + adjustments − credit notes."""

    line_key: str
    invoice_line_no: int | None
    kind: LineKind
    product_code: str | None
    description: str
    service_period: Period
    unit: str
    revenue_category: str
    tax_rate: Decimal
    tax_jurisdiction: str | None
    quantity: Decimal
    amount: Money


def billed_lines(invoice_lines: Iterable[InvoiceLine], adjustment_lines: Iterable[InvoiceLine],
                 credited_lines: Iterable[CreditNoteLine]) -> dict[str, BilledLine]:
    """Net billed per line key, in first-seen order."""
    billed: dict[str, BilledLine] = {}
    tagged = [(x, True) for x in invoice_lines] + [(x, False) for x in adjustment_lines]
    for line, is_original in tagged:
        current = billed.get(line.line_key)
        if current is None:
            billed[line.line_key] = BilledLine(
                line_key=line.line_key, invoice_line_no=line.line_no if is_original else None, kind=line.kind,
                product_code=line.product_code, description=line.description, service_period=line.service_period,
                unit=line.unit, revenue_category=line.revenue_category, tax_rate=line.tax.rate,
                tax_jurisdiction=line.tax.jurisdiction, quantity=line.quantity, amount=line.amount)
        else:
            billed[line.line_key] = _add(current, line.quantity, line.amount)
    for credited in credited_lines:
        current = billed.get(credited.line_key)
        if current is None:  # a net-credit correction may carry a line the invoice never had
            billed[credited.line_key] = BilledLine(
                line_key=credited.line_key, invoice_line_no=None, kind=credited.kind,
                product_code=credited.product_code, description=credited.description,
                service_period=credited.service_period, unit=credited.unit,
                revenue_category=credited.revenue_category, tax_rate=credited.tax.rate,
                tax_jurisdiction=credited.tax.jurisdiction, quantity=-credited.quantity, amount=-credited.amount)
        else:
            billed[credited.line_key] = _add(current, -credited.quantity, -credited.amount)
    return billed


def _add(line: BilledLine, quantity: Decimal, amount: Money) -> BilledLine:
    return BilledLine(**{**{f: getattr(line, f) for f in BilledLine.__dataclass_fields__},
                         "quantity": line.quantity + quantity, "amount": line.amount + amount})


def differences(billed: Mapping[str, BilledLine], recomputed: Iterable[InvoiceLine],
                currency: Currency) -> tuple[LineDifference, ...]:
    """Every line key whose quantity or amount differs; keys on one side only count as zero on the other."""
    new = {line.line_key: line for line in recomputed}
    out: list[LineDifference] = []
    for key in list(billed) + [k for k in new if k not in billed]:
        old_line, new_line = billed.get(key), new.get(key)
        old_qty = old_line.quantity if old_line else ZERO
        old_amount = old_line.amount if old_line else Money.zero(currency)
        new_qty = new_line.quantity if new_line else ZERO
        new_amount = new_line.amount if new_line else Money.zero(currency)
        if old_qty != new_qty or old_amount != new_amount:
            description = new_line.description if new_line else (old_line.description if old_line else key)
            out.append(LineDifference(line_key=key, description=description, billed_quantity=old_qty,
                                      recomputed_quantity=new_qty, billed_amount=old_amount,
                                      recomputed_amount=new_amount))
    return tuple(out)


def correction_lines(diffs: Iterable[LineDifference], billed: Mapping[str, BilledLine],
                     recomputed: Mapping[str, InvoiceLine], currency: Currency, *,
                     rounding: Rounding) -> tuple[tuple[CreditNoteLine, ...], tuple[InvoiceLine, ...]]:
    """One document per correction: a credit note when the recomputation bills less in total, an
    adjustment invoice when it bills more (or the same, shifted between lines). Every differing line
    goes on it with its delta, taxed at the rate the line was billed at (or is now billed at)."""
    diffs = tuple(diffs)
    net = sum_money((d.amount_delta for d in diffs), currency)
    credit: list[CreditNoteLine] = []
    adjust: list[InvoiceLine] = []
    for diff in diffs:
        old, new = billed.get(diff.line_key), recomputed.get(diff.line_key)
        if net.amount < 0:
            amount = Money(plain(-diff.amount_delta.amount), currency)
            rate, where = (old.tax_rate, old.tax_jurisdiction) if old else _rate_of(new)
            meta = old or _billed_from(new)
            credit.append(CreditNoteLine(
                line_no=len(credit) + 1, invoice_line_no=meta.invoice_line_no, line_key=diff.line_key,
                kind=meta.kind, product_code=meta.product_code, description=meta.description,
                service_period=meta.service_period, quantity=plain(-diff.quantity_delta), unit=meta.unit, amount=amount,
                tax=tax_at(rate, where, amount, rounding=rounding), revenue_category=meta.revenue_category))
        else:
            amount = diff.amount_delta
            rate, where = _rate_of(new) if new else (old.tax_rate, old.tax_jurisdiction) if old else (ZERO, None)
            source = _billed_from(new) if new else old
            if source is None:
                continue
            adjust.append(InvoiceLine(
                line_no=len(adjust) + 1, line_key=diff.line_key, kind=source.kind, product_code=source.product_code,
                description=f"Adjustment: {source.description}", service_period=source.service_period,
                quantity=diff.quantity_delta, unit=source.unit, unit_price=new.unit_price if new else None,
                amount=amount, tax=tax_at(rate, where, amount, rounding=rounding),
                explanation=new.explanation if new else (), price_version_id=new.price_version_id if new else None,
                revenue_category=source.revenue_category))
    return tuple(credit), tuple(adjust)


def _rate_of(line: InvoiceLine | None) -> tuple[Decimal, str | None]:
    return (line.tax.rate, line.tax.jurisdiction) if line is not None else (ZERO, None)


def _billed_from(line: InvoiceLine | None) -> BilledLine:
    if line is None:
        raise InvariantViolation("a correction line has neither a billed nor a recomputed side")
    return BilledLine(line_key=line.line_key, invoice_line_no=None, kind=line.kind, product_code=line.product_code,
                      description=line.description, service_period=line.service_period, unit=line.unit,
                      revenue_category=line.revenue_category, tax_rate=line.tax.rate,
                      tax_jurisdiction=line.tax.jurisdiction, quantity=line.quantity, amount=line.amount)


def full_credit_lines(billed: Mapping[str, BilledLine], *, rounding: Rounding) -> tuple[CreditNoteLine, ...]:
    """Credit everything still billed (a full credit note, e.g. when voiding)."""
    out: list[CreditNoteLine] = []
    for line in billed.values():
        if line.amount.is_zero() and line.quantity == 0:
            continue
        out.append(CreditNoteLine(
            line_no=len(out) + 1, invoice_line_no=line.invoice_line_no, line_key=line.line_key, kind=line.kind,
            product_code=line.product_code, description=line.description, service_period=line.service_period,
            quantity=line.quantity, unit=line.unit, amount=line.amount,
            tax=tax_at(line.tax_rate, line.tax_jurisdiction, line.amount, rounding=rounding),
            revenue_category=line.revenue_category))
    return tuple(out)


def remaining_to_credit(billed: Mapping[str, BilledLine], currency: Currency) -> Money:
    """Net amount still billed on the invoice and its adjustments, after earlier credit notes."""
    return sum_money((line.amount for line in billed.values()), currency)


def check_credit(lines: tuple[CreditNoteLine, ...], billed: Mapping[str, BilledLine], currency: Currency, *,
                 full: bool = False) -> None:
    """A credit note never takes back more than is left to credit, in total and per line key.

    A full credit (`full`: a void or a full credit note) may net to zero when the lines it takes back
    cancel out, e.g. usage paid entirely by prepaid credit: it still reverses those lines (and so gives
    the credit back). It must still take back at least one non-zero line.
    """
    credit = sum_money((line.amount for line in lines), currency)
    remaining = remaining_to_credit(billed, currency)
    zero_allowed = full and credit.amount == 0 and any(not line.amount.is_zero() for line in lines)
    if credit.amount <= 0 and not zero_allowed:
        raise CreditExceedsRemaining(f"a credit note must credit a positive amount, got {credit}")
    if credit > remaining:
        raise CreditExceedsRemaining(f"credit {credit} exceeds the {remaining} left to credit")
    for line in lines:
        left = billed[line.line_key].amount if line.line_key in billed else Money.zero(currency)
        if (left.amount >= 0 and line.amount > left) or (left.amount < 0 and line.amount < left):
            raise CreditExceedsRemaining(f"line {line.line_key}: credit {line.amount} exceeds the {left} left")
