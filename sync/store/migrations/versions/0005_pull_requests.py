"""Webhook queue: pull requests ERP webhooks asked for, and the event ids already received.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

pull_requests: one row per accepted webhook delivery (entities and event ids as JSON lists),
claimed by a worker (started_at, run_id) and finished (finished_at, error). webhook_events:
(connection, event_id) primary key, so a redelivered event is queued once. Written out in full
(not imported from service_tables.py) so this revision never changes after release.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pull_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("connection", sa.String(64), nullable=False),
        sa.Column("entities", sa.JSON(), nullable=False),
        sa.Column("event_ids", sa.JSON(), nullable=False),
        sa.Column("orders", sa.JSON(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_pull_requests"),
    )
    op.create_index("ix_pull_requests_finished_at_connection", "pull_requests", ["finished_at", "connection"])
    op.create_index("ix_pull_requests_run_id", "pull_requests", ["run_id"])
    op.create_table(
        "webhook_events",
        sa.Column("connection", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("connection", "event_id", name="pk_webhook_events"),
    )


def downgrade() -> None:
    op.drop_table("webhook_events")
    op.drop_index("ix_pull_requests_run_id", table_name="pull_requests")
    op.drop_index("ix_pull_requests_finished_at_connection", table_name="pull_requests")
    op.drop_table("pull_requests")
