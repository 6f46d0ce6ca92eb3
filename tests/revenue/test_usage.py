"""Usage is recognised daily as the increment of the cumulative month-to-date rated amount."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tally.money import Money, Rounding, round_to_minor
from tally.revenue.usage import daily_increments, unbilled_ref, usage_entry
from tests.revenue.helpers import usd, view

KEY = ("compute", "compute_m5_large")


def tiered(hours: Decimal) -> Money:
    """0.10 an hour for the first 100 hours, 0.08 above."""
    first, rest = min(hours, Decimal(100)), max(hours - Decimal(100), Decimal(0))
    return usd(str(round_to_minor(first * Decimal("0.10") + rest * Decimal("0.08"), usd("0").currency,
                                  rounding=Rounding.HALF_EVEN)))


def test_worked_example_tiers_recognised_by_cumulative_increment() -> None:
    # 30 h a day on 1–5 November: cumulative 30, 60, 90, 120, 150 h → 3.00, 6.00, 9.00, 11.60, 14.00
    days = [(date(2026, 11, d), {KEY: tiered(Decimal(30 * d))}) for d in range(1, 6)]
    increments = daily_increments(days)
    assert [(d.day, inc[KEY].text()) for d, inc in increments] == [
        (1, "3.00"), (2, "3.00"), (3, "3.00"), (4, "2.60"), (5, "2.40")]  # day 4 crosses the 100 h tier
    entry = usage_entry(customer_id="acme", day=date(2026, 11, 4), period_label="2026-11",
                        currency=usd("0").currency, increments=increments[3][1])
    assert view(entry) == [("unbilled_receivables", "2.60", "0.00"), ("revenue:compute", "0.00", "2.60")]
    assert entry is not None and entry.lines[0].ref == unbilled_ref("compute", "2026-11") == "compute@2026-11"
    assert entry.source_id == "acme|USD|2026-11-04" and entry.entry_date == date(2026, 11, 4)


def test_a_day_without_usage_posts_nothing() -> None:
    days = [(date(2026, 11, 1), {KEY: usd("1.00")}), (date(2026, 11, 2), {KEY: usd("1.00")})]
    assert daily_increments(days)[1][1] == {}
    assert usage_entry(customer_id="acme", day=date(2026, 11, 2), period_label="2026-11",
                       currency=usd("0").currency, increments={}) is None


@given(st.lists(st.integers(min_value=0, max_value=5000), min_size=1, max_size=30))  # November has 30 days
def test_the_days_sum_exactly_to_the_month(daily_hours: list[int]) -> None:
    cumulative, days = Decimal(0), []
    for n, hours in enumerate(daily_hours, start=1):
        cumulative += Decimal(hours) / 7  # fractional quantities: amounts round at every cumulative rating
        days.append((date(2026, 11, n), {KEY: tiered(cumulative)}))
    total = sum((inc.get(KEY, usd("0")) for _, inc in daily_increments(days)), usd("0"))
    assert total == tiered(cumulative)
