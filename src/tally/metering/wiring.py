"""Metering's observers of ingest, handed to the ingest service by bootstrap."""

from __future__ import annotations

from tally.ingest.observers import EventObserver
from tally.metering.observer import MeteringObserver


def event_observers(*, strict_event_types: bool = False) -> tuple[EventObserver, ...]:
    """The rollup observer. It also answers `known_event_types(uow)` for ingest's strict mode:
    None unless `strict_event_types` (bootstrap passes the setting)."""
    return (MeteringObserver(strict_event_types=strict_event_types),)


def known_event_types(*, strict_event_types: bool = False) -> MeteringObserver:
    """The `KnownEventTypes` implementation (the same object type as the observer)."""
    return MeteringObserver(strict_event_types=strict_event_types)
