"""Recurring fees are recognised ratably by day: an annual subscription invoiced up front."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tally.money import Money
from tally.period import Period
from tally.rating.model import LineKind
from tally.revenue import ratable
from tally.revenue.documents import post_document
from tally.revenue.model import Schedule
from tests.revenue.helpers import document, line, usd, view

YEAR = Period(datetime(2026, 11, 15, tzinfo=UTC), datetime(2027, 11, 15, tzinfo=UTC))


def test_worked_example_annual_subscription_invoiced_up_front() -> None:
    # 1,200.00 for 15 Nov 2026 – 14 Nov 2027, invoiced on 15 November
    invoice = document(line(1, LineKind.RECURRING_FEE, "1200.00", product="platform_fee", category="platform",
                            service=YEAR), issued_at=datetime(2026, 11, 15, tzinfo=UTC))
    entry, schedules = post_document(invoice, entry_date=date(2026, 11, 15), unbilled={})
    assert view(entry) == [("accounts_receivable", "1200.00", "0.00"), ("deferred_revenue", "0.00", "1200.00")]
    (schedule,) = schedules
    shares = ratable.daily_shares(schedule)
    # 120,000 cents over 365 days = 328.77 a day: 280 days of 3.29 then 85 of 3.28 (largest remainder)
    assert len(shares) == 365 and shares[0][1] == usd("3.29") and shares[280] == (date(2027, 8, 22), usd("3.28"))
    assert sum((s for _, s in shares), usd("0")) == usd("1200.00")
    november, amount = ratable.release_entries(schedule, period_start=date(2026, 11, 1), before=date(2026, 12, 1),
                                               released=usd("0"))
    assert amount == usd("52.64") and len(november) == 16  # 16 days × 3.29, one entry a day
    assert november[0].entry_date == date(2026, 11, 15)
    assert view(november[0]) == [("deferred_revenue", "3.29", "0.00"), ("revenue:platform", "0.00", "3.29")]
    december, amount = ratable.release_entries(schedule, period_start=date(2026, 12, 1), before=date(2027, 1, 1),
                                               released=usd("52.64"))
    assert amount == usd("101.99") and len(december) == 31  # 31 × 3.29
    waterfall = ratable.by_month_after(schedules, date(2027, 1, 1))
    assert waterfall[("2027-02", "USD")] == usd("92.12") and waterfall[("2027-08", "USD")] == usd("101.89")
    assert sum(waterfall.values(), usd("0")) == usd("1200.00") - usd("52.64") - usd("101.99")


def test_catch_up_releases_past_days_in_the_period_it_runs() -> None:
    # support for November billed in arrears on 2 December: all of it is released at December's close
    schedule = Schedule(schedule_id="s", document_id="d", document_number="N", line_no=3, customer_id="acme",
                        product_code="support", revenue_category="support", service_period=Period.month("2026-11"),
                        amount=usd("5.00"))
    (entry,), amount = ratable.release_entries(schedule, period_start=date(2026, 12, 1), before=date(2027, 1, 1),
                                               released=usd("0"))
    assert amount == usd("5.00") and view(entry) == [("deferred_revenue", "5.00", "0.00"),
                                                     ("revenue:support", "0.00", "5.00")]
    assert entry.entry_date == date(2026, 12, 1) and "catch-up" in entry.source_id


@given(st.integers(min_value=1, max_value=10_000_000), st.integers(min_value=1, max_value=400),
       st.integers(min_value=0, max_value=86_399))
def test_shares_sum_exactly_to_the_fee_and_whole_days_differ_by_at_most_a_cent(minor: int, days: int,
                                                                             offset_s: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=offset_s)
    schedule = Schedule(schedule_id="s", document_id="d", document_number="N", line_no=1, customer_id="c",
                        product_code=None, revenue_category="platform",
                        service_period=Period(start, start + timedelta(days=days)),
                        amount=Money.from_minor_units(minor, usd("0").currency))
    shares = ratable.daily_shares(schedule)
    assert sum((s for _, s in shares), usd("0")) == schedule.amount
    whole = [s.amount for _, s in (shares[1:-1] if offset_s else shares)]
    if whole:
        assert max(whole) - min(whole) <= usd("0.01").amount
