"""Invoicing: tables owned by the invoicing stage.

Revision ID: 0005_invoicing
Revises: 0004_catalog
"""

from __future__ import annotations

revision = "0005_invoicing"
down_revision = "0004_catalog"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
