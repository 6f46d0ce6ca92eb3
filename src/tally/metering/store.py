"""Metering's tables ↔ records. Makes no decisions and never commits; the unit of work does.

Batch-shaped: reads look keys up with one indexed IN per chunk, writes use executemany.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, localcontext
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tally.audit.canonical import canonical_json
from tally.ingest.jsonexact import loads_exact
from tally.ingest.model import StoredEvent
from tally.metering.model import (
    Aggregation,
    MeterDefinition,
    MeterReject,
    MeterVersion,
    RollupState,
    StoredReject,
)
from tally.metering.rollup import (
    EXACT,
    KeyTuple,
    canonical_decimal,
    canonical_time,
    day_end,
    day_start,
    fold_into,
    key_hash,
    raw_of,
    state_of,
)
from tally.store.schema.ingest import events, subject_mappings
from tally.store.schema.metering import (
    meter_daily_rollups,
    meter_distinct_values,
    meter_rejects,
    meter_rollups,
    meters,
)

HOURLY = "meter_rollups"
DAILY = "meter_daily_rollups"  # the same states merged per UTC day: what a month's bill reads
IN_CHUNK_MAX = 900  # bound parameters per IN (SQLite's limit is 32766; keep statements small)


def _version_of(row: Any) -> MeterVersion:
    definition = MeterDefinition(
        slug=row.slug, name=row.name, description=row.description, event_type=row.event_type,
        aggregation=Aggregation(row.aggregation), value_property=row.value_property,
        group_by=tuple(sorted((str(k), str(v)) for k, v in loads_exact(row.group_by).items())),
        filter=tuple(sorted((str(k), str(v)) for k, v in loads_exact(row.filter).items())))
    return MeterVersion(meter_id=row.meter_id, version=row.version, definition=definition,
                        effective_from=row.effective_from, created_at=row.created_at,
                        updated_at=row.deleted_at or row.created_at, deleted_at=row.deleted_at, digest=row.digest)


def load_versions(connection: Connection, *, slugs: Iterable[str] | None = None,
                  live_only: bool = False) -> tuple[MeterVersion, ...]:
    """Meter versions ordered by (slug, version); `live_only` drops deleted ones."""
    query = select(meters).order_by(meters.c.slug, meters.c.version)
    if slugs is not None:
        query = query.where(meters.c.slug.in_(sorted(set(slugs))))
    if live_only:
        query = query.where(meters.c.deleted_at.is_(None))
    return tuple(_version_of(row) for row in connection.execute(query))


def insert_version(connection: Connection, version: MeterVersion) -> None:
    d = version.definition
    connection.execute(insert(meters).values(
        slug=d.slug, version=version.version, meter_id=version.meter_id, name=d.name, description=d.description,
        event_type=d.event_type, aggregation=d.aggregation.value, value_property=d.value_property,
        group_by=canonical_json(dict(d.group_by)), filter=canonical_json(dict(d.filter)),
        effective_from=version.effective_from, created_at=version.created_at, deleted_at=None,
        digest=version.digest))


def mark_deleted(connection: Connection, slug: str, at: datetime) -> int:
    result = connection.execute(update(meters).where(meters.c.slug == slug, meters.c.deleted_at.is_(None))
                                .values(deleted_at=at))
    return int(result.rowcount or 0)


def _state_values(state: RollupState) -> dict[str, Any]:
    return {"event_count": state.count, "value_sum": state.sum, "value_min": state.min, "value_max": state.max,
            "latest_value": state.latest, "latest_time": state.latest_time, "latest_seq": state.latest_seq}


def _state_of_row(row: Any) -> RollupState:
    return RollupState(count=int(row.event_count), sum=row.value_sum, min=row.value_min, max=row.value_max,
                       latest=row.latest_value, latest_time=row.latest_time, latest_seq=row.latest_seq)


def _key_of_row(row: Any) -> KeyTuple:
    return (row.meter_slug, int(row.meter_version), row.customer_id, row.subject, row.window_start, row.group_key)


_STATE_COLUMNS = ("event_count", "value_sum", "value_min", "value_max", "latest_value", "latest_time", "latest_seq")
_KEY_COLUMNS = ("rollup_key", "meter_slug", "meter_version", "customer_id", "subject", "window_start", "group_key")


class _Driver:
    """The hot path's parameter conversion, done once per value instead of through SQLAlchemy's per-row
    type processors: exactly what ExactDecimal/UtcDateTime would bind (SQLite: exact decimal text and
    naive-UTC `YYYY-MM-DD HH:MM:SS.ffffff`; PostgreSQL: Decimal and aware datetimes as they are)."""

    def __init__(self, dialect: str) -> None:
        self.sqlite = dialect == "sqlite"
        self.mark = "?" if self.sqlite else "%s"
        self._windows: dict[datetime, Any] = {}

    def window(self, value: datetime) -> Any:
        """`time` for hour windows, which repeat across the keys of a batch."""
        out = self._windows.get(value)
        if out is None:
            out = self._windows[value] = self.time(value)
        return out

    def dec(self, value: Decimal | None) -> Any:
        if value is None or not self.sqlite:
            return value
        return format(value, "f")

    def time(self, value: datetime | None) -> Any:
        if value is None or not self.sqlite:
            return value
        if value.tzinfo is UTC:  # the common case: "YYYY-MM-DD HH:MM:SS.ffffff+00:00" minus the offset
            return value.isoformat(" ", "microseconds")[:26]
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

    def read_dec(self, value: Any) -> Decimal | None:
        return None if value is None else value if isinstance(value, Decimal) else Decimal(value)

    def read_time(self, value: Any) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        parsed: datetime = value
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    def raw_params(self, v: Sequence[Any]) -> tuple[Any, ...]:
        """An accumulator's raw state [count, sum, min, max, latest, latest_time, latest_seq] as parameters;
        a one-event state's min, max and latest are the same Decimal object, so it is formatted once."""
        total, low, high, latest = v[1], v[2], v[3], v[4]
        low_p = self.dec(low)
        return (v[0], self.dec(total), low_p, low_p if high is low else self.dec(high),
                low_p if latest is low else self.dec(latest), self.time(v[5]), v[6])


ROLLUP_LOCK = 4_000_001  # PostgreSQL advisory lock: one writer of rollups at a time (until its commit)


def lock_rollups(connection: Connection) -> None:
    """Serialise rollup maintenance across concurrent ingest transactions on PostgreSQL.

    `upsert_states` reads the touched rows, merges in memory and writes them back; two transactions doing
    that side by side would lose an update (or collide inserting the same new key). SQLite already runs one
    writer at a time (BEGIN IMMEDIATE). The lock is transaction-scoped and is taken after the events are
    inserted, so the event inserts of concurrent batches still overlap; it is re-entrant within a transaction.
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({ROLLUP_LOCK})")


def upsert_states(connection: Connection, states: Mapping[KeyTuple, RollupState | Sequence[Any]],
                  distinct: Mapping[KeyTuple, Iterable[str]]) -> None:
    """Merge `states` (records, or an accumulator's raw lists) into the stored hourly rollups and into the
    daily rollups of their days: read the touched rows (one IN per 900 keys), merge in memory, write back
    with two executemany statements per level. O(batch), a handful of round trips."""
    if not states:
        return
    lock_rollups(connection)
    driver = _Driver(connection.dialect.name)
    _merge_into(connection, driver, HOURLY, states)
    _merge_into(connection, driver, DAILY, _days_of(states))
    rows_distinct = [(key_hash(k), v) for k, values in distinct.items() for v in values]
    if rows_distinct:
        mark = driver.mark
        connection.exec_driver_sql(f"INSERT INTO meter_distinct_values (rollup_key, value) VALUES ({mark}, {mark}) "
                                   "ON CONFLICT (rollup_key, value) DO NOTHING", rows_distinct)


def daily_states(states: Mapping[KeyTuple, RollupState | Sequence[Any]]) -> dict[KeyTuple, RollupState]:
    """Hourly states merged into the states of their UTC days (the key's window becomes the day's start)."""
    return {key: state_of(raw) for key, raw in _days_of(states).items()}


def _days_of(states: Mapping[KeyTuple, RollupState | Sequence[Any]]) -> dict[KeyTuple, list[Any]]:
    """`daily_states` as raw lists, for the write path (the hourly states are not changed)."""
    days: dict[KeyTuple, list[Any]] = {}
    day_of: dict[datetime, datetime] = {}
    with localcontext(EXACT):
        for key, given in states.items():
            window = key[4]
            day = day_of.get(window)
            if day is None:
                day = day_of[window] = day_start(window)
            day_key = (key[0], key[1], key[2], key[3], day, key[5])
            held = days.get(day_key)
            if held is None:
                days[day_key] = list(_as_raw(given))
            else:
                fold_into(held, _as_raw(given))
    return days


def _as_raw(state: RollupState | Sequence[Any]) -> Sequence[Any]:
    """A record, or an accumulator's raw list as it is: the write path's one shape."""
    return raw_of(state) if isinstance(state, RollupState) else state


def _known_rollup_table(table: str) -> None:
    """Table names are put into SQL text: only the two rollup tables may be."""
    if table not in (HOURLY, DAILY):
        raise ValueError(f"no rollup table {table!r}")


def _merge_into(connection: Connection, driver: _Driver, table: str,
                states: Mapping[KeyTuple, RollupState | Sequence[Any]]) -> None:
    mark = driver.mark
    hashed = {key_hash(k): k for k in states}
    existing: dict[str, list[Any]] = {}
    hashes = list(hashed)
    select_sql = f"SELECT rollup_key, {', '.join(_STATE_COLUMNS)} FROM {table} WHERE rollup_key IN "
    read_dec, read_time = driver.read_dec, driver.read_time
    for i in range(0, len(hashes), IN_CHUNK_MAX):
        chunk = hashes[i:i + IN_CHUNK_MAX]
        rows = connection.exec_driver_sql(select_sql + f"({', '.join([mark] * len(chunk))})", tuple(chunk))
        for r in rows:
            existing[r[0]] = [int(r[1]), read_dec(r[2]) or Decimal(0), read_dec(r[3]), read_dec(r[4]),
                              read_dec(r[5]), read_time(r[6]), None if r[7] is None else int(r[7])]
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    with localcontext(EXACT):
        for h, key in hashed.items():
            given = _as_raw(states[key])
            before = existing.get(h)
            if before is None:
                inserts.append((h, key[0], key[1], key[2], key[3], driver.window(key[4]), key[5],
                                *driver.raw_params(given)))
            else:
                fold_into(before, given)
                updates.append((*driver.raw_params(before), h))
    if inserts:
        columns = (*_KEY_COLUMNS, *_STATE_COLUMNS)
        connection.exec_driver_sql(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})", inserts)
    if updates:
        assignments = ", ".join(f"{c} = {mark}" for c in _STATE_COLUMNS)
        connection.exec_driver_sql(f"UPDATE {table} SET {assignments} WHERE rollup_key = {mark}", updates)


def _insert_ignore(connection: Connection, table: Any, columns: list[str]) -> Any:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=columns)
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=columns)


def insert_rejects(connection: Connection, rejects: Sequence[MeterReject], at: datetime) -> None:
    if not rejects:
        return
    rows = [{"event_seq": r.event_seq, "meter_slug": r.meter_slug, "meter_version": r.meter_version,
             "reason": r.reason, "recorded_at": at} for r in rejects]
    connection.execute(_insert_ignore(connection, meter_rejects, ["event_seq", "meter_slug", "meter_version"]), rows)


def load_rejects(connection: Connection, *, meter_slug: str | None = None,
                 limit: int = 1000) -> tuple[StoredReject, ...]:
    query = select(meter_rejects).order_by(meter_rejects.c.seq).limit(limit)
    if meter_slug:
        query = query.where(meter_rejects.c.meter_slug == meter_slug)
    return tuple(StoredReject(seq=r.seq, event_seq=r.event_seq, meter_slug=r.meter_slug, meter_version=r.meter_version,
                              reason=r.reason, recorded_at=r.recorded_at) for r in connection.execute(query))


def count_rejects(connection: Connection) -> int:
    from sqlalchemy import func

    return int(connection.execute(select(func.count()).select_from(meter_rejects)).scalar_one())


def select_states(connection: Connection, *, meter_slug: str, meter_version: int, start: datetime | None,
                  end: datetime | None, customer_ids: Sequence[str] | None = None,
                  subjects: Sequence[str] | None = None, full: bool = True,
                  table: str = HOURLY) -> dict[KeyTuple, RollupState]:
    """Rollups of one meter version with `start <= window_start < end`: one indexed range query, read at
    the driver level (a month of every customer is many rows). `full=False` reads count and sum only
    (enough for SUM, COUNT, AVG, UNIQUE_COUNT)."""
    driver = _Driver(connection.dialect.name)
    mark = driver.mark
    where = [f"meter_slug = {mark}", f"meter_version = {mark}"]
    params: list[Any] = [meter_slug, meter_version]
    if customer_ids is not None:
        where.append(f"customer_id IN ({', '.join([mark] * len(customer_ids))})")
        params.extend(customer_ids)
    if start is not None:
        where.append(f"window_start >= {mark}")
        params.append(driver.time(start))
    if end is not None:
        where.append(f"window_start < {mark}")
        params.append(driver.time(end))
    if subjects is not None:
        where.append(f"subject IN ({', '.join([mark] * len(subjects))})")
        params.extend(subjects)
    _known_rollup_table(table)
    sql = (f"SELECT customer_id, subject, window_start, group_key, {', '.join(_STATE_COLUMNS)} FROM {table} "
           f"WHERE {' AND '.join(where)}")
    out: dict[KeyTuple, RollupState] = {}
    windows: dict[Any, datetime | None] = {}
    read_dec, read_time = driver.read_dec, driver.read_time
    for r in connection.exec_driver_sql(sql, tuple(params)).fetchall():
        window = windows.get(r[2])
        if window is None:
            window = windows[r[2]] = read_time(r[2])
        assert window is not None
        if not full:
            out[(meter_slug, meter_version, r[0], r[1], window, r[3])] = RollupState(
                count=int(r[4]), sum=read_dec(r[5]) or Decimal(0))
            continue
        low = read_dec(r[6])
        text = isinstance(r[6], str)  # SQLite's exact text: equal text is the same Decimal, parse it once
        out[(meter_slug, meter_version, r[0], r[1], window, r[3])] = RollupState(
            count=int(r[4]), sum=read_dec(r[5]) or Decimal(0), min=low,
            max=low if text and r[7] == r[6] else read_dec(r[7]),
            latest=low if text and r[8] == r[6] else read_dec(r[8]),
            latest_time=read_time(r[9]), latest_seq=None if r[10] is None else int(r[10]))
    return out


def select_rows(connection: Connection, *, meter_slug: str, meter_version: int, start: datetime, end: datetime,
                customer_ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """The billing read: rollups of some customers for [start, end), as canonical text tuples
    (rollup_key, customer_id, subject, window, group_key, count, sum, min, max, latest, latest_time,
    latest_seq) — SQLite's stored text is already canonical, so nothing is parsed that is not needed."""
    driver = _Driver(connection.dialect.name)
    mark = driver.mark
    sql = (f"SELECT rollup_key, customer_id, subject, window_start, group_key, {', '.join(_STATE_COLUMNS)} "
           f"FROM meter_rollups WHERE meter_slug = {mark} AND meter_version = {mark} "
           f"AND customer_id IN ({', '.join([mark] * len(customer_ids))}) "
           f"AND window_start >= {mark} AND window_start < {mark}")
    params = (meter_slug, meter_version, *customer_ids, driver.time(start), driver.time(end))
    rows = connection.exec_driver_sql(sql, params).fetchall()
    if driver.sqlite:
        return [tuple(r) for r in rows]
    return [(r[0], r[1], r[2], canonical_time(r[3]), r[4], r[5], canonical_decimal(r[6]), canonical_decimal(r[7]),
             canonical_decimal(r[8]), canonical_decimal(r[9]), canonical_time(r[10]), r[11]) for r in rows]


def sum_rows(connection: Connection, *, meter_slug: str, meter_version: int, start: datetime, end: datetime,
             customer_ids: Sequence[str], table: str = HOURLY) -> list[tuple[str, str, str, int, Decimal]]:
    """(customer, subject, group_key, count, sum) of some customers' rollups (hourly, or DAILY for whole
    days) over [start, end), one row per (customer, subject, group). PostgreSQL sums in SQL (NUMERIC is
    exact), so a month crosses the wire as a handful of rows; SQLite stores sums as exact text, summed here
    with Decimal."""
    _known_rollup_table(table)
    driver = _Driver(connection.dialect.name)
    mark = driver.mark
    where = (f"FROM {table} WHERE meter_slug = {mark} AND meter_version = {mark} "
             f"AND customer_id IN ({', '.join([mark] * len(customer_ids))}) "
             f"AND window_start >= {mark} AND window_start < {mark}")
    params = (meter_slug, meter_version, *customer_ids, driver.time(start), driver.time(end))
    if not driver.sqlite:
        rows = connection.exec_driver_sql(
            f"SELECT customer_id, subject, group_key, SUM(event_count), SUM(value_sum) {where} "
            "GROUP BY customer_id, subject, group_key", params)
        return [(r[0], r[1], r[2], int(r[3]), Decimal(0) if r[4] is None else r[4]) for r in rows]
    totals: dict[tuple[str, str, str], list[Any]] = {}
    with localcontext(EXACT):
        for customer, subject, group_key, count, total in connection.exec_driver_sql(
                f"SELECT customer_id, subject, group_key, event_count, value_sum {where}", params):
            acc = totals.get((customer, subject, group_key))
            if acc is None:
                acc = totals[(customer, subject, group_key)] = [0, Decimal(0)]
            acc[0] += int(count)
            if total is not None:
                acc[1] += Decimal(total)
    return [(c, s, g, n, t) for (c, s, g), (n, t) in totals.items()]


def select_distinct_by_rollup_key(connection: Connection, rollup_keys: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for i in range(0, len(rollup_keys), IN_CHUNK_MAX):
        query = select(meter_distinct_values).where(
            meter_distinct_values.c.rollup_key.in_(list(rollup_keys[i:i + IN_CHUNK_MAX])))
        for row in connection.execute(query):
            out.setdefault(row.rollup_key, []).append(row.value)
    return out


def select_distinct(connection: Connection, keys: Iterable[KeyTuple]) -> dict[KeyTuple, set[str]]:
    by_hash = {key_hash(k): k for k in keys}
    out: dict[KeyTuple, set[str]] = {}
    hashes = list(by_hash)
    for i in range(0, len(hashes), IN_CHUNK_MAX):
        query = select(meter_distinct_values).where(meter_distinct_values.c.rollup_key.in_(hashes[i:i + IN_CHUNK_MAX]))
        for row in connection.execute(query):
            out.setdefault(by_hash[row.rollup_key], set()).add(row.value)
    return out


def delete_states(connection: Connection, *, versions: Sequence[tuple[str, int]], start: datetime, end: datetime,
                  subject: str | None = None) -> int:
    """Delete the rollups (and their distinct values) of `versions` with windows in [start, end); the daily
    rollups of the days touched are rebuilt from the hours that remain. Returns the hourly rows deleted."""
    deleted = 0
    first_day, after_last_day = day_start(start), day_end(end)
    for slug, version in versions:
        conditions = [meter_rollups.c.meter_slug == slug, meter_rollups.c.meter_version == version,
                      meter_rollups.c.window_start >= start, meter_rollups.c.window_start < end]
        if subject is not None:
            conditions.append(meter_rollups.c.subject == subject)
        keys = select(meter_rollups.c.rollup_key).where(and_(*conditions))
        connection.execute(delete(meter_distinct_values).where(meter_distinct_values.c.rollup_key.in_(keys)))
        deleted += int(connection.execute(delete(meter_rollups).where(and_(*conditions))).rowcount or 0)
        day_conditions = [meter_daily_rollups.c.meter_slug == slug, meter_daily_rollups.c.meter_version == version,
                          meter_daily_rollups.c.window_start >= first_day,
                          meter_daily_rollups.c.window_start < after_last_day]
        if subject is not None:
            day_conditions.append(meter_daily_rollups.c.subject == subject)
        connection.execute(delete(meter_daily_rollups).where(and_(*day_conditions)))
        merge_hours_into_days(connection, meter_slug=slug, meter_version=version, start=first_day,
                              end=after_last_day, subject=subject)
    return deleted


def merge_hours_into_days(connection: Connection, *, meter_slug: str, meter_version: int,
                          start: datetime | None = None, end: datetime | None = None,
                          subject: str | None = None) -> None:
    """Merge the stored hours of [start, end) into the daily rollups (whose days there must be empty)."""
    hours = select_states(connection, meter_slug=meter_slug, meter_version=meter_version, start=start, end=end,
                          subjects=[subject] if subject is not None else None)
    _merge_into(connection, _Driver(connection.dialect.name), DAILY, _days_of(hours))


def customers_in(connection: Connection, *, start: datetime, end: datetime,
                 versions: Sequence[tuple[str, int]]) -> tuple[str, ...]:
    found: set[str] = set()
    for slug, version in versions:
        query = select(meter_rollups.c.customer_id).distinct().where(
            meter_rollups.c.meter_slug == slug, meter_rollups.c.meter_version == version,
            meter_rollups.c.window_start >= start, meter_rollups.c.window_start < end,
            meter_rollups.c.customer_id != "")
        found.update(connection.execute(query).scalars())
    return tuple(sorted(found))


def stream_events(connection: Connection, *, event_types: Iterable[str], start: datetime | None = None,
                  end: datetime | None = None, subjects: Sequence[str] | None = None,
                  received_by: datetime | None = None, chunk_events_max: int = 5000) -> Iterator[list[StoredEvent]]:
    """Raw events (ingest's table, read only) of `event_types` with `start <= event_time < end`, in chunks;
    with `received_by`, only those received by then (what a rating at that instant could have seen)."""
    conditions: list[ColumnElement[bool]] = [events.c.event_type.in_(sorted(set(event_types)))]
    if received_by is not None:
        conditions.append(events.c.received_at <= received_by)
    if start is not None:
        conditions.append(events.c.event_time >= start)
    if end is not None:
        conditions.append(events.c.event_time < end)
    if subjects is not None:
        if not subjects:
            return
        conditions.append(events.c.subject.in_(sorted(set(subjects))))
    query = select(events).where(and_(*conditions)).order_by(events.c.seq)
    result = connection.execute(query, execution_options={"stream_results": True, "yield_per": chunk_events_max})
    for partition in result.partitions(chunk_events_max):
        yield [StoredEvent(seq=r.seq, source=r.event_source, event_id=r.event_id, event_type=r.event_type,
                           subject=r.subject, event_time=r.event_time, received_at=r.received_at, data_json=r.data)
               for r in partition]


def count_events(connection: Connection, *, event_types: Iterable[str], start: datetime | None = None,
                 end: datetime | None = None) -> int:
    from sqlalchemy import func

    conditions: list[ColumnElement[bool]] = [events.c.event_type.in_(sorted(set(event_types)))]
    if start is not None:
        conditions.append(events.c.event_time >= start)
    if end is not None:
        conditions.append(events.c.event_time < end)
    return int(connection.execute(select(func.count()).select_from(events).where(and_(*conditions))).scalar_one())


def subjects_of_customer(connection: Connection, customer_id: str) -> tuple[str, ...]:
    """Every subject ever mapped to `customer_id` (ingest's mapping table, read only)."""
    query = select(subject_mappings.c.subject).distinct().where(subject_mappings.c.customer_id == customer_id)
    return tuple(sorted(connection.execute(query).scalars()))


def event_time_bounds(connection: Connection, *, event_types: Iterable[str]) -> tuple[datetime, datetime] | None:
    from sqlalchemy import func

    row = connection.execute(select(func.min(events.c.event_time), func.max(events.c.event_time))
                             .where(events.c.event_type.in_(sorted(set(event_types))))).one()
    if row[0] is None:
        return None
    return row[0], row[1]
