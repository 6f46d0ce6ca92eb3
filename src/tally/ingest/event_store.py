"""The events, rejected_events and subject_mappings tables ↔ ingest records. Makes no decisions, never commits.

The hot path (`insert_new`) talks to the driver directly, one statement per batch, so that storing
an event costs no per-row SQLAlchemy work:
- PostgreSQL: COPY into a session-local staging table, then `INSERT … SELECT … ON CONFLICT
  (event_source, event_id) DO NOTHING RETURNING …` — the unique key decides, so concurrent writers
  of the same event store it once (measured ~2x faster than INSERT … SELECT FROM unnest(arrays),
  whose array parameters psycopg adapts element by element in Python).
- SQLite: the write lock is already held (BEGIN IMMEDIATE), so the keys already stored are read,
  and only new rows are inserted with explicit sequence numbers (one executemany).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, and_, exists, func, insert, select, update

from tally.errors import Unavailable
from tally.ingest.model import QuarantinedEvent, StoredEvent
from tally.ingest.validation import RejectedItem, ValidEvent
from tally.period import Period
from tally.store.schema.ingest import events, rejected_events, subject_mappings
from tally.store.uow import UnitOfWork

_SQLITE_IDS_PER_QUERY = 30_000
_SQLITE_CACHE_KIB = 64 * 1024
_PG_STAGING = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS events_incoming (event_source text, event_id text, event_type text, "
    "subject text, event_time timestamptz, data text, late boolean) ON COMMIT DELETE ROWS"
)
_PG_COPY = "COPY events_incoming (event_source, event_id, event_type, subject, event_time, data, late) FROM STDIN"
_PG_INSERT = (
    "INSERT INTO events (event_source, event_id, event_type, subject, event_time, received_at, data, late) "
    "SELECT event_source, event_id, event_type, subject, event_time, %s, data, late FROM events_incoming "
    "ORDER BY event_source, event_id "  # one lock order for every writer: racing batches cannot deadlock
    "ON CONFLICT (event_source, event_id) DO NOTHING RETURNING seq, event_source, event_id"
)
_SQLITE_INSERT = (
    "INSERT INTO events (seq, event_source, event_id, event_type, subject, event_time, received_at, data, late) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _sqlite_time(value: datetime) -> str:
    """The text SQLAlchemy's SQLite DATETIME stores (naive UTC with microseconds), so reads agree.
    `value` is UTC already; its "+00:00" suffix is cut."""
    return value.isoformat(" ", "microseconds")[:26]


def insert_new(uow: UnitOfWork, batch: Sequence[ValidEvent], late: Sequence[bool], *,
               received_at: datetime) -> dict[tuple[str, str], int]:
    """Insert the events not stored yet; returns {(source, event_id): seq} of those newly stored.

    `batch` must hold each (source, id) once (the service deduplicates within a batch first).
    """
    if not batch:
        return {}
    dbapi: Any = uow.engine.dialect.dbapi
    cursor: Any = uow.connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        return _insert_new(uow, cursor, batch, late, received_at=received_at)
    except (dbapi.OperationalError, dbapi.InterfaceError) as exc:
        # The driver's own errors (this path bypasses SQLAlchemy): the database went away or is
        # locked. Nothing was committed; the caller may retry the same batch.
        raise Unavailable(f"database unavailable while storing events: {exc}") from exc
    finally:
        cursor.close()


def _insert_new(uow: UnitOfWork, cursor: Any, batch: Sequence[ValidEvent], late: Sequence[bool], *,
                received_at: datetime) -> dict[tuple[str, str], int]:
    if uow.dialect == "postgresql":
        cursor.execute(_PG_STAGING)
        with cursor.copy(_PG_COPY) as copy:
            write = copy.write_row
            for e, is_late in zip(batch, late, strict=True):
                write((e.source, e.event_id, e.event_type, e.subject, e.event_time, e.data_json, is_late))
        cursor.execute(_PG_INSERT, (received_at,))
        stored = {(source, event_id): seq for seq, source, event_id in cursor.fetchall()}
        cursor.execute("DELETE FROM events_incoming")  # a second call in the same transaction starts empty
        return stored
    return _sqlite_insert_new(cursor, batch, late, received_at=received_at)


def _sqlite_insert_new(cursor: Any, batch: Sequence[ValidEvent], late: Sequence[bool], *,
                       received_at: datetime) -> dict[tuple[str, str], int]:
    # The event indexes outgrow SQLite's default 2 MB page cache after a few hundred thousand events;
    # then every insert reads pages from disk. A larger cache (per connection, grown on demand) keeps a
    # million-event import fast.
    cursor.execute(f"PRAGMA cache_size = -{_SQLITE_CACHE_KIB}")
    by_source: dict[str, list[str]] = {}
    for e in batch:
        by_source.setdefault(e.source, []).append(e.event_id)
    existing: set[tuple[str, str]] = set()
    for source, ids in by_source.items():
        for start in range(0, len(ids), _SQLITE_IDS_PER_QUERY):
            chunk = ids[start:start + _SQLITE_IDS_PER_QUERY]
            marks = ",".join("?" * len(chunk))
            cursor.execute(f"SELECT event_id FROM events WHERE event_source = ? AND event_id IN ({marks})",
                           (source, *chunk))
            existing.update((source, row[0]) for row in cursor.fetchall())
    cursor.execute("SELECT coalesce(max(seq), 0) FROM events")
    seq = int(cursor.fetchone()[0])
    received = _sqlite_time(received_at.astimezone(UTC))
    rows = []
    stored: dict[tuple[str, str], int] = {}
    for e, is_late in zip(batch, late, strict=True):
        key = (e.source, e.event_id)
        if key in existing:
            continue
        seq += 1
        stored[key] = seq
        rows.append((seq, e.source, e.event_id, e.event_type, e.subject, _sqlite_time(e.event_time), received,
                     e.data_json, is_late))
    if rows:
        cursor.executemany(_SQLITE_INSERT, rows)
    return stored


def quarantine(uow: UnitOfWork, items: Sequence[RejectedItem], *, origin: str, received_at: datetime,
               raw_chars_max: int) -> int:
    """Keep each rejected item with its raw payload (cut at `raw_chars_max`) and reason; returns how many
    were added. An item already pending from the same origin, at the same position, with the same
    payload (a re-run of the same file, a retried request) is not kept twice."""
    origin = origin[:1024]
    rows: list[dict[str, Any]] = []
    for item in items:
        raw = item.raw.decode("utf-8", errors="replace")
        if len(raw) > raw_chars_max:
            raw = raw[:raw_chars_max]
        rows.append({"received_at": received_at, "origin": origin, "item_index": item.rejection.index,
                     "field": item.rejection.field[:255], "reason": item.rejection.reason, "raw_payload": raw})
    r = rejected_events
    pending: set[tuple[int, str]] = set()
    positions = sorted({item.rejection.index for item in items})
    for start in range(0, len(positions), 1000):
        pending.update(uow.connection.execute(
            select(r.c.item_index, r.c.raw_payload).where(
                r.c.origin == origin, r.c.item_index.in_(positions[start:start + 1000]), r.c.replayed_at.is_(None)))
            .all())
    fresh = [row for row in rows if (row["item_index"], row["raw_payload"]) not in pending]
    if fresh:
        uow.connection.execute(insert(r), fresh)
    return len(fresh)


def _stored(row: Row[Any]) -> StoredEvent:
    return StoredEvent(seq=row.seq, source=row.event_source, event_id=row.event_id, event_type=row.event_type,
                       subject=row.subject, event_time=row.event_time, received_at=row.received_at,
                       data_json=row.data, late=bool(row.late))


def list_events(uow: UnitOfWork, *, subject: str | None, event_type: str | None, time_from: datetime | None,
                time_to: datetime | None, late_only: bool, limit: int) -> tuple[StoredEvent, ...]:
    query = select(events).order_by(events.c.seq.desc()).limit(limit)
    if subject is not None:
        query = query.where(events.c.subject == subject)
    if event_type is not None:
        query = query.where(events.c.event_type == event_type)
    if time_from is not None:
        query = query.where(events.c.event_time >= time_from)
    if time_to is not None:
        query = query.where(events.c.event_time < time_to)
    if late_only:
        query = query.where(events.c.late.is_(True))
    return tuple(_stored(row) for row in uow.connection.execute(query))


def _quarantined(row: Row[Any]) -> QuarantinedEvent:
    return QuarantinedEvent(id=row.seq, received_at=row.received_at, origin=row.origin, item_index=row.item_index,
                            field=row.field, reason=row.reason, raw_payload=row.raw_payload,
                            replayed_at=row.replayed_at)


def list_rejected(uow: UnitOfWork, *, ids: Sequence[int] | None, only_pending: bool,
                  limit: int | None) -> tuple[QuarantinedEvent, ...]:
    query = select(rejected_events).order_by(rejected_events.c.seq)
    if ids is not None:
        query = query.where(rejected_events.c.seq.in_(sorted(set(ids))))
    if only_pending:
        query = query.where(rejected_events.c.replayed_at.is_(None))
    if limit is not None:
        query = query.limit(limit)
    return tuple(_quarantined(row) for row in uow.connection.execute(query))


def mark_replayed(uow: UnitOfWork, ids: Sequence[int], *, at: datetime) -> None:
    if ids:
        uow.connection.execute(update(rejected_events).where(rejected_events.c.seq.in_(list(ids)))
                               .values(replayed_at=at))


def _unmapped_condition() -> Any:
    m = subject_mappings
    return ~exists().where(and_(
        m.c.subject == events.c.subject, m.c.effective_from <= events.c.event_time,
        (m.c.effective_to.is_(None)) | (events.c.event_time < m.c.effective_to)))


def unmapped_subjects(uow: UnitOfWork, *, period: Period | None) -> list[tuple[str, int, datetime, datetime]]:
    query = (select(events.c.subject, func.count(), func.min(events.c.event_time), func.max(events.c.event_time))
             .where(_unmapped_condition()).group_by(events.c.subject).order_by(events.c.subject))
    if period is not None:
        query = query.where(events.c.event_time >= period.start, events.c.event_time < period.end)
    out = []
    for subject, count, first, last in uow.connection.execute(query):
        out.append((subject, int(count), _as_utc(first), _as_utc(last)))
    return out


def _as_utc(value: Any) -> datetime:
    """min()/max() lose the column type on SQLite (text comes back): parse it."""
    parsed: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def newest_event_time(uow: UnitOfWork, subject: str) -> datetime | None:
    value = uow.connection.execute(select(func.max(events.c.event_time)).where(events.c.subject == subject)).scalar()
    return None if value is None else _as_utc(value)


def insert_mapping(uow: UnitOfWork, *, subject: str, customer_id: str, effective_from: datetime,
                   effective_to: datetime | None, created_at: datetime) -> None:
    uow.connection.execute(insert(subject_mappings).values(
        subject=subject, customer_id=customer_id, effective_from=effective_from, effective_to=effective_to,
        created_at=created_at))


def end_mapping(uow: UnitOfWork, *, subject: str, effective_from: datetime, effective_to: datetime) -> None:
    """Close an open-ended mapping at `effective_to` (a supersession; audited by the service)."""
    m = subject_mappings
    uow.connection.execute(update(m).where(m.c.subject == subject, m.c.effective_from == effective_from,
                                           m.c.effective_to.is_(None)).values(effective_to=effective_to))
