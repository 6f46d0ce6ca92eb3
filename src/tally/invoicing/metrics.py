"""Billing metrics on the process's Prometheus registry (tally.observability.metrics.REGISTRY)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from tally.observability.metrics import REGISTRY

billing_runs_total = Counter("tally_billing_runs_total", "Billing runs finished", ["outcome"], registry=REGISTRY)
billing_run_duration_seconds = Histogram(
    "tally_billing_run_duration_seconds", "Wall time of a billing run",
    buckets=(0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 900), registry=REGISTRY)
billing_run_invoices_issued = Histogram(
    "tally_billing_run_invoices_issued", "Invoices issued per billing run",
    buckets=(0, 1, 10, 100, 1_000, 10_000, 100_000), registry=REGISTRY)
invoices_issued_total = Counter("tally_invoices_issued_total", "Invoices issued", registry=REGISTRY)
invoices_drafted_total = Counter("tally_invoices_drafted_total", "Draft invoices created", registry=REGISTRY)
billing_failures_total = Counter("tally_billing_failures_total", "Customers a billing run failed to bill",
                                 ["code"], registry=REGISTRY)
credit_notes_issued_total = Counter("tally_credit_notes_issued_total", "Credit notes issued", registry=REGISTRY)
billing_group_writes_redone_total = Counter(
    "tally_billing_group_writes_redone_total",
    "Billing batches whose new invoices could not be written as one group and were billed one by one",
    ["reason"], registry=REGISTRY)
