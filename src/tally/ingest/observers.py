"""The seam between ingest and the stages below it (dependency inversion, wired in bootstrap).

Ingest never imports metering. Observers are called inside the ingest transaction, so what they
derive (rollups) commits or rolls back together with the events themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from tally.ingest.model import StoredEvent
from tally.period import Period
from tally.store.uow import UnitOfWork


class EventObserver(Protocol):
    def on_events_stored(self, uow: UnitOfWork, events: Sequence[StoredEvent]) -> None:
        """Called once per committed batch with only the newly stored (non-duplicate) events."""

    def on_subject_remapped(self, uow: UnitOfWork, subject: str, affected: Period) -> None:
        """Called when the subject→customer mapping of `subject` changed for `affected`."""
