"""The ingest service on SQLite and PostgreSQL: exactly once, quarantine, observers, late, strict types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import func, select

from tally.clock import FixedClock
from tally.errors import InvalidInput
from tally.ingest import service
from tally.ingest.errors import UnsupportedContentType
from tally.ingest.model import BatchResult, Rejection
from tally.ingest.observers import IngestHooks
from tally.store.schema.foundation import audit_log
from tally.store.schema.ingest import events, rejected_events
from tests.conftest import TestDatabase
from tests.ingest.fakes import (
    ACTOR,
    ClosedBefore,
    FailingObserver,
    RecordingObserver,
    StrictTypes,
    body,
    cloudevent,
    settings_for,
)

BATCH = "application/cloudevents-batch+json"


def ingest(db: TestDatabase, clock: FixedClock, payload: bytes, *, hooks: IngestHooks | None = None,
           content_type: str = BATCH) -> BatchResult:
    return service.ingest_body(db.uow_factory, payload, content_type=content_type, origin="http", hooks=hooks or
                               IngestHooks(), settings=settings_for(db.url), clock=clock, actor=ACTOR)


def count(db: TestDatabase, table: object) -> int:
    with db.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_single_event_and_batch_are_stored_and_listed(db: TestDatabase, clock: FixedClock) -> None:
    single = orjson.dumps(cloudevent("e-1", data={"gb": 1.50}))
    assert ingest(db, clock, single, content_type="application/cloudevents+json") == BatchResult(1, 0, ())
    assert ingest(db, clock, body(cloudevent("e-2"), cloudevent("e-3", subject="dep-2")),
                  content_type="application/json; charset=utf-8") == BatchResult(2, 0, ())
    listed = service.list_events(db.uow_factory)
    assert [e.event_id for e in listed] == ["e-3", "e-2", "e-1"]
    first = listed[-1]
    assert first.data_json == '{"gb":1.5}' and first.event_time == datetime(2026, 11, 15, 11, tzinfo=UTC)
    assert first.received_at == clock.now() and first.late is False
    assert [e.event_id for e in service.list_events(db.uow_factory, subject="dep-2")] == ["e-3"]
    assert service.list_events(db.uow_factory, event_type="other") == ()
    assert len(service.list_events(db.uow_factory, limit=2)) == 2


def test_list_events_time_range_is_half_open(db: TestDatabase, clock: FixedClock) -> None:
    ingest(db, clock, body(*(cloudevent(f"e-{h}", time=f"2026-11-15T0{h}:00:00Z") for h in range(5))))
    got = service.list_events(db.uow_factory, time_from=datetime(2026, 11, 15, 1, tzinfo=UTC),
                              time_to=datetime(2026, 11, 15, 3, tzinfo=UTC))
    assert sorted(e.event_id for e in got) == ["e-1", "e-2"]
    with pytest.raises(InvalidInput, match="limit"):
        service.list_events(db.uow_factory, limit=0)


def test_resends_are_acknowledged_as_duplicates_and_stored_once(db: TestDatabase, clock: FixedClock) -> None:
    payload = body(cloudevent("e-1"), cloudevent("e-2"))
    assert ingest(db, clock, payload) == BatchResult(2, 0, ())
    assert ingest(db, clock, payload) == BatchResult(0, 2, ())
    # within one batch the first copy wins; the same id from another source is another event
    assert ingest(db, clock, body(cloudevent("e-3"), cloudevent("e-3"), cloudevent("e-1", source="other"))) == \
        BatchResult(2, 1, ())
    assert count(db, events) == 4


def test_bad_events_are_rejected_individually_and_quarantined(db: TestDatabase, clock: FixedClock) -> None:
    payload = body(cloudevent("ok-1"), cloudevent("bad", subject=""), cloudevent("ok-2", data=[1]))
    result = ingest(db, clock, payload)
    assert result == BatchResult(1, 0, (Rejection(1, "subject", "must not be empty"),
                                        Rejection(2, "data", "must be a JSON object, got array")))
    quarantined = service.rejected_events(db.uow_factory)
    assert [(q.item_index, q.field, q.origin) for q in quarantined] == [(1, "subject", "http"), (2, "data", "http")]
    assert orjson.loads(quarantined[0].raw_payload)["id"] == "bad"
    assert quarantined[0].replayed_at is None


def test_whole_body_problems_raise(db: TestDatabase, clock: FixedClock) -> None:
    with pytest.raises(UnsupportedContentType, match="content-type"):
        ingest(db, clock, body(cloudevent("a")), content_type="text/plain")
    with pytest.raises(InvalidInput, match="not a valid JSON array"):
        ingest(db, clock, b"[{]")
    with pytest.raises(InvalidInput, match="must be a CloudEvent"):
        ingest(db, clock, b"42")
    with pytest.raises(InvalidInput, match="is empty"):
        ingest(db, clock, b"  ")
    assert count(db, events) == 0 and count(db, rejected_events) == 0


def test_batch_limit(db: TestDatabase, clock: FixedClock) -> None:
    from dataclasses import replace
    settings = replace(settings_for(db.url), batch_events_max=2)
    with pytest.raises(InvalidInput, match="batch_events_max"):
        service.ingest_body(db.uow_factory, body(cloudevent("a"), cloudevent("b"), cloudevent("c")),
                            content_type=BATCH, origin="http", hooks=IngestHooks(), settings=settings, clock=clock,
                            actor=ACTOR)


def test_observers_receive_only_newly_stored_events(db: TestDatabase, clock: FixedClock) -> None:
    observer = RecordingObserver()
    hooks = IngestHooks(observers=(observer,))
    ingest(db, clock, body(cloudevent("e-1")), hooks=hooks)
    ingest(db, clock, body(cloudevent("e-1"), cloudevent("e-2"), cloudevent("e-2"), cloudevent("x", id="")),
           hooks=hooks)
    assert [[e.event_id for e in batch] for batch in observer.batches] == [["e-1"], ["e-2"]]
    stored = {e.event_id: e.seq for e in service.list_events(db.uow_factory)}
    assert [e.seq for e in observer.events] == [stored["e-1"], stored["e-2"]]


def test_a_failing_observer_rolls_the_batch_back(db: TestDatabase, clock: FixedClock) -> None:
    with pytest.raises(RuntimeError):
        ingest(db, clock, body(cloudevent("e-1"), cloudevent("bad", id="")),
               hooks=IngestHooks(observers=(FailingObserver(),)))
    assert count(db, events) == 0 and count(db, rejected_events) == 0


def test_late_events_are_stored_and_flagged(db: TestDatabase, clock: FixedClock) -> None:
    observer = RecordingObserver()
    hooks = IngestHooks(observers=(observer,), closed_periods=ClosedBefore(datetime(2026, 11, 1, tzinfo=UTC)))
    result = ingest(db, clock, body(cloudevent("old", time="2026-10-31T23:59:59Z"),
                                    cloudevent("new", time="2026-11-01T00:00:00Z")), hooks=hooks)
    assert result.accepted == 2
    assert [(e.event_id, e.late) for e in observer.events] == [("old", True), ("new", False)]
    assert [e.event_id for e in service.late_events(db.uow_factory)] == ["old"]
    assert {e.event_id: e.late for e in service.list_events(db.uow_factory)} == {"old": True, "new": False}


def test_strict_catalog_rejects_unknown_types(db: TestDatabase, clock: FixedClock) -> None:
    hooks = IngestHooks(known_event_types=StrictTypes(frozenset({"api.calls"})))
    result = ingest(db, clock, body(cloudevent("a"), cloudevent("b", type="mystery")), hooks=hooks)
    assert result.accepted == 1
    assert result.rejected == (Rejection(1, "type", "unknown event type 'mystery' (the catalog is strict: no meter "
                                                    "reads it)"),)
    assert ingest(db, clock, body(cloudevent("c", type="mystery")),
                  hooks=IngestHooks(known_event_types=StrictTypes(None))).accepted == 1


def test_one_audit_record_per_batch(db: TestDatabase, clock: FixedClock) -> None:
    ingest(db, clock, body(cloudevent("a"), cloudevent("b"), cloudevent("c", id="")))
    with db.engine.connect() as connection:
        rows = connection.execute(select(audit_log).where(audit_log.c.action == "events.ingested")).all()
    assert len(rows) == 1
    after = orjson.loads(rows[0].after)
    assert (after["accepted"], after["duplicates"], after["rejected"], after["origin"]) == (2, 0, 1, "http")


def test_missing_time_is_the_arrival_time_and_future_limit_follows_the_clock(db: TestDatabase,
                                                                             clock: FixedClock) -> None:
    result = ingest(db, clock, body(cloudevent("a", time=None), cloudevent("b", time="2026-11-15T13:00:01Z")))
    assert result.accepted == 1 and result.rejected[0].field == "time"
    (stored,) = service.list_events(db.uow_factory)
    assert stored.event_time == clock.now()
    clock.advance(timedelta(minutes=1))
    assert ingest(db, clock, body(cloudevent("b", time="2026-11-15T13:00:01Z"))).accepted == 1


def test_replay_stores_fixed_payloads_and_marks_them(db: TestDatabase, clock: FixedClock) -> None:
    ingest(db, clock, body(cloudevent("early", time="2026-11-15T14:00:00Z"), cloudevent("broken", data=[1])))
    pending = service.rejected_events(db.uow_factory)
    assert [q.field for q in pending] == ["time", "data"]
    clock.advance(timedelta(hours=2))  # the "fix": the producer's clock was ahead; now it is not
    observer = RecordingObserver()
    settings = settings_for(db.url)
    result = service.replay_rejected(db.uow_factory, ids=None, hooks=IngestHooks(observers=(observer,)),
                                     settings=settings, clock=clock, actor=ACTOR)
    assert result.accepted == 1 and result.duplicates == 0
    assert result.rejected == (Rejection(pending[1].id, "data", "must be a JSON object, got array"),)
    assert [e.event_id for e in observer.events] == ["early"]
    still = service.rejected_events(db.uow_factory)
    assert [q.id for q in still] == [pending[1].id]
    replayed = service.rejected_events(db.uow_factory, only_pending=False)
    assert replayed[0].replayed_at == clock.now()
    assert count(db, rejected_events) == 2  # nothing new quarantined by a replay
    with pytest.raises(InvalidInput, match="not pending"):
        service.replay_rejected(db.uow_factory, ids=[pending[0].id], hooks=IngestHooks(), settings=settings,
                                clock=clock, actor=ACTOR)


def test_losing_the_database_mid_batch_is_unavailable_and_stores_nothing(
        postgres_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    from tally.errors import Unavailable
    from tally.ingest import event_store
    from tally.store.engine import build_engine
    from tally.store.uow import UnitOfWorkFactory

    engine = build_engine(postgres_url)
    try:
        factory = UnitOfWorkFactory(engine)
        monkeypatch.setattr(event_store, "_PG_STAGING", "SELECT pg_terminate_backend(pg_backend_pid())")
        with pytest.raises(Unavailable, match="database unavailable"):
            service.ingest_body(factory, body(cloudevent("lost-1")), content_type=BATCH, origin="http",
                                hooks=IngestHooks(), settings=settings_for(postgres_url), clock=clock, actor=ACTOR)
        monkeypatch.undo()
        assert all(e.event_id != "lost-1" for e in service.list_events(factory, limit=10_000))
    finally:
        engine.dispose()


def test_two_inserts_in_one_transaction_report_their_own_rows(db: TestDatabase, clock: FixedClock) -> None:
    from tally.ingest import event_store
    from tally.ingest.validation import Limits, validate_items

    limits = Limits(now=clock.now(), future_tolerance=timedelta(hours=1), event_bytes_max=4096)
    first, _ = validate_items([(0, orjson.dumps(cloudevent("t-1")))], limits)
    second, _ = validate_items([(0, orjson.dumps(cloudevent("t-2")))], limits)
    with db.uow_factory() as uow:
        a = event_store.insert_new(uow, first, [False], received_at=clock.now())
        b = event_store.insert_new(uow, second, [False], received_at=clock.now())
        uow.commit()
    assert list(a) == [("svc", "t-1")] and list(b) == [("svc", "t-2")]


def test_late_flag_is_exact_inside_an_hour_that_straddles_a_boundary(db: TestDatabase, clock: FixedClock) -> None:
    hooks = IngestHooks(closed_periods=ClosedBefore(datetime(2026, 11, 1, 0, 30, tzinfo=UTC)))
    ingest(db, clock, body(cloudevent("in", time="2026-11-01T00:29:59Z"),
                           cloudevent("out", time="2026-11-01T00:30:00Z")), hooks=hooks)
    assert {e.event_id: e.late for e in service.list_events(db.uow_factory)} == {"in": True, "out": False}


def test_invalid_utf8_is_a_reject_not_a_crash(db: TestDatabase, clock: FixedClock) -> None:
    good = orjson.dumps(orjson.loads(body(cloudevent("ok")))[0])
    payload = b'[' + good.replace(b'"ok"', b'"\x80"') + b', "\x80", ' + good + b']'
    result = ingest(db, clock, payload)
    assert result.accepted == 1
    assert [(r.index, r.field) for r in result.rejected] == [(0, "event"), (1, "event")]
    assert all("utf-8" in r.reason for r in result.rejected)
    assert count(db, rejected_events) == 2  # quarantined (undecodable bytes shown as U+FFFD)
