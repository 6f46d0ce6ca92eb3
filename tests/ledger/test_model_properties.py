"""Any generated set of postings leaves the trial balance balanced per currency; reversal nets to 0."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tally.ledger.model import AR, CASH, DEFERRED, TAX, cr, dr, make_entry, reversal_of, trial_balance
from tally.money import Money, Rounding, allocate

ACCOUNTS = (AR, CASH, DEFERRED, TAX, "revenue:compute", "revenue:storage", "discounts:compute")

posting = st.tuples(
    st.sampled_from(("USD", "JPY", "KWD")),
    st.integers(min_value=1, max_value=10_000_000),
    st.sampled_from(ACCOUNTS),
    st.lists(st.tuples(st.sampled_from(ACCOUNTS), st.integers(min_value=1, max_value=100)), min_size=1, max_size=5),
)


@given(st.lists(posting, min_size=1, max_size=20))
def test_generated_postings_keep_the_trial_balance_balanced(
        postings: list[tuple[str, int, str, list[tuple[str, int]]]]) -> None:
    entries = []
    for n, (code, minor, debit_account, credits) in enumerate(postings):
        total = Money.from_minor_units(minor, Money.zero(code).currency)
        shares = allocate(total, [Decimal(w) for _, w in credits], rounding=Rounding.HALF_EVEN)
        entry = make_entry(source_kind="t", source_id=str(n), entry_date=date(2026, 11, 1), memo="",
                           lines=(dr(debit_account, total),
                                  *(cr(acc, share) for (acc, _), share in zip(credits, shares, strict=True))))
        assert entry is not None
        entries.append(entry)
    sums: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for e in entries:
        for ln in e.lines:
            d, c = sums.get((ln.account, ln.currency.code), (Decimal(0), Decimal(0)))
            sums[(ln.account, ln.currency.code)] = (d + ln.debit.amount, c + ln.credit.amount)
    tb = trial_balance(date(2026, 12, 1), [(a, cur, d, c) for (a, cur), (d, c) in sums.items()])
    assert tb.balanced
    # reversing everything nets every account to zero
    for e in entries:
        rev = reversal_of(e, entry_date=date(2026, 12, 1), reason="test")
        for ln in rev.lines:
            d, c = sums[(ln.account, ln.currency.code)]
            sums[(ln.account, ln.currency.code)] = (d + ln.debit.amount, c + ln.credit.amount)
    assert all(d == c for d, c in sums.values())
