"""Keeping rollups equal to the raw events: fold a batch in, recompute a range, backfill a new version.

Runs inside the caller's unit of work (the ingest transaction, a rebuild, a catalog apply); never
commits. Per batch: one query for live meters, one for mappings, one IN per 900 touched keys, then
executemany writes — O(batch), never O(history).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tally.ingest.attribution import Attribution
from tally.ingest.mapping_store import load_mappings
from tally.ingest.model import StoredEvent
from tally.metering import store
from tally.metering.model import MeterVersion
from tally.metering.rollup import Accumulator, CompiledMeter, hour_start

HOUR = timedelta(hours=1)


def hour_end(at: datetime) -> datetime:
    """The first hour boundary at or after `at`."""
    start = hour_start(at)
    return start if start == at else start + HOUR


def fold(connection: Connection, meters: Sequence[CompiledMeter], events: Sequence[StoredEvent], *,
         at: datetime) -> int:
    """Fold `events` into the rollups of `meters`; record meter rejects. Returns events that matched a meter."""
    if not meters or not events:
        return 0
    types = {m.version.definition.event_type for m in meters}
    relevant = [e for e in events if e.event_type in types]
    if not relevant:
        return 0
    attribution = Attribution(load_mappings(connection, {e.subject for e in relevant}))
    accumulator = Accumulator()
    accumulator.add(meters, relevant, attribution.customer_for)
    store.upsert_states(connection, accumulator.states, accumulator.distinct)
    store.insert_rejects(connection, accumulator.rejects, at)
    return len(relevant)


def live_meters(connection: Connection, *, slugs: Iterable[str] | None = None) -> tuple[CompiledMeter, ...]:
    return tuple(CompiledMeter.of(v) for v in store.load_versions(connection, slugs=slugs, live_only=True))


def recompute(connection: Connection, versions: Sequence[MeterVersion], *, start: datetime | None,
              end: datetime | None, at: datetime, subject: str | None = None,
              progress: Callable[[int], None] | None = None) -> int:
    """Replace the rollups of `versions` for the whole hours covering [start, end) (optionally one
    subject) by rollups recomputed from the raw events. Returns the number of events read."""
    if not versions:
        return 0
    window_start = hour_start(start) if start is not None else None
    window_end = hour_end(end) if end is not None else None
    if window_start is not None and window_end is not None:
        store.lock_rollups(connection)
        store.delete_states(connection, versions=[(v.slug, v.version) for v in versions], start=window_start,
                            end=window_end, subject=subject)
    elif window_start is not None or window_end is not None or subject is not None:
        raise ValueError("recompute needs both ends of the range, or neither (a brand-new version)")
    compiled = tuple(CompiledMeter.of(v) for v in versions)
    read = 0
    for chunk in store.stream_events(connection, event_types={v.definition.event_type for v in versions},
                                     start=window_start, end=window_end,
                                     subjects=[subject] if subject is not None else None):
        fold(connection, compiled, chunk, at=at)
        read += len(chunk)
        if progress is not None:
            progress(len(chunk))
    return read
