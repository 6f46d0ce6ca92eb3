"""Metering: daily rollups — the hourly states merged per UTC day, so a month's bill reads ~30 rows per
series instead of 720. Existing hourly rollups are merged into their days here (in Python: the row key
is the same blake2b hash of the key the code computes, which SQL cannot).

Revision ID: 0007_daily_rollups
Revises: 0006_ledger
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tally.store.types import ExactDecimal, UtcDateTime

revision = "0007_daily_rollups"
down_revision = "0006_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meter_daily_rollups",
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
        sa.PrimaryKeyConstraint("rollup_key", name="pk_meter_daily_rollups"),
    )
    op.create_index("ix_meter_daily_rollups_customer_window", "meter_daily_rollups",
                    ["meter_slug", "meter_version", "customer_id", "window_start"])
    from tally.metering.store import merge_hours_into_days  # the code's own key hash and merge

    connection = op.get_bind()
    for slug, version in connection.execute(sa.text("SELECT DISTINCT meter_slug, meter_version FROM meter_rollups")):
        merge_hours_into_days(connection, meter_slug=slug, meter_version=int(version))


def downgrade() -> None:
    op.drop_table("meter_daily_rollups")
