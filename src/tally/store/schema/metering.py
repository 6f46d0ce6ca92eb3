"""Tables owned by the metering stage: meter versions, hourly and daily rollups, exact distinct values, rejects.

A rollup row is the mergeable state of one (meter slug, version, customer, subject, hour, group
values); `rollup_key` is a 32-hex hash of that key so a batch finds its rows with one indexed IN.
Only one secondary index, (meter, version, customer, hour): every rollup row is written in the ingest
transaction, so each index is paid per event; queries across all customers filter the hour inside
that index. Daily rollups hold the same states merged per UTC day, written by the same statements as
the hours they merge: a month's bill reads ~30 rows per series instead of 720. `customer_id` is '' (never NULL) when the
subject was unmapped at the event's time, so the key stays unique on both backends.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, PrimaryKeyConstraint, String, Table, Text

from tally.store.schema.base import BigId, metadata
from tally.store.types import ExactDecimal, UtcDateTime

meters = Table(
    "meters",
    metadata,
    Column("slug", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("meter_id", String(26), nullable=False),  # OpenMeter-style ULID, stable across versions
    Column("name", String(256), nullable=False),
    Column("description", Text, nullable=False),
    Column("event_type", String(255), nullable=False),
    Column("aggregation", String(16), nullable=False),
    Column("value_property", String(255), nullable=True),
    Column("group_by", Text, nullable=False),  # canonical JSON object name → JSONPath
    Column("filter", Text, nullable=False),  # canonical JSON object field → expected text
    Column("effective_from", UtcDateTime, nullable=True),  # null: covers events from the beginning
    Column("created_at", UtcDateTime, nullable=False),
    Column("deleted_at", UtcDateTime, nullable=True),
    Column("digest", String(64), nullable=False),
    PrimaryKeyConstraint("slug", "version"),
    Index(None, "event_type"),
)

def _rollup_columns() -> list[Column[object]]:
    """One mergeable state per key: hourly and daily rollups share the shape (fresh Column objects each)."""
    return [
        Column("rollup_key", String(32), primary_key=True),
        Column("meter_slug", String(64), nullable=False),
        Column("meter_version", Integer, nullable=False),
        Column("customer_id", String(255), nullable=False),
        Column("subject", String(255), nullable=False),
        Column("window_start", UtcDateTime, nullable=False),  # the UTC hour's (or day's) start
        Column("group_key", Text, nullable=False),
        Column("event_count", BigInteger, nullable=False),
        Column("value_sum", ExactDecimal, nullable=False),
        Column("value_min", ExactDecimal, nullable=True),
        Column("value_max", ExactDecimal, nullable=True),
        Column("latest_value", ExactDecimal, nullable=True),
        Column("latest_time", UtcDateTime, nullable=True),
        Column("latest_seq", BigInteger, nullable=True),
    ]


meter_rollups = Table(
    "meter_rollups",
    metadata,
    *_rollup_columns(),
    Index("ix_meter_rollups_customer_window", "meter_slug", "meter_version", "customer_id", "window_start"),
)

meter_daily_rollups = Table(
    "meter_daily_rollups",
    metadata,
    *_rollup_columns(),
    Index("ix_meter_daily_rollups_customer_window", "meter_slug", "meter_version", "customer_id", "window_start"),
)

meter_distinct_values = Table(
    "meter_distinct_values",
    metadata,
    Column("rollup_key", String(32), nullable=False),
    Column("value", Text, nullable=False),  # the value's exact JSON text
    PrimaryKeyConstraint("rollup_key", "value"),
)

meter_rejects = Table(
    "meter_rejects",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("event_seq", BigInteger, nullable=False),
    Column("meter_slug", String(64), nullable=False),
    Column("meter_version", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Index("ix_meter_rejects_event_meter", "event_seq", "meter_slug", "meter_version", unique=True),
    Index(None, "meter_slug", "meter_version"),
)
