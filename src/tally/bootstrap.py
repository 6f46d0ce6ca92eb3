"""Explicit wiring: settings → engine → unit-of-work factory. Nothing is built at import time."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from tally.clock import Clock, SystemClock
from tally.ingest.observers import EventObserver, IngestHooks
from tally.ledger.wiring import closed_periods
from tally.metering.wiring import event_observers, known_event_types
from tally.settings import Settings
from tally.store.engine import build_engine
from tally.store.uow import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class Tally:
    """Everything a door needs to call a service.

    `ingest_hooks` is what the ingest service calls inside its transaction (observers, the
    period-close oracle, strict event types); when left empty it is built from `event_observers`.
    """

    settings: Settings
    engine: Engine
    uow_factory: UnitOfWorkFactory
    clock: Clock
    event_observers: tuple[EventObserver, ...] = ()
    ingest_hooks: IngestHooks = field(default_factory=IngestHooks)

    def __post_init__(self) -> None:
        if self.event_observers and not self.ingest_hooks.observers:
            object.__setattr__(self, "ingest_hooks", IngestHooks(
                observers=self.event_observers, closed_periods=self.ingest_hooks.closed_periods,
                known_event_types=self.ingest_hooks.known_event_types))


def bootstrap(settings: Settings | None = None, *, clock: Clock | None = None) -> Tally:
    settings = settings or Settings.from_env()
    engine = build_engine(settings.database_url)
    observers = event_observers()
    return Tally(settings=settings, engine=engine, uow_factory=UnitOfWorkFactory(engine), clock=clock or SystemClock(),
                 event_observers=observers,
                 ingest_hooks=IngestHooks(observers=observers, closed_periods=closed_periods(),
                                          known_event_types=known_event_types(
                                              strict_event_types=settings.strict_event_types)))
