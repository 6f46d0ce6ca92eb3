"""Half-open UTC time intervals `[start, end)`: billing periods, usage windows, service periods.

An instant belongs to the period that contains it; `end` is never inside. Never reads the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tally.errors import InvalidInput

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def require_utc(value: datetime, *, field: str) -> datetime:
    """Refuse naive datetimes and normalise aware ones to UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(field, f"must carry a timezone, got {value.isoformat()}")
    return value.astimezone(UTC)


def parse_instant(text: str, *, field: str) -> datetime:
    """Parse an RFC 3339 timestamp; the timezone is required."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidInput(field, f"is not an RFC 3339 timestamp: {text!r}") from None
    return require_utc(value, field=field)


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A half-open interval of UTC time `[start, end)`."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_utc(self.start, field="period.start")
        require_utc(self.end, field="period.end")
        if self.end <= self.start:
            raise InvalidInput("period", f"end {self.end.isoformat()} must be after start {self.start.isoformat()}")

    @classmethod
    def month(cls, text: str) -> Period:
        """The calendar month `YYYY-MM` in UTC."""
        match = _MONTH.match(text.strip())
        if not match:
            raise InvalidInput("period", f"must be YYYY-MM, got {text!r}")
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise InvalidInput("period", f"month must be 01..12, got {text!r}")
        start = datetime(year, month, 1, tzinfo=UTC)
        end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
        return cls(start, end)

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end

    def overlaps(self, other: Period) -> bool:
        return self.start < other.end and other.start < self.end

    def intersection(self, other: Period) -> Period | None:
        start, end = max(self.start, other.start), min(self.end, other.end)
        return Period(start, end) if start < end else None

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def label(self) -> str:
        """`2026-11` for a calendar month, otherwise `start/end` in ISO form."""
        if self == Period.month(f"{self.start.year:04d}-{self.start.month:02d}"):
            return f"{self.start.year:04d}-{self.start.month:02d}"
        return f"{self.start.isoformat()}/{self.end.isoformat()}"
