from datetime import UTC, datetime

import pytest

from tally.errors import InvalidInput
from tally.period import Period, parse_instant


def test_month_is_half_open() -> None:
    nov = Period.month("2026-11")
    assert nov.start == datetime(2026, 11, 1, tzinfo=UTC)
    assert nov.end == datetime(2026, 12, 1, tzinfo=UTC)
    assert nov.contains(nov.start) and not nov.contains(nov.end)
    assert Period.month("2026-12").end == datetime(2027, 1, 1, tzinfo=UTC)
    assert nov.label == "2026-11"


@pytest.mark.parametrize("bad", ["2026-13", "2026-1", "nov"])
def test_bad_month(bad: str) -> None:
    with pytest.raises(InvalidInput, match="period"):
        Period.month(bad)


def test_parse_instant_requires_timezone() -> None:
    assert parse_instant("2026-11-01T00:00:00Z", field="time") == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_instant("2026-11-01T01:00:00+01:00", field="time") == datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="timezone"):
        parse_instant("2026-11-01T00:00:00", field="time")
    with pytest.raises(InvalidInput, match="RFC 3339"):
        parse_instant("yesterday", field="time")
