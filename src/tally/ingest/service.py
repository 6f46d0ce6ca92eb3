"""Ingest use cases: store CloudEvents exactly once, quarantine what is refused, map subjects.

Each batch is one unit of work: validate (pure, before the transaction), then — in one
transaction — drop duplicates, store the new events, flag late ones, quarantine rejects, call the
observers with only the newly stored events, audit the batch, commit. An acknowledgement therefore
always means "committed". Metrics are counted after the commit.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import InterfaceError, OperationalError

from tally.audit.model import Actor
from tally.clock import Clock
from tally.errors import InvalidInput, Unavailable
from tally.ingest import event_store, metrics
from tally.ingest.attribution import SubjectMapping
from tally.ingest.errors import MappingOverlap, UnsupportedContentType
from tally.ingest.formats import Chunk, detect_format, read_chunks, split_json
from tally.ingest.mapping_store import load_mappings
from tally.ingest.model import (
    BatchResult,
    IngestReport,
    QuarantinedEvent,
    Rejection,
    StoredEvent,
    UnmappedSubject,
)
from tally.ingest.observers import IngestHooks
from tally.ingest.pipeline import read_ahead
from tally.ingest.validation import Limits, RejectedItem, ValidEvent, validate_items
from tally.period import Period
from tally.settings import Settings
from tally.store.uow import UnitOfWork, UnitOfWorkFactory

__all__ = [
    "BatchResult", "IngestHooks", "IngestReport", "Rejection", "StoredEvent", "UnmappedSubject",
    "ingest_body", "ingest_file", "late_events", "list_events", "list_subject_mappings", "map_subjects",
    "rejected_events", "replay_rejected", "subject_mappings_for", "unmapped_subjects",
]

CONTENT_TYPES = ("application/cloudevents+json", "application/cloudevents-batch+json", "application/json")
LIST_LIMIT_MAX = 10_000
# PostgreSQL runs ingest transactions side by side: two writers overlap one batch's database work with the
# next one's (dedup is by unique key, so the order batches commit in never matters; a re-run after a crash
# stores nothing twice). SQLite has one writer at a time, so it keeps one.
FILE_WRITERS_POSTGRES = 2
_ONE_US = timedelta(microseconds=1)
_ONE_HOUR = timedelta(hours=1)


def ingest_body(uow_factory: UnitOfWorkFactory, body: bytes, *, content_type: str, origin: str,
                hooks: IngestHooks, settings: Settings, clock: Clock, actor: Actor) -> BatchResult:
    """Ingest one HTTP request body: a CloudEvent object or a JSON array of them (any of the three
    content types accepts either shape). Rejection indexes are 0-based positions in the batch.

    Raises InvalidInput (400) when the body as a whole is unusable: wrong content type, not JSON,
    not an object/array, over `request_bytes_max` or `batch_events_max`.
    """
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in CONTENT_TYPES:
        raise UnsupportedContentType(content_type, CONTENT_TYPES)
    if len(body) > settings.request_bytes_max:
        raise InvalidInput("body", f"is {len(body)} bytes, more than the limit of {settings.request_bytes_max} "
                                   f"(request_bytes_max)")
    raws = split_json(body)
    if len(raws) > settings.batch_events_max:
        raise InvalidInput("body", f"holds {len(raws)} events, more than the limit of {settings.batch_events_max} "
                                   f"(batch_events_max)")
    return _ingest_items(uow_factory, list(enumerate(raws)), origin=origin, hooks=hooks, settings=settings,
                         clock=clock, actor=actor)


def ingest_file(uow_factory: UnitOfWorkFactory, path: Path | None, *, fmt: str | None, hooks: IngestHooks,
                settings: Settings, clock: Clock, actor: Actor,
                progress: Callable[[int, int], None] | None = None, batch_size: int = 5000) -> IngestReport:
    """Import a file (or stdin when `path` is None) in batches of `batch_size`, one transaction each.

    Resumable: a re-run after a crash stores nothing twice (what was committed comes back as
    duplicates). Rejection indexes are 1-based line numbers (item numbers for JSON arrays and
    Parquet rows). `progress(done, total)` is called after each batch (bytes for text formats,
    rows for JSON arrays and Parquet; total 0 when unknown, e.g. stdin).
    """
    chosen = detect_format(path, fmt)
    origin = f"file:{path}" if path is not None else "stdin"
    accepted = duplicates = lines = 0
    rejected: list[Rejection] = []
    prepared = read_ahead(_validated_chunks(read_chunks(path, chosen, batch_size=batch_size), settings, clock),
                          depth=2)
    writers = 1 if uow_factory.engine.dialect.name == "sqlite" else FILE_WRITERS_POSTGRES
    in_flight: deque[tuple[Chunk, Future[BatchResult] | None]] = deque()

    def settle(chunk: Chunk, pending: Future[BatchResult] | None) -> None:
        nonlocal accepted, duplicates
        if pending is not None:
            result = pending.result()
            accepted += result.accepted
            duplicates += result.duplicates
            rejected.extend(result.rejected)
        if progress is not None:
            progress(chunk.done, chunk.total)

    with ThreadPoolExecutor(max_workers=writers, thread_name_prefix="ingest-writer") as pool:
        try:
            for chunk, batch in prepared:
                lines += chunk.lines
                while len(in_flight) >= writers:  # at most `writers` batches uncommitted at any time
                    settle(*in_flight.popleft())
                pending = pool.submit(_store_validated, uow_factory, batch, origin=origin, hooks=hooks,
                                      settings=settings, actor=actor) if chunk.items else None
                in_flight.append((chunk, pending))
            while in_flight:
                settle(*in_flight.popleft())
        finally:
            for _, pending in in_flight:  # a failed batch stops the import; batches not started never start
                if pending is not None:
                    pending.cancel()
    return IngestReport(accepted=accepted, duplicates=duplicates, rejected=tuple(rejected), lines=lines)


@dataclass(frozen=True, slots=True)
class _Validated:
    """A batch after the pure checks: valid events, rejections, and the instant they were judged at."""

    items: int
    now: datetime
    valid: list[ValidEvent]
    rejected: list[RejectedItem]


def _validate(items: list[tuple[int, bytes]], settings: Settings, clock: Clock) -> _Validated:
    now = clock.now().astimezone(UTC)
    limits = Limits(now=now, future_tolerance=settings.future_event_tolerance,
                    event_bytes_max=settings.event_bytes_max)
    valid, rejected = validate_items(items, limits)  # pure, outside the transaction: the lock is held less
    return _Validated(len(items), now, valid, rejected)


def _validated_chunks(chunks: Generator[Chunk, None, None], settings: Settings, clock: Clock) \
        -> Generator[tuple[Chunk, _Validated], None, None]:
    try:
        for chunk in chunks:
            yield chunk, _validate(chunk.items, settings, clock)
    finally:
        chunks.close()  # closes the file now, in the thread that read it


def _ingest_items(uow_factory: UnitOfWorkFactory, items: list[tuple[int, bytes]], *, origin: str,
                  hooks: IngestHooks, settings: Settings, clock: Clock, actor: Actor,
                  on_stored: Callable[[UnitOfWork, BatchResult], None] | None = None) -> BatchResult:
    return _store_validated(uow_factory, _validate(items, settings, clock), origin=origin, hooks=hooks,
                            settings=settings, actor=actor, on_stored=on_stored)


def _store_validated(uow_factory: UnitOfWorkFactory, batch: _Validated, *, origin: str, hooks: IngestHooks,
                     settings: Settings, actor: Actor,
                     on_stored: Callable[[UnitOfWork, BatchResult], None] | None = None) -> BatchResult:
    try:
        result, unique, stored = _store_batch(uow_factory, batch.valid, batch.rejected, items=batch.items,
                                              origin=origin, hooks=hooks, settings=settings, now=batch.now,
                                              actor=actor, on_stored=on_stored)
    except (OperationalError, InterfaceError) as exc:
        # The connection was lost or the database refused mid-batch (the rollback itself may be what
        # failed): nothing was committed, so the caller may retry the same batch.
        raise Unavailable(f"database unavailable while storing events: {exc.orig or exc}") from exc
    _count(result, unique, stored, batch.now)
    return result


def _store_batch(uow_factory: UnitOfWorkFactory, valid: list[ValidEvent], rejected: list[RejectedItem], *,
                 items: int, origin: str, hooks: IngestHooks, settings: Settings, now: datetime, actor: Actor,
                 on_stored: Callable[[UnitOfWork, BatchResult], None] | None) \
        -> tuple[BatchResult, list[ValidEvent], dict[tuple[str, str], int]]:
    """One transaction: drop duplicates, store, flag late, quarantine, notify observers, audit, commit."""
    with uow_factory() as uow:
        if hooks.known_event_types is not None:
            valid, rejected = _strict_types(valid, rejected, hooks.known_event_types.known_event_types(uow))
        unique, in_batch_duplicates = _first_of_each_key(valid)
        late = _late_flags(uow, unique, hooks)
        stored = event_store.insert_new(uow, unique, late, received_at=now)
        rejected = sorted(rejected, key=lambda r: r.rejection.index)  # strict-type rejects came last
        if rejected:
            event_store.quarantine(uow, rejected, origin=origin, received_at=now,
                                   raw_chars_max=max(settings.event_bytes_max, 1024))
        if stored and hooks.observers:
            new_events = tuple(StoredEvent(seq=stored[(e.source, e.event_id)], source=e.source,
                                           event_id=e.event_id, event_type=e.event_type, subject=e.subject,
                                           event_time=e.event_time, received_at=now, data_json=e.data_json,
                                           late=is_late)
                               for e, is_late in zip(unique, late, strict=True) if (e.source, e.event_id) in stored)
            for observer in hooks.observers:
                observer.on_events_stored(uow, new_events)
        result = BatchResult(accepted=len(stored), duplicates=in_batch_duplicates + len(unique) - len(stored),
                             rejected=tuple(r.rejection for r in rejected))
        uow.audit.record("events.ingested", actor=actor, subject_type="ingest_batch", subject_id=origin[:255], at=now,
                         after={"origin": origin, "items": items, "accepted": result.accepted,
                                "duplicates": result.duplicates, "rejected": len(result.rejected),
                                "late": sum(1 for e, is_late in zip(unique, late, strict=True)
                                            if is_late and (e.source, e.event_id) in stored),
                                "seq_min": min(stored.values(), default=None),
                                "seq_max": max(stored.values(), default=None)})
        if on_stored is not None:
            on_stored(uow, result)
        uow.commit()
    return result, unique, stored


def _strict_types(valid: list[ValidEvent], rejected: list[RejectedItem],
                  known: frozenset[str] | None) -> tuple[list[ValidEvent], list[RejectedItem]]:
    if known is None:
        return valid, rejected
    kept: list[ValidEvent] = []
    refused = list(rejected)
    for e in valid:
        if e.event_type in known:
            kept.append(e)
        else:
            refused.append(RejectedItem(Rejection(
                e.position, "type", f"unknown event type {e.event_type!r} (the catalog is strict: no meter reads it)"),
                e.raw))
    return kept, refused


def _first_of_each_key(valid: list[ValidEvent]) -> tuple[list[ValidEvent], int]:
    """Within one batch the first copy of a (source, id) wins; later copies are duplicates."""
    seen: set[tuple[str, str]] = set()
    unique: list[ValidEvent] = []
    for e in valid:
        key = (e.source, e.event_id)
        if key not in seen:
            seen.add(key)
            unique.append(e)
    return unique, len(valid) - len(unique)


def _late_flags(uow: UnitOfWork, events: Sequence[ValidEvent], hooks: IngestHooks) -> list[bool]:
    """Is each event's time in a closed period? The oracle is asked at both ends of each distinct UTC
    hour; only an hour that straddles a boundary (ends differ) is asked event by event."""
    oracle = hooks.closed_periods
    if oracle is None:
        return [False] * len(events)
    by_hour: dict[datetime, bool | None] = {}  # None: the hour straddles a period boundary
    flags: list[bool] = []
    for e in events:
        hour = e.event_time.replace(minute=0, second=0, microsecond=0)
        if hour not in by_hour:
            first = oracle.is_closed(uow, hour)
            last = oracle.is_closed(uow, hour + _ONE_HOUR - _ONE_US)
            by_hour[hour] = first if first == last else None
        closed = by_hour[hour]
        flags.append(oracle.is_closed(uow, e.event_time) if closed is None else closed)
    return flags


def _count(result: BatchResult, unique: Sequence[ValidEvent], stored: dict[tuple[str, str], int],
           now: datetime) -> None:
    metrics.ACCEPTED.inc(result.accepted)
    metrics.DUPLICATE.inc(result.duplicates)
    metrics.REJECTED.inc(len(result.rejected))
    metrics.batch_events.observe(result.total)
    if stored:
        now_s = now.timestamp()
        new_events = unique if len(stored) == len(unique) else \
            [e for e in unique if (e.source, e.event_id) in stored]
        metrics.lag_seconds.observe_many([now_s - e.event_time.timestamp() for e in new_events])


# --- reading events -------------------------------------------------------------------------------------------


def _limit(limit: int) -> int:
    if not 1 <= limit <= LIST_LIMIT_MAX:
        raise InvalidInput("limit", f"must be between 1 and {LIST_LIMIT_MAX}, got {limit}")
    return limit


def list_events(uow_factory: UnitOfWorkFactory, *, subject: str | None = None, event_type: str | None = None,
                time_from: datetime | None = None, time_to: datetime | None = None,
                limit: int = 100) -> tuple[StoredEvent, ...]:
    """Recent events, newest (last received) first, filtered by subject, type and event time
    `[time_from, time_to)` — OpenMeter's GET /api/v1/events, for debugging."""
    with uow_factory() as uow:
        return event_store.list_events(uow, subject=subject, event_type=event_type, time_from=time_from,
                                       time_to=time_to, late_only=False, limit=_limit(limit))


def late_events(uow_factory: UnitOfWorkFactory, *, limit: int = 100) -> tuple[StoredEvent, ...]:
    """Events that arrived for an already-closed period (kept for the correction flow), newest first."""
    with uow_factory() as uow:
        return event_store.list_events(uow, subject=None, event_type=None, time_from=None, time_to=None,
                                       late_only=True, limit=_limit(limit))


def rejected_events(uow_factory: UnitOfWorkFactory, *, limit: int = 100,
                    only_pending: bool = True) -> tuple[QuarantinedEvent, ...]:
    """The quarantine, oldest first: each refused item with its raw payload and reason."""
    with uow_factory() as uow:
        return event_store.list_rejected(uow, ids=None, only_pending=only_pending, limit=_limit(limit))


def replay_rejected(uow_factory: UnitOfWorkFactory, *, ids: Sequence[int] | None, hooks: IngestHooks,
                    settings: Settings, clock: Clock, actor: Actor) -> BatchResult:
    """Re-submit quarantined payloads (all pending ones when `ids` is None) after a fix.

    Those now stored (or found already stored) are marked replayed in the same transaction; those
    refused again stay pending, with no new quarantine entry. Rejection indexes are quarantine ids.
    """
    with uow_factory() as uow:
        pending = event_store.list_rejected(uow, ids=ids, only_pending=True, limit=None)
    if ids is not None:
        missing = sorted(set(ids) - {q.id for q in pending})
        if missing:
            raise InvalidInput("ids", f"not pending in the quarantine (unknown or already replayed): {missing}")
    if not pending:
        return BatchResult(accepted=0, duplicates=0, rejected=())
    now = clock.now().astimezone(UTC)
    limits = Limits(now=now, future_tolerance=settings.future_event_tolerance,
                    event_bytes_max=settings.event_bytes_max)
    items = [(q.id, q.raw_payload.encode()) for q in pending]
    valid, still_rejected = validate_items(items, limits)
    if hooks.known_event_types is not None:
        with uow_factory() as uow:
            known = hooks.known_event_types.known_event_types(uow)
        valid, still_rejected = _strict_types(valid, still_rejected, known)
    good_ids = [e.position for e in valid]

    def mark(uow: UnitOfWork, _result: BatchResult) -> None:
        event_store.mark_replayed(uow, good_ids, at=now)
        uow.audit.record("events.replayed", actor=actor, subject_type="rejected_events",
                         subject_id=",".join(str(i) for i in good_ids)[:255], at=now,
                         after={"replayed": good_ids})

    stored = _ingest_items(uow_factory, [(e.position, e.raw) for e in valid], origin="replay", hooks=hooks,
                           settings=settings, clock=clock, actor=actor, on_stored=mark)
    rejected = sorted((r.rejection for r in still_rejected), key=lambda r: r.index)
    return BatchResult(accepted=stored.accepted, duplicates=stored.duplicates,
                       rejected=(*stored.rejected, *rejected))


# --- subject mappings -----------------------------------------------------------------------------------------


def subject_mappings_for(uow: UnitOfWork, subjects: Iterable[str]) -> tuple[SubjectMapping, ...]:
    """The mappings of `subjects` (for attribution inside another service's transaction)."""
    return load_mappings(uow.connection, subjects)


def list_subject_mappings(uow_factory: UnitOfWorkFactory, *, subject: str | None = None) \
        -> tuple[SubjectMapping, ...]:
    """Every mapping, or those of one subject, in the order they were recorded."""
    with uow_factory() as uow:
        return load_mappings(uow.connection, None if subject is None else [subject])


def _overlaps(a: SubjectMapping, b: SubjectMapping) -> bool:
    return (a.effective_to is None or b.effective_from < a.effective_to) and \
        (b.effective_to is None or a.effective_from < b.effective_to)


def map_subjects(uow_factory: UnitOfWorkFactory, mappings: Sequence[SubjectMapping], *, hooks: IngestHooks,
                 actor: Actor, clock: Clock, supersede: bool = False) -> int:
    """Store effective-dated subject→customer mappings, all or nothing; returns how many were new.

    A mapping identical to a stored one is skipped (re-running is safe). One that overlaps another
    mapping of the same subject is refused with MappingOverlap — unless `supersede` is set and the
    other is open-ended and starts earlier: it is then ended where the new one starts (a move).
    Every observer hears `on_subject_remapped` for the affected span, in the same transaction.
    """
    now = clock.now().astimezone(UTC)
    created = 0
    with uow_factory() as uow:
        current: dict[str, list[SubjectMapping]] = {}
        for m in load_mappings(uow.connection, {m.subject for m in mappings}):
            current.setdefault(m.subject, []).append(m)
        for new in mappings:
            known = current.setdefault(new.subject, [])
            if any(m == new for m in known):
                continue
            opened = new.effective_to is None
            for old in list(known):
                if not _overlaps(old, new):
                    continue
                if supersede and old.effective_to is None and old.effective_from < new.effective_from:
                    ended = SubjectMapping(subject=old.subject, customer_id=old.customer_id,
                                           effective_from=old.effective_from, effective_to=new.effective_from)
                    event_store.end_mapping(uow, subject=old.subject, effective_from=old.effective_from,
                                            effective_to=new.effective_from)
                    uow.audit.record("subject_mapping.ended", actor=actor, subject_type="subject_mapping",
                                     subject_id=old.subject, at=now, before=asdict(old), after=asdict(ended))
                    known[known.index(old)] = ended
                    opened = True
                    continue
                raise MappingOverlap(new.subject, new.customer_id, new.effective_from, new.effective_to,
                                     old.customer_id, old.effective_from, old.effective_to)
            event_store.insert_mapping(uow, subject=new.subject, customer_id=new.customer_id,
                                       effective_from=new.effective_from, effective_to=new.effective_to,
                                       created_at=now)
            uow.audit.record("subject.mapped", actor=actor, subject_type="subject_mapping", subject_id=new.subject,
                             at=now, after=asdict(new))
            known.append(new)
            created += 1
            affected = _affected(uow, new, opened=opened, now=now)
            for observer in hooks.observers:
                observer.on_subject_remapped(uow, new.subject, affected)
        uow.commit()
    return created


def _affected(uow: UnitOfWork, new: SubjectMapping, *, opened: bool, now: datetime) -> Period:
    """The span whose attribution changed: the mapping's own, or — open-ended — up to the newest
    event of the subject (or now), since later events are attributed as they arrive."""
    start = new.effective_from
    if not opened and new.effective_to is not None:
        return Period(start, new.effective_to)
    newest = event_store.newest_event_time(uow, new.subject)
    end = max(now, newest or now, new.effective_to or now) + _ONE_US
    return Period(start, max(end, start + _ONE_US))


def unmapped_subjects(uow_factory: UnitOfWorkFactory, *, period: Period | None = None) \
        -> tuple[UnmappedSubject, ...]:
    """Subjects with events that no mapping covers (in `period`, or ever), with their counts and span."""
    with uow_factory() as uow:
        rows = event_store.unmapped_subjects(uow, period=period)
    return tuple(UnmappedSubject(subject=s, events=n, first_time=first, last_time=last) for s, n, first, last in rows)
