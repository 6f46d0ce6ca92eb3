"""Catalog and contracts: versioned products, plans, price book versions, contract versions; credit drawdowns.

Revision ID: 0004_catalog
Revises: 0003_metering
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from tally.store.schema.base import BigId
from tally.store.types import ExactDecimal, UtcDateTime

revision = "0004_catalog"
down_revision = "0003_metering"
branch_labels = None
depends_on = None

_VERSIONED = (
    ("catalog_products", "code", False),
    ("catalog_plans", "code", False),
    ("catalog_price_book_versions", "price_book_code", True),
    ("contract_versions", "customer_id", True),
)


def upgrade() -> None:
    for name, code_column, effective in _VERSIONED:
        columns: list[sa.Column[Any]] = [sa.Column(code_column, sa.String(255), nullable=False),
                   sa.Column("version", sa.Integer, nullable=False)]
        if effective:
            columns.append(sa.Column("effective_from", UtcDateTime, nullable=False))
        columns += [sa.Column("recorded_at", UtcDateTime, nullable=False),
                    sa.Column("digest", sa.String(64), nullable=False),
                    sa.Column("document", sa.Text, nullable=False)]
        op.create_table(name, *columns, sa.PrimaryKeyConstraint(code_column, "version", name=f"pk_{name}"))
    op.create_table(
        "credit_drawdowns",
        sa.Column("seq", BigId, primary_key=True, autoincrement=True),
        sa.Column("invoice_id", sa.String(255), nullable=False),
        sa.Column("customer_id", sa.String(255), nullable=False),
        sa.Column("credit_id", sa.String(255), nullable=False),
        sa.Column("line_key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", ExactDecimal, nullable=False),
        sa.Column("units", ExactDecimal, nullable=True),
        sa.Column("drawn_at", UtcDateTime, nullable=False),
        sa.Column("restores_seq", BigId, nullable=True),
        sa.UniqueConstraint("invoice_id", "customer_id", "credit_id", "line_key",
                            name="uq_credit_drawdowns_invoice_id_customer_id_credit_id_line_key"),
        sa.UniqueConstraint("restores_seq", name="uq_credit_drawdowns_restores_seq"),
    )
    op.create_index("ix_credit_drawdowns_customer_id_credit_id", "credit_drawdowns", ["customer_id", "credit_id"])


def downgrade() -> None:
    op.drop_index("ix_credit_drawdowns_customer_id_credit_id", "credit_drawdowns")
    op.drop_table("credit_drawdowns")
    for name, _, _ in reversed(_VERSIONED):
        op.drop_table(name)
