"""Concurrent sends of the same events from several writers store each event once (real transactions)."""

from __future__ import annotations

import random
import threading

from tally.clock import FixedClock
from tally.ingest import service
from tally.ingest.model import BatchResult
from tally.ingest.observers import IngestHooks
from tally.store.engine import build_engine
from tally.store.uow import UnitOfWorkFactory
from tests.conftest import TestDatabase
from tests.ingest.fakes import ACTOR, body, cloudevent, settings_for

WRITERS = 4
EVENTS = 600


def test_writers_racing_on_the_same_events_store_each_once(db: TestDatabase, clock: FixedClock) -> None:
    items = [cloudevent(f"e-{i}") for i in range(EVENTS)]
    barrier = threading.Barrier(WRITERS)
    results: list[BatchResult] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def writer(k: int) -> None:
        engine = build_engine(db.url)  # its own engine and connection, like another process
        try:
            factory = UnitOfWorkFactory(engine)
            order = random.Random(k).sample(items, k=len(items))  # overlapping batches in different orders
            barrier.wait()
            for start in range(0, EVENTS, 100 + 10 * k):
                result = service.ingest_body(factory, body(*order[start:start + 100 + 10 * k]),
                                             content_type="application/json", origin=f"writer-{k}",
                                             hooks=IngestHooks(), settings=settings_for(db.url), clock=clock,
                                             actor=ACTOR)
                with lock:
                    results.append(result)
        except BaseException as exc:  # handed to the test thread below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.accepted for r in results) == EVENTS
    assert sum(r.duplicates for r in results) == EVENTS * (WRITERS - 1)
    stored = service.list_events(db.uow_factory, limit=EVENTS * 2)
    assert sorted(e.event_id for e in stored) == sorted(f"e-{i}" for i in range(EVENTS))
