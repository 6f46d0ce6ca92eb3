"""Ledger: tables owned by the ledger stage.

Revision ID: 0006_ledger
Revises: 0005_invoicing
"""

from __future__ import annotations

revision = "0006_ledger"
down_revision = "0005_invoicing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
