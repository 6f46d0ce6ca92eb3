"""Metering's observers of ingest, handed to the ingest service by bootstrap."""

from __future__ import annotations

from tally.ingest.observers import EventObserver


def event_observers() -> tuple[EventObserver, ...]:
    return ()
