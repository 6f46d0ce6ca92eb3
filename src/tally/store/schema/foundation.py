"""Cross-cutting tables: the audit trail and API keys."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text

from tally.store.schema.base import BigId, metadata
from tally.store.types import UtcDateTime

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("action", String(100), nullable=False),
    Column("subject_type", String(100), nullable=False),
    Column("subject_id", String(255), nullable=False),
    Column("before", Text, nullable=True),
    Column("after", Text, nullable=True),
    Index(None, "subject_type", "subject_id"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("secret_sha256", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("name", String(255), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
)
