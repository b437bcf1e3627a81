"""Pull state: the inclusive cursor and in-progress sweep of each connection and entity.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pull_state",
        sa.Column("connection", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("cursor", sa.DateTime(), nullable=True),
        sa.Column("sweep_started_at", sa.DateTime(), nullable=True),
        sa.Column("page_token", sa.String(), nullable=True),
        sa.Column("pages_fetched", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("records_seen", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("connection", "entity", name="pk_pull_state"),
    )


def downgrade() -> None:
    op.drop_table("pull_state")
