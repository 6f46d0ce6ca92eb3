"""Ingest metrics, registered in the process registry and exposed at /metrics.

Counted by the service after each batch commits (a rolled-back batch counts nothing). The lag
histogram takes a whole batch at once (`observe_many`): observing a million events one call at a
time would cost more than parsing them.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence

from prometheus_client import Counter, Histogram
from prometheus_client.core import HistogramMetricFamily
from prometheus_client.registry import Collector

from tally.observability.metrics import REGISTRY


class BatchHistogram(Collector):
    """A Prometheus histogram fed with many observations per call; buckets are upper bounds (le)."""

    def __init__(self, name: str, documentation: str, buckets: Sequence[float]) -> None:  # float-ok: seconds
        self.name = name
        self.documentation = documentation
        self.bounds = tuple(sorted(buckets))
        self._counts = [0] * (len(self.bounds) + 1)  # the last one is +Inf
        self._sum = 0.0  # float-ok: seconds
        self._lock = threading.Lock()

    def observe_many(self, values: Iterable[float]) -> None:  # float-ok: seconds
        counts = [0] * len(self._counts)
        total = 0.0  # float-ok: seconds
        bounds = self.bounds
        for value in values:
            counts[bisect_left(bounds, value)] += 1
            total += value
        with self._lock:
            for i, n in enumerate(counts):
                self._counts[i] += n
            self._sum += total

    def collect(self) -> Iterator[HistogramMetricFamily]:
        with self._lock:
            counts, total = list(self._counts), self._sum
        cumulative = 0
        buckets: list[tuple[str, float]] = []  # float-ok: seconds
        for bound, n in zip((*self.bounds, math.inf), counts, strict=True):
            cumulative += n
            buckets.append(("+Inf" if bound == math.inf else repr(float(bound)), cumulative))  # float-ok
        yield HistogramMetricFamily(self.name, self.documentation, buckets=buckets, sum_value=total)


events_total = Counter(
    "tally_ingest_events", "Events received by ingest, by outcome", ["result"], registry=REGISTRY)
lag_seconds = BatchHistogram(
    "tally_ingest_lag_seconds", "Ingest lag: arrival time minus event time, per newly stored event",
    buckets=(1, 10, 60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400, 31 * 86400))
REGISTRY.register(lag_seconds)
batch_events = Histogram(
    "tally_ingest_batch_events", "Items per ingest batch (HTTP request or file chunk)",
    buckets=(1, 10, 100, 1000, 5000, 10_000, 50_000, float("inf")),  # float-ok
    registry=REGISTRY)

ACCEPTED = events_total.labels(result="accepted")
DUPLICATE = events_total.labels(result="duplicate")
REJECTED = events_total.labels(result="rejected")
