"""Fakes that implement the real ingest hook Protocols, and helpers to build events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import orjson

from tally.audit.model import Actor
from tally.ingest.model import StoredEvent
from tally.period import Period
from tally.settings import Settings
from tally.store.uow import UnitOfWork

ACTOR = Actor.system("test")


@dataclass
class RecordingObserver:
    batches: list[tuple[StoredEvent, ...]] = field(default_factory=list)
    remapped: list[tuple[str, Period]] = field(default_factory=list)

    def on_events_stored(self, uow: UnitOfWork, events: Sequence[StoredEvent]) -> None:
        self.batches.append(tuple(events))

    def on_subject_remapped(self, uow: UnitOfWork, subject: str, affected: Period) -> None:
        self.remapped.append((subject, affected))

    @property
    def events(self) -> list[StoredEvent]:
        return [e for batch in self.batches for e in batch]


@dataclass
class FailingObserver(RecordingObserver):
    def on_events_stored(self, uow: UnitOfWork, events: Sequence[StoredEvent]) -> None:
        raise RuntimeError("observer failed")


@dataclass(frozen=True)
class ClosedBefore:
    """Every period before `boundary` is closed."""

    boundary: datetime

    def is_closed(self, uow: UnitOfWork, at: datetime) -> bool:
        return at < self.boundary


@dataclass(frozen=True)
class StrictTypes:
    types: frozenset[str] | None

    def known_event_types(self, uow: UnitOfWork) -> frozenset[str] | None:
        return self.types


def settings_for(url: str, tmp: Path | None = None) -> Settings:
    return Settings(home=tmp or Path("/nonexistent-tally-home"), database_url=url)


def cloudevent(event_id: str, *, source: str = "svc", type: str = "api.calls", subject: str = "dep-1",
               time: str | None = "2026-11-15T11:00:00Z", data: object = None, **extra: object) -> dict[str, object]:
    out: dict[str, object] = {"specversion": "1.0", "id": event_id, "source": source, "type": type,
                              "subject": subject, **extra}
    if time is not None:
        out["time"] = time
    out["data"] = {"n": 1} if data is None else data
    return out


def body(*events: dict[str, object]) -> bytes:
    return orjson.dumps(list(events))
