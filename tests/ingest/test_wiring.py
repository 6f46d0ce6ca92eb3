"""bootstrap wires the ingest hooks; the older `event_observers` field keeps working."""

from __future__ import annotations

from pathlib import Path

from tally.bootstrap import Tally, bootstrap
from tally.clock import FixedClock
from tally.ingest.observers import IngestHooks
from tally.ledger.wiring import LedgerClosedPeriods
from tally.metering.wiring import event_observers
from tally.settings import Settings
from tests.conftest import T0, TestDatabase
from tests.ingest.fakes import ClosedBefore, RecordingObserver


def test_bootstrap_builds_ingest_hooks_from_metering(tmp_path: Path) -> None:
    t = bootstrap(Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'tally.db'}"))
    try:
        assert [type(o) for o in t.ingest_hooks.observers] == [type(o) for o in event_observers()]
        assert t.ingest_hooks.observers == t.event_observers
        assert isinstance(t.ingest_hooks.closed_periods, LedgerClosedPeriods)  # late events: the ledger's oracle
        assert t.ingest_hooks.known_event_types is not None  # strict types: metering's meters
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


def test_strict_setting_rejects_types_no_meter_reads(db: TestDatabase, tmp_path: Path) -> None:
    from tally.ingest import service
    from tests.ingest.fakes import ACTOR
    from tests.metering.builders import INSTANCE_HOURS, define

    define(db.uow_factory, INSTANCE_HOURS)
    settings = Settings.from_env({"TALLY_HOME": str(tmp_path), "TALLY_DATABASE_URL": db.url,
                                  "TALLY_STRICT_EVENT_TYPES": "true"})
    wired = bootstrap(settings, clock=FixedClock(T0))
    try:
        body = b'[' + b','.join(
            b'{"specversion":"1.0","id":"%s","source":"s","type":"%s","subject":"dep-1",'
            b'"time":"2026-11-15T11:00:00Z","data":{"hours":1}}' % (i, t)
            for i, t in ((b"1", b"compute.instance.usage"), (b"2", b"mystery"))) + b']'
        result = service.ingest_body(wired.uow_factory, body, content_type="application/json", origin="http",
                                     hooks=wired.ingest_hooks, settings=settings, clock=wired.clock, actor=ACTOR)
    finally:
        wired.engine.dispose()
    assert result.accepted == 1 and [(r.index, r.field) for r in result.rejected] == [(1, "type")]


def test_strict_setting_must_be_a_boolean(tmp_path: Path) -> None:
    import pytest

    from tally.errors import InvalidInput

    with pytest.raises(InvalidInput, match="TALLY_STRICT_EVENT_TYPES"):
        Settings.from_env({"TALLY_HOME": str(tmp_path), "TALLY_STRICT_EVENT_TYPES": "maybe"})


def test_an_event_in_a_month_the_ledger_closed_is_stored_and_flagged_late(db: TestDatabase, tmp_path: Path) -> None:
    from tally.ingest import service
    from tally.ledger.service import close_period
    from tally.period import Period
    from tests.ingest.fakes import ACTOR

    settings = Settings.from_env({"TALLY_HOME": str(tmp_path), "TALLY_DATABASE_URL": db.url})
    wired = bootstrap(settings, clock=FixedClock(T0))
    try:
        assert close_period(wired.uow_factory, Period.month("2026-10"), actor=ACTOR, clock=wired.clock).passed
        body = b'[' + b','.join(
            b'{"specversion":"1.0","id":"%s","source":"s","type":"t","subject":"dep-1","time":"%s","data":{}}'
            % (i, t) for i, t in ((b"oct", b"2026-10-31T23:59:59Z"), (b"nov", b"2026-11-01T00:00:00Z"))) + b']'
        result = service.ingest_body(wired.uow_factory, body, content_type="application/json", origin="http",
                                     hooks=wired.ingest_hooks, settings=settings, clock=wired.clock, actor=ACTOR)
        late = service.late_events(wired.uow_factory)
    finally:
        wired.engine.dispose()
    assert result.accepted == 2
    assert [e.event_id for e in late] == ["oct"]  # kept for the correction flow, never added to October
