"""Reconciliation runs: one row per store-mode `creditbridge reconcile` (or scheduled job).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

reconcile_runs: when (naive UTC), which connections, as-of date, tolerance, counts of differences
above and within it, ok, and the JSON result. Written out in full (not imported from
reconcile_tables.py) so this revision never changes after release.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reconcile_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_at", sa.DateTime(), nullable=False),
        sa.Column("connections", sa.String(500), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("tolerance", sa.Numeric(18, 4), nullable=False),
        sa.Column("differences", sa.Integer(), nullable=False),
        sa.Column("within_tolerance", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reconcile_runs"),
    )
    op.create_index("ix_reconcile_runs_run_at", "reconcile_runs", ["run_at"])


def downgrade() -> None:
    op.drop_index("ix_reconcile_runs_run_at", table_name="reconcile_runs")
    op.drop_table("reconcile_runs")
