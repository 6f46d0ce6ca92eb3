"""The seam between ingest and the stages below it (dependency inversion, wired in bootstrap).

Ingest never imports metering or the ledger. Observers are called inside the ingest transaction, so
what they derive (rollups) commits or rolls back together with the events themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tally.ingest.model import StoredEvent
from tally.period import Period
from tally.store.uow import UnitOfWork


class EventObserver(Protocol):
    def on_events_stored(self, uow: UnitOfWork, events: Sequence[StoredEvent]) -> None:
        """Called once per committed batch with only the newly stored (non-duplicate) events."""

    def on_subject_remapped(self, uow: UnitOfWork, subject: str, affected: Period) -> None:
        """Called when the subject→customer mapping of `subject` changed for `affected`."""


class ClosedPeriods(Protocol):
    """The period-close oracle (the ledger implements it): is the billing period containing `at` closed?

    Ingest asks at both ends of each distinct UTC hour of event time in a batch, and event by event
    only within an hour that straddles a boundary.
    """

    def is_closed(self, uow: UnitOfWork, at: datetime) -> bool: ...


class KnownEventTypes(Protocol):
    """Strict catalog mode (metering implements it from the meters): the event types that are
    accepted, or None when any type is accepted."""

    def known_event_types(self, uow: UnitOfWork) -> frozenset[str] | None: ...


@dataclass(frozen=True, slots=True)
class IngestHooks:
    """What the ingest service calls inside its transaction; bootstrap wires the implementations."""

    observers: tuple[EventObserver, ...] = ()
    closed_periods: ClosedPeriods | None = None
    known_event_types: KnownEventTypes | None = None
