"""Explicit wiring: settings → engine → unit-of-work factory. Nothing is built at import time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from tally.clock import Clock, SystemClock
from tally.ingest.observers import EventObserver
from tally.metering.wiring import event_observers
from tally.settings import Settings
from tally.store.engine import build_engine
from tally.store.uow import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class Tally:
    """Everything a door needs to call a service."""

    settings: Settings
    engine: Engine
    uow_factory: UnitOfWorkFactory
    clock: Clock
    event_observers: tuple[EventObserver, ...] = ()


def bootstrap(settings: Settings | None = None, *, clock: Clock | None = None) -> Tally:
    settings = settings or Settings.from_env()
    engine = build_engine(settings.database_url)
    return Tally(settings=settings, engine=engine, uow_factory=UnitOfWorkFactory(engine), clock=clock or SystemClock(),
                 event_observers=event_observers())
