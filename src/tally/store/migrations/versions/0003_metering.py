"""Metering: meter versions, hourly rollups, distinct values, meter rejects.

Revision ID: 0003_metering
Revises: 0002_ingest
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tally.store.schema.base import BigId
from tally.store.types import ExactDecimal, UtcDateTime

revision = "0003_metering"
down_revision = "0002_ingest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meters",
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("meter_id", sa.String(26), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("event_type", sa.String(255), nullable=False),
        sa.Column("aggregation", sa.String(16), nullable=False),
        sa.Column("value_property", sa.String(255), nullable=True),
        sa.Column("group_by", sa.Text, nullable=False),
        sa.Column("filter", sa.Text, nullable=False),
        sa.Column("effective_from", UtcDateTime, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("deleted_at", UtcDateTime, nullable=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("slug", "version", name="pk_meters"),
    )
    op.create_index("ix_meters_event_type", "meters", ["event_type"])
    op.create_table(
        "meter_rollups",
        sa.Column("rollup_key", sa.String(32), nullable=False),
        sa.Column("meter_slug", sa.String(64), nullable=False),
        sa.Column("meter_version", sa.Integer, nullable=False),
        sa.Column("customer_id", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("window_start", UtcDateTime, nullable=False),
        sa.Column("group_key", sa.Text, nullable=False),
        sa.Column("event_count", sa.BigInteger, nullable=False),
        sa.Column("value_sum", ExactDecimal, nullable=False),
        sa.Column("value_min", ExactDecimal, nullable=True),
        sa.Column("value_max", ExactDecimal, nullable=True),
        sa.Column("latest_value", ExactDecimal, nullable=True),
        sa.Column("latest_time", UtcDateTime, nullable=True),
        sa.Column("latest_seq", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("rollup_key", name="pk_meter_rollups"),
    )
    op.create_index("ix_meter_rollups_customer_window", "meter_rollups",
                    ["meter_slug", "meter_version", "customer_id", "window_start"])
    op.create_table(
        "meter_distinct_values",
        sa.Column("rollup_key", sa.String(32), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("rollup_key", "value", name="pk_meter_distinct_values"),
    )
    op.create_table(
        "meter_rejects",
        sa.Column("seq", BigId, primary_key=True, autoincrement=True),
        sa.Column("event_seq", sa.BigInteger, nullable=False),
        sa.Column("meter_slug", sa.String(64), nullable=False),
        sa.Column("meter_version", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("recorded_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_meter_rejects"),
    )
    op.create_index("ix_meter_rejects_event_meter", "meter_rejects",
                    ["event_seq", "meter_slug", "meter_version"], unique=True)
    op.create_index("ix_meter_rejects_meter_slug_meter_version", "meter_rejects", ["meter_slug", "meter_version"])


def downgrade() -> None:
    op.drop_table("meter_rejects")
    op.drop_table("meter_distinct_values")
    op.drop_table("meter_rollups")
    op.drop_table("meters")

