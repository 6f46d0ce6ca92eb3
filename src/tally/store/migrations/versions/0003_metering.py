"""Metering: tables owned by the metering stage.

Revision ID: 0003_metering
Revises: 0002_ingest
"""

from __future__ import annotations

revision = "0003_metering"
down_revision = "0002_ingest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
