"""Metering's tables ↔ records. Makes no decisions and never commits; the unit of work does.

Batch-shaped: reads look keys up with one indexed IN per chunk, writes use executemany.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, bindparam, delete, insert, select, update
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
from tally.metering.rollup import KeyTuple, key_hash, merge
from tally.store.schema.ingest import events, subject_mappings
from tally.store.schema.metering import meter_distinct_values, meter_rejects, meter_rollups, meters

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


def upsert_states(connection: Connection, states: Mapping[KeyTuple, RollupState],
                  distinct: Mapping[KeyTuple, Iterable[str]]) -> None:
    """Merge `states` into the stored rollups: read the touched rows, merge in memory, write back."""
    if not states:
        return
    hashed = {key_hash(k): k for k in states}
    existing: dict[str, RollupState] = {}
    hashes = list(hashed)
    state_columns = [meter_rollups.c.rollup_key, meter_rollups.c.event_count, meter_rollups.c.value_sum,
                     meter_rollups.c.value_min, meter_rollups.c.value_max, meter_rollups.c.latest_value,
                     meter_rollups.c.latest_time, meter_rollups.c.latest_seq]
    for i in range(0, len(hashes), IN_CHUNK_MAX):
        chunk = hashes[i:i + IN_CHUNK_MAX]
        for row in connection.execute(select(*state_columns).where(meter_rollups.c.rollup_key.in_(chunk))):
            existing[row.rollup_key] = _state_of_row(row)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for h, key in hashed.items():
        state = states[key]
        before = existing.get(h)
        if before is None:
            inserts.append({"rollup_key": h, "meter_slug": key[0], "meter_version": key[1], "customer_id": key[2],
                            "subject": key[3], "window_start": key[4], "group_key": key[5], **_state_values(state)})
        else:
            merged = _state_values(merge(before, state))
            updates.append({"k": h, **{f"n_{c}": v for c, v in merged.items()}})
    if inserts:
        connection.execute(insert(meter_rollups), inserts)
    if updates:
        statement = update(meter_rollups).where(meter_rollups.c.rollup_key == bindparam("k")).values(
            **{c: bindparam(f"n_{c}") for c in _state_values(RollupState())})
        connection.execute(statement, updates)
    rows = [{"rollup_key": key_hash(k), "value": v} for k, values in distinct.items() for v in values]
    if rows:
        connection.execute(_insert_ignore(connection, meter_distinct_values, ["rollup_key", "value"]), rows)


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
                  subjects: Sequence[str] | None = None) -> dict[KeyTuple, RollupState]:
    """Rollups of one meter version with `start <= window_start < end` (one indexed range query)."""
    conditions: list[ColumnElement[bool]] = [meter_rollups.c.meter_slug == meter_slug,
                                             meter_rollups.c.meter_version == meter_version]
    if start is not None:
        conditions.append(meter_rollups.c.window_start >= start)
    if end is not None:
        conditions.append(meter_rollups.c.window_start < end)
    if customer_ids is not None:
        if len(customer_ids) == 1:
            conditions.append(meter_rollups.c.customer_id == customer_ids[0])
        else:
            conditions.append(meter_rollups.c.customer_id.in_(list(customer_ids)))
    if subjects is not None:
        conditions.append(meter_rollups.c.subject.in_(list(subjects)))
    out: dict[KeyTuple, RollupState] = {}
    for row in connection.execute(select(meter_rollups).where(and_(*conditions))):
        out[_key_of_row(row)] = _state_of_row(row)
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
    """Delete the rollups (and their distinct values) of `versions` with windows in [start, end)."""
    deleted = 0
    for slug, version in versions:
        conditions = [meter_rollups.c.meter_slug == slug, meter_rollups.c.meter_version == version,
                      meter_rollups.c.window_start >= start, meter_rollups.c.window_start < end]
        if subject is not None:
            conditions.append(meter_rollups.c.subject == subject)
        keys = select(meter_rollups.c.rollup_key).where(and_(*conditions))
        connection.execute(delete(meter_distinct_values).where(meter_distinct_values.c.rollup_key.in_(keys)))
        deleted += int(connection.execute(delete(meter_rollups).where(and_(*conditions))).rowcount or 0)
    return deleted


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
                  chunk_events_max: int = 5000) -> Iterator[list[StoredEvent]]:
    """Raw events (ingest's table, read only) of `event_types` with `start <= event_time < end`, in chunks."""
    conditions: list[ColumnElement[bool]] = [events.c.event_type.in_(sorted(set(event_types)))]
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
