"""Any invoice posts a balanced entry whose receivable is its total; its full credit note mirrors it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tally.invoicing.model import DocumentKind
from tally.ledger.model import AR, imbalance
from tally.money import Money
from tally.rating.model import LineKind
from tally.revenue.documents import post_document
from tests.revenue.helpers import NOV, document, line, usd

cents = st.integers(min_value=0, max_value=10_000_00)
PRODUCTS = (("compute_m5_large", "compute"), ("egress", "network"), ("platform_fee", "platform"), (None, "general"))


@st.composite
def invoices(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    lines = []
    n = 0
    for kind in (LineKind.USAGE, LineKind.USAGE, LineKind.RECURRING_FEE):
        n += 1
        product, category = draw(st.sampled_from(PRODUCTS[:3]))
        lines.append(line(n, kind, str(Money.from_minor_units(draw(cents), usd("0").currency).amount),
                          product=product, category=category,
                          tax=str(Money.from_minor_units(draw(cents) // 5, usd("0").currency).amount)))
    gross = sum((ln.amount.amount for ln in lines), Decimal(0))
    discount = min(Decimal(draw(cents)) / 100, gross)
    if draw(st.booleans()) and discount > 0:
        n += 1
        product, category = draw(st.sampled_from(PRODUCTS))
        lines.append(line(n, LineKind.DISCOUNT, str(-discount), product=product, category=category))
    if draw(st.booleans()):
        n += 1
        lines.append(line(n, LineKind.COMMITMENT_TRUE_UP, str(Decimal(draw(cents)) / 100)))
    if draw(st.booleans()):
        n += 1
        lines.append(line(n, LineKind.CREDIT_APPLIED, str(-Decimal(draw(cents)) / 100)))
    return document(*lines)


@given(invoices(), cents, cents)
def test_every_invoice_posts_balanced_and_its_credit_note_reverses_it(invoice, recognised_a: int,  # type: ignore[no-untyped-def]
                                                                      recognised_b: int) -> None:
    unbilled = {"compute": Money.from_minor_units(recognised_a, usd("0").currency),
                "network": Money.from_minor_units(recognised_b, usd("0").currency)}
    entry, schedules = post_document(invoice, entry_date=date(2026, 12, 2), unbilled=unbilled)
    if entry is None:
        assert invoice.total.is_zero() and all(m.is_zero() for m in unbilled.values())
        return
    assert imbalance(entry.lines) == {"USD": 0}
    receivable = sum((ln.debit - ln.credit for ln in entry.lines if ln.account == AR), usd("0"))
    assert receivable == invoice.total
    note = document(*invoice.lines, kind=DocumentKind.CREDIT_NOTE, doc_id="cn", number="CN-1", corrects="inv_1")
    reversal, negative = post_document(note, entry_date=date(2027, 1, 5), unbilled={})
    assert reversal is not None
    assert imbalance(reversal.lines) == {"USD": 0}
    net: dict[str, Money] = {}
    for ln in (*entry.lines, *reversal.lines):
        net[ln.account] = net.get(ln.account, usd("0")) + ln.debit - ln.credit
    assert net.get(AR, usd("0")) == usd("0")
    assert sum((s.amount for s in (*schedules, *negative)), usd("0")) == usd("0")
    assert all(s.service_period == NOV for s in schedules)
