"""Ratable recognition: a fee is earned day by day over its service period (ASC 606 over time).

Each UTC day that overlaps the service period gets a share weighted by the seconds it covers; the
shares are split with `tally.money.allocate`, so they sum exactly to the fee. Never reads the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tally.ledger.model import DEFERRED, JournalEntry, cr, dr, make_entry, revenue_account
from tally.money import Money, Rounding, allocate
from tally.revenue.model import Schedule

ROUNDING = Rounding.HALF_EVEN


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def daily_shares(schedule: Schedule) -> tuple[tuple[date, Money], ...]:
    """(day, share) for every UTC day the service period touches; shares sum to the amount."""
    service = schedule.service_period
    days: list[date] = []
    weights: list[Decimal] = []
    day = service.start.date()
    while _day_start(day) < service.end:
        start = max(_day_start(day), service.start)
        end = min(_day_start(day + timedelta(days=1)), service.end)
        if end > start:
            days.append(day)
            weights.append(Decimal(int((end - start).total_seconds())))
        day += timedelta(days=1)
    shares = allocate(schedule.amount, weights, rounding=ROUNDING)
    return tuple(zip(days, shares, strict=True))


def due_through(schedule: Schedule, before: date) -> Money:
    """What has been earned for days strictly before `before`."""
    total = Money.zero(schedule.amount.currency)
    for day, share in daily_shares(schedule):
        if day < before:
            total = total + share
    return total


def _release(schedule: Schedule, *, source_id: str, entry_date: date, amount: Money,
             memo: str) -> JournalEntry | None:
    who, doc, product = schedule.customer_id, schedule.document_number, schedule.product_code
    return make_entry(
        source_kind="release", source_id=source_id, entry_date=entry_date, memo=memo,
        lines=(dr(DEFERRED, amount, ref=schedule.schedule_id, customer_id=who, document=doc, product_code=product),
               cr(revenue_account(schedule.revenue_category), amount, customer_id=who, document=doc,
                  product_code=product)))


def release_entries(schedule: Schedule, *, period_start: date, before: date,
                    released: Money) -> tuple[tuple[JournalEntry, ...], Money]:
    """Release a period's days, one entry a day, plus a catch-up for earlier days not yet released.

    Debit deferred revenue, credit the product line's revenue (signed: a negative schedule reverses).
    The catch-up (days before `period_start`, e.g. a fee billed in arrears) is dated `period_start`.
    Returns the entries and the total released.
    """
    entries: list[JournalEntry] = []
    catch_up = due_through(schedule, period_start) - released
    total = catch_up
    entry = _release(schedule, source_id=f"{schedule.schedule_id}@catch-up@{period_start.isoformat()}",
                     entry_date=period_start, amount=catch_up,
                     memo=f"ratable release {schedule.document_number} line {schedule.line_no}: days before "
                          f"{period_start.isoformat()} (catch-up)")
    if entry is not None:
        entries.append(entry)
    for day, share in daily_shares(schedule):
        if not period_start <= day < before:
            continue
        total = total + share
        entry = _release(schedule, source_id=f"{schedule.schedule_id}@{day.isoformat()}", entry_date=day,
                         amount=share, memo=f"ratable release {schedule.document_number} line {schedule.line_no} "
                                            f"{day.isoformat()}")
        if entry is not None:
            entries.append(entry)
    return tuple(entries), total


def by_month_after(schedules: Sequence[Schedule], after: date) -> dict[tuple[str, str], Money]:
    """Future recognition: what each schedule still releases on days from `after`, by (month, currency)."""
    out: dict[tuple[str, str], Money] = {}
    for schedule in schedules:
        for day, share in daily_shares(schedule):
            if day < after:
                continue
            key = (f"{day.year:04d}-{day.month:02d}", share.currency.code)
            out[key] = out.get(key, Money.zero(share.currency)) + share
    return dict(sorted(out.items()))
