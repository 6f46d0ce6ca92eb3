"""Prometheus metrics, one registry per process, exposed at /metrics.

Metric objects are module-level by Prometheus convention (they hold no I/O and no settings).
Stages import the ones they count; names carry their unit last.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

http_requests_total = Counter(
    "tally_http_requests_total", "HTTP requests answered", ["route", "method", "status"], registry=REGISTRY
)
http_request_duration_seconds = Histogram(
    "tally_http_request_duration_seconds", "HTTP request latency", ["route", "method"], registry=REGISTRY
)
