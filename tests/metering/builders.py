"""Test helpers: store events the way the ingest service does (insert rows, then call the observer in
the same unit of work), map subjects, and apply meters."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert

from tally.audit.model import Actor
from tally.ingest.model import StoredEvent
from tally.metering.definitions import parse_meters
from tally.metering.observer import MeteringObserver
from tally.metering.service import MeterChange, apply_meters
from tally.period import Period
from tally.store.schema.ingest import events, subject_mappings
from tally.store.uow import UnitOfWork, UnitOfWorkFactory

ACTOR = Actor.cli_user("tester")
T0 = datetime(2026, 10, 1, tzinfo=UTC)
_ids = itertools.count(1)

INSTANCE_HOURS: dict[str, Any] = {"slug": "instance_hours", "name": "Instance hours",
                                  "eventType": "compute.instance.usage", "aggregation": "SUM",
                                  "valueProperty": "$.hours", "groupBy": {"size": "$.size", "region": "$.region"}}


@dataclass(frozen=True)
class NewEvent:
    """An event before storage: what a test feeds in."""

    event_type: str
    subject: str
    time: datetime
    data: str  # the payload's exact JSON text
    source: str = "test"
    event_id: str = ""


def event(event_type: str, subject: str, time: datetime, data: str, *, event_id: str = "") -> NewEvent:
    return NewEvent(event_type=event_type, subject=subject, time=time, data=data,
                    event_id=event_id or f"e{next(_ids)}")


def store_events(uow: UnitOfWork, batch: Sequence[NewEvent], *, observer: MeteringObserver | None = None,
                 received_at: datetime = T0) -> tuple[StoredEvent, ...]:
    """Insert `batch` into `events` and call the observer with the stored rows (ingest's contract)."""
    stored: list[StoredEvent] = []
    for e in batch:
        result = uow.connection.execute(insert(events).values(
            event_source=e.source, event_id=e.event_id, event_type=e.event_type, subject=e.subject,
            event_time=e.time, received_at=received_at, data=e.data))
        seq = int(result.inserted_primary_key[0])
        stored.append(StoredEvent(seq=seq, source=e.source, event_id=e.event_id, event_type=e.event_type,
                                  subject=e.subject, event_time=e.time, received_at=received_at, data_json=e.data))
    (observer or MeteringObserver()).on_events_stored(uow, stored)
    return tuple(stored)


def ingest(uow_factory: UnitOfWorkFactory, batch: Sequence[NewEvent]) -> tuple[StoredEvent, ...]:
    with uow_factory() as uow:
        stored = store_events(uow, batch)
        uow.commit()
    return stored


def map_subject(uow_factory: UnitOfWorkFactory, subject: str, customer_id: str, start: datetime,
                end: datetime | None = None, *, notify: bool = False) -> None:
    with uow_factory() as uow:
        uow.connection.execute(insert(subject_mappings).values(subject=subject, customer_id=customer_id,
                                                               effective_from=start, effective_to=end,
                                                               created_at=T0))
        if notify:
            MeteringObserver().on_subject_remapped(uow, subject, Period(start, end or datetime(2100, 1, 1, tzinfo=UTC)))
        uow.commit()


def define(uow_factory: UnitOfWorkFactory, *meters: Mapping[str, Any], at: datetime = T0) -> tuple[MeterChange, ...]:
    with uow_factory() as uow:
        changes = apply_meters(uow, parse_meters(list(meters)), actor=ACTOR, at=at)
        uow.commit()
    return changes
