"""Exactly once as a property: any split into batches, any number of resends, any order — the same set
is stored, each event once, and the counts reconcile (accepted + duplicates = items sent)."""

from __future__ import annotations

import random
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tally.clock import FixedClock
from tally.ingest import service
from tally.ingest.observers import IngestHooks
from tally.store.schema.ingest import events
from tests.conftest import TestDatabase
from tests.ingest.fakes import ACTOR, RecordingObserver, body, cloudevent, settings_for

keys = st.lists(st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 15)), min_size=1, max_size=40)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sent=keys, batch_size=st.integers(1, 12), seed=st.integers(0, 2**16))
def test_any_split_and_resend_stores_the_same_set_once(db: TestDatabase, clock: FixedClock,
                                                       sent: list[tuple[str, int]], batch_size: int,
                                                       seed: int) -> None:
    run = uuid.uuid4().hex[:8]  # each example writes its own sources
    items = [cloudevent(f"e-{n}", source=f"{run}/{s}") for s, n in sent]
    resent = items + random.Random(seed).sample(items, k=len(items) // 2)  # a retry of half of them
    random.Random(seed + 1).shuffle(resent)
    observer = RecordingObserver()
    accepted = duplicates = 0
    for start in range(0, len(resent), batch_size):
        result = service.ingest_body(db.uow_factory, body(*resent[start:start + batch_size]),
                                     content_type="application/json", origin="http",
                                     hooks=IngestHooks(observers=(observer,)), settings=settings_for(db.url),
                                     clock=clock, actor=ACTOR)
        assert not result.rejected
        accepted += result.accepted
        duplicates += result.duplicates
    unique = {(f"{run}/{s}", f"e-{n}") for s, n in sent}
    with db.engine.connect() as connection:
        stored = connection.execute(select(events.c.event_source, events.c.event_id)
                                    .where(events.c.event_source.like(f"{run}/%"))).all()
    assert sorted(stored) == sorted(unique)  # each once
    assert accepted == len(unique) and accepted + duplicates == len(resent)
    assert sorted((e.source, e.event_id) for e in observer.events) == sorted(unique)
