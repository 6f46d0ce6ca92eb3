"""Worked examples of proration by second and by day (November 2026 has 30 days)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tally.contracts.model import ProrationUnit
from tally.contracts.proration import share
from tally.period import Period

NOV = Period.month("2026-11")


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.mark.parametrize(("start", "end", "unit", "fraction", "text"), [
    (at(1), NOV.end, ProrationUnit.SECOND, "1", "2592000 of 2592000 seconds"),
    (at(16), NOV.end, ProrationUnit.SECOND, "0.5", "1296000 of 2592000 seconds"),
    (at(10, 12), NOV.end, ProrationUnit.SECOND, "0.6833333333333333333333333333333333333333", None),
    (at(10, 12), NOV.end, ProrationUnit.DAY, "0.7", "21 of 30 days"),       # the start day counts in full
    (at(1), at(10, 12), ProrationUnit.DAY, "0.3", "9 of 30 days"),          # the end day does not
])
def test_share(start: datetime, end: datetime, unit: ProrationUnit, fraction: str, text: str | None) -> None:
    s = share(Period(start, end), NOV, unit)
    assert s.as_decimal() == Decimal(fraction)
    if text:
        assert s.describe() == text


def test_anchored_periods_and_the_next_period() -> None:
    from tally.contracts.model import anchored_period
    from tally.rating.engine import next_period

    assert anchored_period(1, "2026-11") == NOV
    mid = anchored_period(15, "2026-12")
    assert (mid.start, mid.end) == (datetime(2026, 12, 15, tzinfo=UTC), datetime(2027, 1, 15, tzinfo=UTC))
    assert next_period(mid) == anchored_period(15, "2027-01")
    assert next_period(NOV) == Period.month("2026-12")
    week = Period(at(2), at(9))
    assert next_period(week) == Period(at(9), at(16))
