"""Prometheus metrics of the HTTP ingest door: request latency and events per request.

The event counters (accepted, duplicate, rejected) and the ingest lag belong to the ingest stage;
these two measure only what the door sees. Registered in tally.observability.metrics.REGISTRY.
"""

from __future__ import annotations

from prometheus_client import Histogram

from tally.observability.metrics import REGISTRY

ingest_request_duration_seconds = Histogram(
    "tally_ingest_request_duration_seconds",
    "Time to answer POST /api/v1/events, from the first body byte to the committed answer",
    ["status"],
    registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),  # float-ok: seconds
)
ingest_request_events = Histogram(
    "tally_ingest_request_events",
    "Events per POST /api/v1/events request (the batch size)",
    registry=REGISTRY,
    buckets=(1, 10, 100, 500, 1_000, 2_500, 5_000, 10_000, 50_000),
)
