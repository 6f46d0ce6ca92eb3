"""Usage queries in OpenMeter's shape: values per window (MINUTE/HOUR/DAY/MONTH or the whole range),
optionally per subject, customer and group values, filtered by subject, customer and group values.

Hour, day and month windows are answered from the hourly rollups; minute windows (and ranges or
time zones that do not fall on whole hours) from the raw events, with the same pure aggregation.
Reads only; never commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tally.ingest.attribution import Attribution
from tally.ingest.mapping_store import load_mappings
from tally.metering import store
from tally.metering.errors import MeterInvalid, MeterNotFound
from tally.metering.model import Aggregation, MeterVersion, RollupState
from tally.metering.rollup import Accumulator, CompiledMeter, KeyTuple, decode_groups, hour_start, quantity
from tally.store.uow import UnitOfWork

MINUTE_QUERY_RANGE_DAYS_MAX = 31  # raw-event queries read every event of the range: bound them
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RESERVED_GROUPS = frozenset({"subject", "customer_id", "customerId"})


class WindowSize(StrEnum):
    MINUTE = "MINUTE"
    HOUR = "HOUR"
    DAY = "DAY"
    MONTH = "MONTH"


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterQuery:
    slug: str
    start: datetime | None = None
    end: datetime | None = None
    window_size: WindowSize | None = None
    window_time_zone: str = "UTC"
    subjects: tuple[str, ...] = ()
    customer_ids: tuple[str, ...] = ()
    group_by: tuple[str, ...] = ()
    filter_group_by: tuple[tuple[str, tuple[str, ...]], ...] = ()  # name → accepted values (any of)


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryRow:
    value: Decimal
    window_start: datetime
    window_end: datetime
    subject: str | None
    customer_id: str | None
    group_by: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryResult:
    meter_slug: str
    meter_version: int
    start: datetime | None
    end: datetime | None
    window_size: WindowSize | None
    rows: tuple[QueryRow, ...]
    source: str  # "rollups" or "events"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise MeterInvalid("windowTimeZone", f"is not an IANA time zone: {name!r}") from None


def _whole_hours(zone: ZoneInfo, *instants: datetime) -> bool:
    for at in instants:
        offset = at.astimezone(zone).utcoffset() or timedelta(0)
        if offset % timedelta(hours=1):
            return False
    return True


def _bucket(at: datetime, size: WindowSize | None, zone: ZoneInfo, query: MeterQuery,
            first: datetime, last: datetime) -> tuple[datetime, datetime]:
    if size is None:
        return (query.start or first, query.end or last)
    if size is WindowSize.MINUTE:
        start = _minute_start(at)
        return start, start + timedelta(minutes=1)
    if size is WindowSize.HOUR:
        start = hour_start(at)
        return start, start + timedelta(hours=1)
    local = at.astimezone(zone)
    if size is WindowSize.DAY:
        day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        following = (day + timedelta(days=1, hours=2)).replace(hour=0)
    else:
        day = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        following = (day + timedelta(days=32)).replace(day=1)
    start_local = day.replace(tzinfo=None).replace(tzinfo=zone)
    end_local = following.replace(tzinfo=None).replace(tzinfo=zone)
    return start_local.astimezone(UTC), end_local.astimezone(UTC)


def query_meter(uow: UnitOfWork, query: MeterQuery) -> QueryResult:
    """Answer a meter query with the version in force at `start` (the first live version when open)."""
    connection = uow.connection
    versions = store.load_versions(connection, slugs=[query.slug], live_only=True)
    if not versions:
        raise MeterNotFound(query.slug)
    version: MeterVersion = versions[0]
    if query.start is not None:
        covering = [v for v in versions if v.covers(query.start)]
        version = covering[-1] if covering else versions[0]
    if query.start is not None and query.end is not None and query.end <= query.start:
        raise MeterInvalid("to", "must be after from")
    definition = version.definition
    names = {name for name, _ in definition.group_by}
    for name in query.group_by:
        if name not in names and name not in RESERVED_GROUPS:
            raise MeterInvalid("groupBy", f"{name!r} is not a groupBy of meter {query.slug!r} "
                               f"(known: {', '.join(sorted(names)) or 'none'}, subject, customer_id)")
    for name, _ in query.filter_group_by:
        if name not in names:
            raise MeterInvalid(f"filterGroupBy[{name}]", f"is not a groupBy of meter {query.slug!r}")
    zone = _zone(query.window_time_zone)
    aligned = all(t is None or t == hour_start(t) for t in (query.start, query.end))
    checks = [t for t in (query.start, query.end) if t is not None] or [_EPOCH]
    from_events = (query.window_size is WindowSize.MINUTE or not aligned
                   or (query.window_size in (WindowSize.DAY, WindowSize.MONTH) and not _whole_hours(zone, *checks)))
    states, distinct = (_raw_states(uow, version, query) if from_events else _rollup_states(uow, version, query))
    wanted = dict(query.filter_group_by)
    by_subject = "subject" in query.group_by
    by_customer = bool({"customer_id", "customerId"} & set(query.group_by)) or bool(query.customer_ids)
    dims = tuple(n for n in query.group_by if n not in RESERVED_GROUPS)
    buckets: dict[tuple[datetime, datetime, str | None, str | None, tuple[tuple[str, str | None], ...]],
                  list[KeyTuple]] = {}
    first = min((k[4] for k in states), default=query.start or _EPOCH)
    last = max((k[4] for k in states), default=first) + timedelta(hours=1)
    for key in states:
        groups = decode_groups(key[5]) if (dims or wanted) else {}
        if any(groups.get(n) not in accepted for n, accepted in wanted.items()):
            continue
        window = _bucket(key[4], query.window_size, zone, query, first, last)
        bucket = (window[0], window[1], key[3] if by_subject else None, key[2] if by_customer else None,
                  tuple((n, groups.get(n)) for n in dims))
        buckets.setdefault(bucket, []).append(key)
    rows = []
    for bucket, keys in buckets.items():
        values = [v for k in keys for v in distinct.get(k, ())]
        rows.append(QueryRow(value=quantity(definition.aggregation, (states[k] for k in keys), values),
                             window_start=bucket[0], window_end=bucket[1], subject=bucket[2], customer_id=bucket[3],
                             group_by=bucket[4]))
    rows.sort(key=lambda r: (r.window_start, r.subject or "", r.customer_id or "", str(r.group_by)))
    return QueryResult(meter_slug=version.slug, meter_version=version.version, start=query.start, end=query.end,
                       window_size=query.window_size, rows=tuple(rows), source="events" if from_events else "rollups")


def _rollup_states(uow: UnitOfWork, version: MeterVersion, query: MeterQuery
                   ) -> tuple[dict[KeyTuple, RollupState], dict[KeyTuple, set[str]]]:
    states = store.select_states(uow.connection, meter_slug=version.slug, meter_version=version.version,
                                 start=query.start, end=query.end, customer_ids=query.customer_ids or None,
                                 subjects=query.subjects or None,
                                 full=version.definition.aggregation in (Aggregation.MIN, Aggregation.MAX,
                                                                         Aggregation.LATEST))
    distinct = (store.select_distinct(uow.connection, states)
                if version.definition.aggregation is Aggregation.UNIQUE_COUNT else {})
    return states, distinct


def _raw_states(uow: UnitOfWork, version: MeterVersion, query: MeterQuery
                ) -> tuple[dict[KeyTuple, RollupState], dict[KeyTuple, set[str]]]:
    if query.start is None or query.end is None:
        raise MeterInvalid("from", "minute windows (and ranges not on whole hours) need both from and to")
    if query.end - query.start > timedelta(days=MINUTE_QUERY_RANGE_DAYS_MAX):
        raise MeterInvalid("to", f"a query answered from raw events may span at most {MINUTE_QUERY_RANGE_DAYS_MAX} "
                           "days (minute_query_range_days_max)")
    connection = uow.connection
    subjects: list[str] | None = list(query.subjects) or None
    if query.customer_ids:
        of_customers = {s for c in query.customer_ids for s in store.subjects_of_customer(connection, c)}
        subjects = sorted(of_customers & set(subjects) if subjects is not None else of_customers)
    accumulator = Accumulator()
    compiled = (CompiledMeter.of(version),)
    for chunk in store.stream_events(connection, event_types=[version.definition.event_type], start=query.start,
                                     end=query.end, subjects=subjects):
        attribution = Attribution(load_mappings(connection, {e.subject for e in chunk}))
        # Minute keys for every raw query: any hour/day/month boundary in any zone falls between them.
        accumulator.add(compiled, chunk, attribution.customer_for, window_of=_minute_start)
    states = accumulator.frozen()
    if query.customer_ids:
        states = {k: v for k, v in states.items() if k[2] in set(query.customer_ids)}
    return states, {k: v for k, v in accumulator.distinct.items() if k in states}


def _minute_start(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def parse_window_size(text: str | None) -> WindowSize | None:
    if text is None or text == "":
        return None
    try:
        return WindowSize(text.upper())
    except ValueError:
        raise MeterInvalid("windowSize", f"must be one of MINUTE, HOUR, DAY, MONTH, got {text!r}") from None


def filter_pairs(values: Mapping[str, Sequence[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(sorted((name, tuple(accepted)) for name, accepted in values.items()))
