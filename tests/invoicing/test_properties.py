"""Properties: totals are sums of rounded lines; credit never exceeds what is left; numbers gapless."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tally.errors import InvariantViolation
from tally.invoicing import corrections
from tally.invoicing.build import draft_invoice, invoice_lines
from tally.invoicing.errors import CreditExceedsRemaining
from tally.invoicing.model import CreditNoteLine
from tally.invoicing.tax import JurisdictionTax
from tally.money import Money, Rounding, sum_money
from tests.invoicing.fakes import DEC_2, NOV, FakeRater

D = Decimal
quantities = st.decimals(min_value=0, max_value=100_000, places=3, allow_nan=False, allow_infinity=False)
rates = st.sampled_from([D(0), D("0.05"), D("0.0725"), D("0.19"), D("0.2")])
TAX = JurisdictionTax


@given(quantity=quantities, rate=rates, credit=st.decimals(min_value=0, max_value=500, places=2))
def test_total_is_the_sum_of_rounded_lines(quantity: Decimal, rate: Decimal, credit: Decimal) -> None:
    rater = FakeRater(credit={"acme": credit})
    tax = TAX(rates={"X": rate}, customers={"acme": "X"})
    invoice = draft_invoice(rater.result("acme", NOV, quantity), invoice_id="i", tax=tax, created_at=DEC_2,
                            rated_as_of=DEC_2)
    cur = invoice.currency
    assert invoice.totals.subtotal == sum_money((ln.amount for ln in invoice.lines), cur)
    assert invoice.totals.tax_total == sum_money((ln.tax.amount for ln in invoice.lines), cur)
    assert invoice.totals.total == invoice.totals.subtotal + invoice.totals.tax_total
    assert all(ln.amount.is_rounded and ln.tax.amount.is_rounded for ln in invoice.lines)


@given(billed_q=quantities, new_q=quantities, rate=rates)
def test_a_correction_moves_the_billed_amount_to_the_recomputed_one(billed_q: Decimal, new_q: Decimal,
                                                                    rate: Decimal) -> None:
    rater = FakeRater()
    tax = TAX(rates={"X": rate}, customers={"acme": "X"})
    old = invoice_lines(rater.result("acme", NOV, billed_q), tax)
    new = invoice_lines(rater.result("acme", NOV, new_q), tax)
    cur = old[0].amount.currency
    billed = corrections.billed_lines(old, (), ())
    diffs = corrections.differences(billed, new, cur)
    credit, adjust = corrections.correction_lines(diffs, billed, {ln.line_key: ln for ln in new}, cur,
                                                  rounding=Rounding.HALF_EVEN)
    assert not (credit and adjust)
    after = corrections.billed_lines(old, adjust, credit)
    for line in new:
        assert after[line.line_key].amount == line.amount
    for key in set(after) - {line.line_key for line in new}:
        assert after[key].amount.is_zero()
    if credit:
        corrections.check_credit(credit, billed, cur)  # never more than is left


@given(amounts=st.lists(st.decimals(min_value=D("0.01"), max_value=500, places=2), min_size=1, max_size=6),
       quantity=quantities)
def test_credit_notes_never_exceed_what_is_left(amounts: list[Decimal], quantity: Decimal) -> None:
    tax = TAX()
    lines = invoice_lines(FakeRater().result("acme", NOV, quantity), tax)
    cur = lines[0].amount.currency
    credited: list[CreditNoteLine] = []
    for amount in amounts:
        billed = corrections.billed_lines(lines, (), credited)
        left = billed["fee:platform"].amount
        line = CreditNoteLine(
            line_no=1, invoice_line_no=2, line_key="fee:platform", kind=lines[1].kind, product_code="platform",
            description="x", service_period=lines[1].service_period, quantity=D(0), unit="month",
            amount=Money(amount, cur), tax=tax.assess(FakeRater().result("acme", NOV, D(0)).lines[1]),
            revenue_category="subscription")
        try:
            corrections.check_credit((line,), billed, cur)
        except CreditExceedsRemaining:
            assert Money(amount, cur) > left
            continue
        assert Money(amount, cur) <= left
        credited.append(line)
    total = sum_money((c.amount for c in credited), cur)
    assert total <= lines[1].amount


@settings(max_examples=50)
@given(quantity=quantities)
def test_unrounded_rated_lines_are_refused(quantity: Decimal) -> None:
    result = FakeRater().result("acme", NOV, quantity)
    from dataclasses import replace

    broken = replace(result, lines=(replace(result.lines[0], amount=Money(D("0.001"), result.currency)),))
    try:
        invoice_lines(broken, TAX())
    except InvariantViolation:
        return
    raise AssertionError("an unrounded line was accepted")
