"""Ingest: events, rejected events, subject mappings.

Revision ID: 0002_ingest
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tally.store.schema.base import BigId
from tally.store.types import UtcDateTime

revision = "0002_ingest"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", BigId, primary_key=True, autoincrement=True),
        sa.Column("event_source", sa.String(255), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("event_type", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("event_time", UtcDateTime, nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("late", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("event_source", "event_id", name="uq_events_event_source_event_id"),
    )
    op.create_index("ix_events_event_type_event_time", "events", ["event_type", "event_time"])
    op.create_index("ix_events_subject_event_time", "events", ["subject", "event_time"])
    op.create_table(
        "rejected_events",
        sa.Column("seq", BigId, primary_key=True, autoincrement=True),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.Column("origin", sa.String(1024), nullable=False),
        sa.Column("item_index", sa.Integer, nullable=True),
        sa.Column("field", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("raw_payload", sa.Text, nullable=False),
        sa.Column("replayed_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_rejected_events_origin_item_index", "rejected_events", ["origin", "item_index"])
    op.create_table(
        "subject_mappings",
        sa.Column("seq", BigId, primary_key=True, autoincrement=True),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("customer_id", sa.String(255), nullable=False),
        sa.Column("effective_from", UtcDateTime, nullable=False),
        sa.Column("effective_to", UtcDateTime, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_subject_mappings_subject_effective_from", "subject_mappings", ["subject", "effective_from"])


def downgrade() -> None:
    op.drop_table("subject_mappings")
    op.drop_table("rejected_events")
    op.drop_table("events")
