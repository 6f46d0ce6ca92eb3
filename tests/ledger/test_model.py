"""Journal entries: balanced per currency at construction, reversals, the chart of accounts."""

from __future__ import annotations

from datetime import date

import pytest

from tally.errors import InvalidInput
from tally.ledger.errors import UnbalancedEntry
from tally.ledger.model import (
    AR,
    CASH,
    AccountType,
    JournalEntry,
    JournalLine,
    account,
    cr,
    dr,
    entry_id_for,
    imbalance,
    make_entry,
    revenue_account,
    reversal_of,
    trial_balance,
)
from tally.money import Money

D1 = date(2026, 11, 3)


def usd(text: str) -> Money:
    return Money.of(text, "USD")


def test_a_balanced_entry_is_built_with_a_deterministic_id() -> None:
    entry = make_entry(source_kind="payment", source_id="inv_1", entry_date=D1, memo="paid",
                       lines=(dr(CASH, usd("10.00")), cr(AR, usd("10.00"))))
    assert entry is not None and entry.entry_id == entry_id_for("payment", "inv_1")
    assert imbalance(entry.lines) == {"USD": 0}


def test_unbalanced_entries_are_refused_per_currency() -> None:
    with pytest.raises(UnbalancedEntry, match=r"USD debits − credits = 0\.01"):
        make_entry(source_kind="x", source_id="1", entry_date=D1, memo="",
                   lines=(dr(CASH, usd("10.01")), cr(AR, usd("10.00"))))
    # balanced in total but not per currency
    eur = Money.of("10.00", "EUR")
    with pytest.raises(UnbalancedEntry):
        make_entry(source_kind="x", source_id="2", entry_date=D1, memo="",
                   lines=(dr(CASH, usd("10.00")), cr(AR, eur)))
    with pytest.raises(UnbalancedEntry, match="at least two lines"):
        JournalEntry(entry_id="e", entry_date=D1, source_kind="x", source_id="3", memo="",
                     lines=(JournalLine(account=CASH, debit=usd("0.00"), credit=usd("1.00")),))


def test_lines_are_one_sided_rounded_and_in_the_chart() -> None:
    with pytest.raises(InvalidInput, match="exactly one"):
        JournalLine(account=CASH, debit=usd("1.00"), credit=usd("1.00"))
    with pytest.raises(InvalidInput, match="not rounded"):
        JournalLine(account=CASH, debit=usd("1.005"), credit=usd("0"))
    with pytest.raises(InvalidInput, match="not in the chart"):
        JournalLine(account="petty_cash", debit=usd("1.00"), credit=usd("0"))
    assert dr(CASH, usd("0.00")) is None  # zero lines are dropped
    negative = dr(CASH, usd("-2.00"))
    assert negative is not None and negative.credit == usd("2.00")


def test_chart_has_revenue_and_discounts_per_product_line() -> None:
    assert account(revenue_account("compute")).type is AccountType.REVENUE
    assert account("discounts:compute").type is AccountType.CONTRA_REVENUE
    assert account("deferred_revenue").type is AccountType.LIABILITY
    assert account(AR).number == "1200"


def test_reversal_swaps_every_line_and_points_at_the_original() -> None:
    original = make_entry(source_kind="payment", source_id="inv_1", entry_date=D1, memo="paid",
                          lines=(dr(CASH, usd("10.00"), customer_id="acme"), cr(AR, usd("10.00"), customer_id="acme")))
    assert original is not None
    reversal = reversal_of(original, entry_date=date(2026, 12, 1), reason="posted twice")
    assert reversal.reverses == original.entry_id and reversal.source_id == original.entry_id
    assert [(ln.account, ln.debit, ln.credit) for ln in reversal.lines] == [
        (CASH, usd("0.00"), usd("10.00")), (AR, usd("10.00"), usd("0.00"))]
    net = imbalance((*original.lines, *reversal.lines))
    assert net == {"USD": 0}


def test_trial_balance_rows_in_chart_order_and_balanced() -> None:
    tb = trial_balance(date(2026, 12, 1), [("revenue:compute", "USD", usd("0").amount, usd("5.00").amount),
                                           (CASH, "USD", usd("5.00").amount, usd("0").amount)])
    assert [r.account for r in tb.rows] == [CASH, "revenue:compute"] and tb.balanced
