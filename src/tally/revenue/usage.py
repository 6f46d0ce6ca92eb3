"""Usage revenue is earned as it is consumed: recognised daily, before the invoice exists.

For tiered prices the day's revenue is the day's increment of the cumulative month-to-date rated
amount (rate [period start, end of day d) minus [period start, end of day d−1)), so the days of a
month sum exactly to what the invoice bills for the month. Never reads the clock or the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from tally.ledger.model import UNBILLED, JournalEntry, JournalLine, cr, dr, make_entry, revenue_account
from tally.money import Currency, Money

# cumulative rated usage to the end of a day, by (revenue category, product code)
Cumulative = Mapping[tuple[str, str | None], Money]


def unbilled_ref(category: str, period_label: str) -> str:
    """What an unbilled balance ties to: one product line of one customer's billing month."""
    return f"{category}@{period_label}"


def daily_increments(days: Sequence[tuple[date, Cumulative]]) -> tuple[tuple[date, dict[tuple[str, str | None],
                                                                                     Money]], ...]:
    """Each day's increment of the cumulative amounts (the first day against zero)."""
    out = []
    previous: Cumulative = {}
    for day, cumulative in days:
        increments: dict[tuple[str, str | None], Money] = {}
        for key in sorted(set(cumulative) | set(previous), key=lambda k: (k[0], k[1] or "")):
            now = cumulative.get(key)
            before = previous.get(key)
            cur = (now or before)
            if cur is None:
                continue
            delta = (now or Money.zero(cur.currency)) - (before or Money.zero(cur.currency))
            if not delta.is_zero():
                increments[key] = delta
        out.append((day, increments))
        previous = cumulative
    return tuple(out)


def usage_entry(*, customer_id: str, day: date, period_label: str, currency: Currency,
                increments: Mapping[tuple[str, str | None], Money]) -> JournalEntry | None:
    """Debit unbilled receivables, credit revenue of each product line, for one customer-day."""
    lines: list[JournalLine | None] = []
    by_category: dict[str, Money] = {}
    for (category, product), amount in sorted(increments.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        by_category[category] = by_category.get(category, Money.zero(currency)) + amount
        lines.append(cr(revenue_account(category), amount, customer_id=customer_id, product_code=product,
                        memo=f"usage {product or category} {day.isoformat()}"))
    debits = [dr(UNBILLED, amount, customer_id=customer_id, ref=unbilled_ref(category, period_label),
                 memo=f"unbilled {unbilled_ref(category, period_label)}")
              for category, amount in by_category.items()]
    return make_entry(source_kind="usage", source_id=f"{customer_id}|{currency.code}|{day.isoformat()}",
                      entry_date=day, memo=f"usage recognised {day.isoformat()} for {customer_id}",
                      lines=[*debits, *lines])
