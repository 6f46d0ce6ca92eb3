"""Metering's observer of ingest: rollups maintained in the ingest transaction.

Why in the transaction: the rollups commit or roll back with the events, so they can never be
ahead of or behind the events (no watermark to lose, no double count after a crash), and a usage
query sees exactly what ingest acknowledged.
"""

from __future__ import annotations

from collections.abc import Sequence

from tally.ingest.model import StoredEvent
from tally.metering import store
from tally.metering.maintain import fold, live_meters, recompute
from tally.period import Period
from tally.store.uow import UnitOfWork


class MeteringObserver:
    """Implements `EventObserver` and `KnownEventTypes`."""

    def __init__(self, *, strict_event_types: bool = False) -> None:
        self.strict_event_types = strict_event_types

    def on_events_stored(self, uow: UnitOfWork, events: Sequence[StoredEvent]) -> None:
        if not events:
            return
        connection = uow.connection
        fold(connection, live_meters(connection), events, at=max(e.received_at for e in events))

    def on_subject_remapped(self, uow: UnitOfWork, subject: str, affected: Period) -> None:
        """The subject's customer changed for `affected`: recompute its rollups of those hours from raw
        events, so usage moves to (or appears for) the right customer."""
        connection = uow.connection
        versions = store.load_versions(connection, live_only=True)
        recompute(connection, versions, start=affected.start, end=affected.end, at=affected.end, subject=subject)

    def known_event_types(self, uow: UnitOfWork) -> frozenset[str] | None:
        """The event types some live meter counts, when strict mode is on; None otherwise."""
        if not self.strict_event_types:
            return None
        return frozenset(v.definition.event_type for v in store.load_versions(uow.connection, live_only=True))
