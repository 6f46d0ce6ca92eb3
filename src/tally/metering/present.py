"""JSON shapes of metering for the doors: OpenMeter's Meter and MeterQueryResult, written exactly.

Values stay Decimal until `dumps_exact` writes them as JSON numbers digit for digit (never a float).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tally.metering.model import MeterVersion, StoredReject
from tally.metering.query import QueryResult
from tally.metering.service import MeterChange, VerifyReport


def instant(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def meter_json(meter: MeterVersion) -> dict[str, Any]:
    """OpenMeter's Meter (id, slug, name, aggregation, eventType, valueProperty, groupBy, createdAt,
    updatedAt…) plus Tally's `version`, `effectiveFrom` and `filter`."""
    d = meter.definition
    out: dict[str, Any] = {"id": meter.meter_id, "slug": d.slug, "name": d.name, "description": d.description,
                           "aggregation": d.aggregation.value, "eventType": d.event_type,
                           "groupBy": dict(d.group_by), "createdAt": instant(meter.created_at),
                           "updatedAt": instant(meter.updated_at), "version": meter.version,
                           "effectiveFrom": instant(meter.effective_from), "filter": dict(d.filter)}
    if d.value_property is not None:
        out["valueProperty"] = d.value_property
    if meter.deleted_at is not None:
        out["deletedAt"] = instant(meter.deleted_at)
    return out


def query_json(result: QueryResult) -> dict[str, Any]:
    rows = []
    for r in result.rows:
        row: dict[str, Any] = {"value": r.value, "windowStart": instant(r.window_start),
                               "windowEnd": instant(r.window_end), "subject": r.subject,
                               "groupBy": dict(r.group_by)}
        if r.customer_id is not None:
            row["customerId"] = r.customer_id
        rows.append(row)
    out: dict[str, Any] = {"data": rows}
    if result.start is not None:
        out["from"] = instant(result.start)
    if result.end is not None:
        out["to"] = instant(result.end)
    if result.window_size is not None:
        out["windowSize"] = result.window_size.value
    return out


def change_json(change: MeterChange) -> dict[str, Any]:
    return {"slug": change.slug, "version": change.version, "action": change.action.value,
            "effectiveFrom": instant(change.effective_from), "eventsBackfilled": change.events_backfilled}


def reject_json(reject: StoredReject) -> dict[str, Any]:
    return {"seq": reject.seq, "eventSeq": reject.event_seq, "meter": reject.meter_slug,
            "meterVersion": reject.meter_version, "reason": reject.reason, "recordedAt": instant(reject.recorded_at)}


def verify_json(report: VerifyReport) -> dict[str, Any]:
    def state(s: Any) -> Any:
        if s is None:
            return None
        return {"count": s.count, "sum": format(s.sum, "f"), "min": s.min, "max": s.max, "latest": s.latest}

    return {"from": instant(report.period.start), "to": instant(report.period.end), "ok": report.ok,
            "meters": list(report.meters_checked), "eventsRead": report.events_read, "keysChecked": report.keys_checked,
            "differences": [{"meter": d.meter_slug, "version": d.meter_version, "customerId": d.customer_id,
                             "subject": d.subject, "window": d.level, "windowStart": instant(d.window_start),
                             "groupBy": d.group_key,
                             "stored": state(d.stored), "expected": state(d.expected),
                             "distinctStored": d.distinct_stored, "distinctExpected": d.distinct_expected}
                            for d in report.differences]}
