"""bootstrap wires the ingest hooks; the older `event_observers` field keeps working."""

from __future__ import annotations

from pathlib import Path

from tally.bootstrap import Tally, bootstrap
from tally.clock import FixedClock
from tally.ingest.observers import IngestHooks
from tally.metering.wiring import event_observers
from tally.settings import Settings
from tests.conftest import T0, TestDatabase
from tests.ingest.fakes import ClosedBefore, RecordingObserver


def test_bootstrap_builds_ingest_hooks_from_metering(tmp_path: Path) -> None:
    t = bootstrap(Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'tally.db'}"))
    try:
        assert t.ingest_hooks.observers == event_observers() == t.event_observers
    finally:
        t.engine.dispose()


def test_event_observers_alone_still_reach_ingest(db: TestDatabase, tmp_path: Path) -> None:
    observer = RecordingObserver()
    settings = Settings(home=tmp_path, database_url=db.url)
    old_style = Tally(settings=settings, engine=db.engine, uow_factory=db.uow_factory, clock=FixedClock(T0),
                      event_observers=(observer,))
    assert old_style.ingest_hooks.observers == (observer,)
    closed = ClosedBefore(T0)
    explicit = Tally(settings=settings, engine=db.engine, uow_factory=db.uow_factory, clock=FixedClock(T0),
                     event_observers=(observer,), ingest_hooks=IngestHooks(closed_periods=closed))
    assert explicit.ingest_hooks == IngestHooks(observers=(observer,), closed_periods=closed)
