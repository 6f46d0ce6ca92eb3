"""Tables owned by the ingest stage: events (append-only, deduplicated), rejects, subject mappings."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text, UniqueConstraint, false

from tally.store.schema.base import BigId, metadata
from tally.store.types import UtcDateTime

events = Table(
    "events",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("event_source", String(255), nullable=False),
    Column("event_id", String(255), nullable=False),
    Column("event_type", String(255), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("event_time", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("data", Text, nullable=False),  # the payload's exact JSON text: numbers keep every digit
    Column("late", Boolean, nullable=False, server_default=false()),  # time fell in a closed period on arrival
    UniqueConstraint("event_source", "event_id"),
    Index(None, "event_type", "event_time"),
    Index(None, "subject", "event_time"),
)

rejected_events = Table(
    "rejected_events",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("received_at", UtcDateTime, nullable=False),
    Column("origin", String(1024), nullable=False),  # "http", "file:<path>", "stdin"
    Column("item_index", Integer, nullable=True),  # index in the batch, or line number in a file
    Column("field", String(255), nullable=False),
    Column("reason", Text, nullable=False),
    Column("raw_payload", Text, nullable=False),
    Column("replayed_at", UtcDateTime, nullable=True),
    Index(None, "origin", "item_index"),
)

subject_mappings = Table(
    "subject_mappings",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("subject", String(255), nullable=False),
    Column("customer_id", String(255), nullable=False),
    Column("effective_from", UtcDateTime, nullable=False),
    Column("effective_to", UtcDateTime, nullable=True),  # half-open; null means open-ended
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "subject", "effective_from"),
)
