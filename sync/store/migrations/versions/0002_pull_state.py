"""Pull: the state of each connection's sweeps, and the replica tables only a pull fills.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

pull_state: per (connection, entity) the inclusive cursor of the last finished sweep and, while
one is under way, its page token, start (served_at of its first page) and counters; written in
the transaction of each page's rows. pull_seen: ERP keys seen by a full sweep of a reader that
cannot report deletions. pull_writeoff_keys: the ERP key of each pulled write-off mapped to the
replica's (item_id, seq). credit_profiles: versioned like the 0001 replica tables (money BIGINT
units of 1/10_000 with a currency; valid_from/valid_to are imports.id values). Written out in
full (not imported from pull_tables.py) so this revision never changes after release.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_CURRENT = "valid_to IS NULL"


def upgrade() -> None:
    op.create_table(
        "pull_state",
        sa.Column("connection", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("cursor", sa.DateTime(), nullable=True),
        sa.Column("sweep_started_at", sa.DateTime(), nullable=True),
        sa.Column("sweep_full", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("page_token", sa.String(), nullable=True),
        sa.Column("pages_fetched", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("records_seen", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("rows_inserted", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("rows_updated", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("rows_deleted", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("rows_unchanged", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("last_sweep_finished_at", sa.DateTime(), nullable=True),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("connection", "entity", name="pk_pull_state"),
    )
    op.create_table(
        "pull_seen",
        sa.Column("connection", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("erp_key", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("connection", "entity", "erp_key", name="pk_pull_seen"),
    )
    op.create_table(
        "pull_writeoff_keys",
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("erp_key", sa.String(), nullable=False),
        sa.Column("item_id", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("source", "erp_key", name="pk_pull_writeoff_keys"),
    )
    op.create_index("ix_pull_writeoff_keys_source_item_id", "pull_writeoff_keys", ["source", "item_id"])
    op.create_table(
        "credit_profiles",
        sa.Column("row_id", _ROW_ID, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("credit_limit", sa.BigInteger(), nullable=True),
        sa.Column("on_hold", sa.Boolean(), nullable=False),
        sa.Column("risk_class", sa.String(), nullable=True),
        sa.Column("score", sa.BigInteger(), nullable=True),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.Column("source_version", sa.String(), nullable=True),
        sa.Column("content_hash", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.Integer(), nullable=False),
        sa.Column("valid_to", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("row_id", name="pk_credit_profiles"),
    )
    op.create_index(
        "ux_credit_profiles_current",
        "credit_profiles",
        ["source", "customer_id"],
        unique=True,
        sqlite_where=sa.text(_CURRENT),
        postgresql_where=sa.text(_CURRENT),
    )
    op.create_index("ix_credit_profiles_history", "credit_profiles", ["source", "customer_id", "valid_from"])


def downgrade() -> None:
    op.drop_table("credit_profiles")
    op.drop_index("ix_pull_writeoff_keys_source_item_id", table_name="pull_writeoff_keys")
    op.drop_table("pull_writeoff_keys")
    op.drop_table("pull_seen")
    op.drop_table("pull_state")
