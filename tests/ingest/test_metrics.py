"""Ingest metrics: outcome counters, batch sizes and the lag histogram, counted after commit."""

from __future__ import annotations

from prometheus_client import generate_latest

from tally.clock import FixedClock
from tally.ingest import service
from tally.ingest.metrics import BatchHistogram
from tally.ingest.observers import IngestHooks
from tally.observability.metrics import REGISTRY
from tests.conftest import TestDatabase
from tests.ingest.fakes import ACTOR, body, cloudevent, settings_for


def sample(name: str, labels: dict[str, str] | None = None) -> float:  # float-ok: a metric value
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


def test_counters_and_lag_follow_each_batch(db: TestDatabase, clock: FixedClock) -> None:
    before = {r: sample("tally_ingest_events_total", {"result": r}) for r in ("accepted", "duplicate", "rejected")}
    lag_count = sample("tally_ingest_lag_seconds_count")
    lag_sum = sample("tally_ingest_lag_seconds_sum")
    batches = sample("tally_ingest_batch_events_count")
    payload = body(cloudevent("a", time="2026-11-15T11:00:00Z"), cloudevent("a"), cloudevent("b", id=""))
    service.ingest_body(db.uow_factory, payload, content_type="application/json", origin="http", hooks=IngestHooks(),
                        settings=settings_for(db.url), clock=clock, actor=ACTOR)
    after = {r: sample("tally_ingest_events_total", {"result": r}) for r in ("accepted", "duplicate", "rejected")}
    assert {r: after[r] - before[r] for r in after} == {"accepted": 1, "duplicate": 1, "rejected": 1}
    assert sample("tally_ingest_lag_seconds_count") - lag_count == 1
    assert sample("tally_ingest_lag_seconds_sum") - lag_sum == 3600  # clock 12:00, event 11:00
    assert sample("tally_ingest_lag_seconds_bucket", {"le": "3600.0"}) >= 1
    assert sample("tally_ingest_batch_events_count") - batches == 1
    assert b"tally_ingest_lag_seconds_bucket" in generate_latest(REGISTRY)


def test_batch_histogram_buckets_are_cumulative_and_inclusive() -> None:
    histogram = BatchHistogram("t_hist", "test", buckets=(1, 10))
    histogram.observe_many([0.5, 1, 5, 10, 11])  # float-ok: seconds
    (family,) = histogram.collect()
    by_le = {s.labels["le"]: s.value for s in family.samples if s.name == "t_hist_bucket"}
    assert by_le == {"1.0": 2, "10.0": 4, "+Inf": 5}
    assert [s.value for s in family.samples if s.name == "t_hist_sum"] == [27.5]
