"""Write-back: change requests, approvals, the outbox and its history, the hash-chained audit log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

A wanted change and its outbox row commit in one transaction; the outbox row holds the
idempotency key fixed at creation, the ERP version and values it expects, and the values wanted.
`approvals` refuses approver = requester (CHECK). At most one outbox row per customer is in the
ERP's way at a time (partial unique index over PENDING/SENDING/UNKNOWN/FAILED). `outbox_events`
and `audit_log` are append-only: triggers refuse UPDATE and DELETE on both databases. Money is
BIGINT units of 1/10_000 with a currency; timestamps are naive UTC. Written out in full (not
imported from writeback_tables.py) so this revision never changes after release.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_ACTIVE = "status IN ('PENDING', 'SENDING', 'UNKNOWN', 'FAILED')"
_APPEND_ONLY = ("outbox_events", "audit_log")


def upgrade() -> None:
    op.create_table(
        "change_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("connection", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(), nullable=False),
        sa.Column("customer_name", sa.String(), nullable=True),
        sa.Column("before_version", sa.String(), nullable=True),
        sa.Column("before_limit", sa.BigInteger(), nullable=True),
        sa.Column("before_currency", sa.String(3), nullable=False),
        sa.Column("before_on_hold", sa.Boolean(), nullable=False),
        sa.Column("wanted_limit", sa.BigInteger(), nullable=True),
        sa.Column("wanted_currency", sa.String(3), nullable=False),
        sa.Column("wanted_on_hold", sa.Boolean(), nullable=False),
        sa.Column("kinds", sa.String(200), nullable=False),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_change_requests"),
    )
    op.create_index("ix_change_requests_connection_status", "change_requests", ["connection", "status"])
    op.create_index("ix_change_requests_connection_customer_id", "change_requests", ["connection", "customer_id"])

    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("approver", sa.String(128), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("approver <> requested_by", name="ck_approvals_four_eyes"),
        sa.ForeignKeyConstraint(
            ["request_id"], ["change_requests.id"], name="fk_approvals_request_id_change_requests"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_approvals"),
        sa.UniqueConstraint("request_id", name="uq_approvals_request_id"),
    )

    op.create_table(
        "outbox",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("connection", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("expected_version", sa.String(), nullable=True),
        sa.Column("expected_limit", sa.BigInteger(), nullable=True),
        sa.Column("expected_currency", sa.String(3), nullable=False),
        sa.Column("expected_on_hold", sa.Boolean(), nullable=False),
        sa.Column("wanted_limit", sa.BigInteger(), nullable=True),
        sa.Column("wanted_currency", sa.String(3), nullable=False),
        sa.Column("wanted_on_hold", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("fence", sa.BigInteger(), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("erp_ref", sa.String(), nullable=True),
        sa.Column("erp_version", sa.String(), nullable=True),
        sa.Column("erp_limit", sa.BigInteger(), nullable=True),
        sa.Column("erp_currency", sa.String(3), nullable=True),
        sa.Column("erp_on_hold", sa.Boolean(), nullable=True),
        sa.Column("resolution", sa.String(16), nullable=True),
        sa.Column("resolved_by", sa.String(128), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["change_requests.id"], name="fk_outbox_request_id_change_requests"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("idempotency_key", name="uq_outbox_idempotency_key"),
    )
    op.create_index(
        "ix_outbox_connection_status_next_attempt_at", "outbox", ["connection", "status", "next_attempt_at"]
    )
    op.create_index(
        "ux_outbox_active_customer",
        "outbox",
        ["connection", "customer_id"],
        unique=True,
        sqlite_where=sa.text(_ACTIVE),
        postgresql_where=sa.text(_ACTIVE),
    )

    op.create_table(
        "outbox_events",
        sa.Column("id", _ROW_ID, autoincrement=True, nullable=False),
        sa.Column("outbox_id", sa.String(36), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("fence", sa.BigInteger(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"], name="fk_outbox_events_outbox_id_outbox"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_events"),
    )
    op.create_index("ix_outbox_events_outbox_id_id", "outbox_events", ["outbox_id", "id"])

    op.create_table(
        "audit_log",
        sa.Column("seq", _ROW_ID, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("connection", sa.String(64), nullable=False),
        sa.Column("erp", sa.String(64), nullable=True),
        sa.Column("customer_id", sa.String(), nullable=True),
        sa.Column("field", sa.String(64), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("reason_code", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("approval_ids", sa.String(200), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("outbox_id", sa.String(36), nullable=True),
        sa.Column("idempotency_key", sa.String(64), nullable=True),
        sa.Column("erp_ref", sa.String(), nullable=True),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_log"),
        sa.UniqueConstraint("event_id", name="uq_audit_log_event_id"),
        sa.UniqueConstraint("prev_hash", name="uq_audit_log_prev_hash"),
    )
    op.create_index("ix_audit_log_connection_customer_id", "audit_log", ["connection", "customer_id"])

    _create_append_only_triggers()


def downgrade() -> None:
    _drop_append_only_triggers()
    op.drop_index("ix_audit_log_connection_customer_id", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_outbox_events_outbox_id_id", table_name="outbox_events")
    op.drop_table("outbox_events")
    op.drop_index("ux_outbox_active_customer", table_name="outbox")
    op.drop_index("ix_outbox_connection_status_next_attempt_at", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("approvals")
    op.drop_index("ix_change_requests_connection_customer_id", table_name="change_requests")
    op.drop_index("ix_change_requests_connection_status", table_name="change_requests")
    op.drop_table("change_requests")


def _create_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION creditbridge_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
        )
        for table in _APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION creditbridge_refuse_change()"
            )
        return
    for table in _APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )


def _drop_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS creditbridge_refuse_change()")
        return
    for table in _APPEND_ONLY:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
