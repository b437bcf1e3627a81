"""Tables of write-back: change requests, approvals, the outbox, its history, and the audit log.

Why these five (reliability.md §2.1): a wanted change and its outbox row commit in one local
transaction; the outbox row carries everything the ERP call needs (the idempotency key fixed at
creation, the ERP version and values it expects to replace, the values wanted), so a dispatcher
that crashed anywhere can pick the row up again and never send a different write for it.
`outbox_events` keeps every transition of every row (append-only); `audit_log` is the
hash-chained record of every decision and terminal outcome (§2.5), and migration 0003 adds
triggers that refuse UPDATE and DELETE on both append-only tables.

Money is BIGINT units of 1/UNITS_PER_MAJOR with a currency; a NULL limit means "no limit".
Timestamps are naive UTC. Statuses are plain strings (see creditbridge.sync.writeback.records).
"""

from __future__ import annotations

import sqlalchemy as sa

from creditbridge.sync.store.schema import ROW_ID, metadata

ACTIVE_OUTBOX_STATUSES = ("PENDING", "SENDING", "UNKNOWN", "FAILED")
"""Outbox statuses of a row still in the ERP's way: at most one such row per customer and connection."""

_ACTIVE = "status IN ('PENDING', 'SENDING', 'UNKNOWN', 'FAILED')"

change_requests = sa.Table(
    "change_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("connection", sa.String(64), nullable=False),
    sa.Column("customer_id", sa.String, nullable=False),
    sa.Column("customer_name", sa.String, nullable=True),
    sa.Column("before_version", sa.String, nullable=True),
    sa.Column("before_limit", sa.BigInteger, nullable=True),
    sa.Column("before_currency", sa.String(3), nullable=False),
    sa.Column("before_on_hold", sa.Boolean, nullable=False),
    sa.Column("wanted_limit", sa.BigInteger, nullable=True),
    sa.Column("wanted_currency", sa.String(3), nullable=False),
    sa.Column("wanted_on_hold", sa.Boolean, nullable=False),
    sa.Column("kinds", sa.String(200), nullable=False),
    sa.Column("needs_approval", sa.Boolean, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("requested_by", sa.String(128), nullable=False),
    sa.Column("requested_at", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("superseded_by", sa.Integer, nullable=True),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index(None, "connection", "status"),
    sa.Index(None, "connection", "customer_id"),
)

approvals = sa.Table(
    "approvals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.Integer, sa.ForeignKey("change_requests.id"), nullable=False),
    sa.Column("requested_by", sa.String(128), nullable=False),
    sa.Column("approver", sa.String(128), nullable=False),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("decided_at", sa.DateTime, nullable=False),
    sa.CheckConstraint("approver <> requested_by", name="four_eyes"),
    sa.UniqueConstraint("request_id"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("idempotency_key", sa.String(64), nullable=False),
    sa.Column("connection", sa.String(64), nullable=False),
    sa.Column("customer_id", sa.String, nullable=False),
    sa.Column("request_id", sa.Integer, sa.ForeignKey("change_requests.id"), nullable=False),
    sa.Column("expected_version", sa.String, nullable=True),
    sa.Column("expected_limit", sa.BigInteger, nullable=True),
    sa.Column("expected_currency", sa.String(3), nullable=False),
    sa.Column("expected_on_hold", sa.Boolean, nullable=False),
    sa.Column("wanted_limit", sa.BigInteger, nullable=True),
    sa.Column("wanted_currency", sa.String(3), nullable=False),
    sa.Column("wanted_on_hold", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime, nullable=True),
    sa.Column("lease_until", sa.DateTime, nullable=True),
    sa.Column("fence", sa.BigInteger, nullable=False),
    sa.Column("claimed_by", sa.String(64), nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("erp_ref", sa.String, nullable=True),
    sa.Column("erp_version", sa.String, nullable=True),
    sa.Column("erp_limit", sa.BigInteger, nullable=True),
    sa.Column("erp_currency", sa.String(3), nullable=True),
    sa.Column("erp_on_hold", sa.Boolean, nullable=True),
    sa.Column("resolution", sa.String(16), nullable=True),
    sa.Column("resolved_by", sa.String(128), nullable=True),
    sa.Column("resolved_at", sa.DateTime, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("idempotency_key"),
    sa.Index(None, "connection", "status", "next_attempt_at"),
    sa.Index(
        "ux_outbox_active_customer",
        "connection",
        "customer_id",
        unique=True,
        sqlite_where=sa.text(_ACTIVE),
        postgresql_where=sa.text(_ACTIVE),
    ),
)

outbox_events = sa.Table(
    "outbox_events",
    metadata,
    sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
    sa.Column("outbox_id", sa.String(36), sa.ForeignKey("outbox.id"), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("from_status", sa.String(16), nullable=True),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("fence", sa.BigInteger, nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("run_id", sa.String(64), nullable=True),
    sa.Column("detail", sa.Text, nullable=True),
    sa.Index(None, "outbox_id", "id"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", ROW_ID, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("connection", sa.String(64), nullable=False),
    sa.Column("erp", sa.String(64), nullable=True),
    sa.Column("customer_id", sa.String, nullable=True),
    sa.Column("field", sa.String(64), nullable=True),
    sa.Column("before", sa.Text, nullable=True),
    sa.Column("after", sa.Text, nullable=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("reason_code", sa.String(64), nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("approval_ids", sa.String(200), nullable=True),
    sa.Column("request_id", sa.Integer, nullable=True),
    sa.Column("outbox_id", sa.String(36), nullable=True),
    sa.Column("idempotency_key", sa.String(64), nullable=True),
    sa.Column("erp_ref", sa.String, nullable=True),
    sa.Column("run_id", sa.String(64), nullable=True),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.UniqueConstraint("event_id"),
    sa.UniqueConstraint("prev_hash"),
    sa.Index(None, "connection", "customer_id"),
)

WRITEBACK_TABLES: tuple[sa.Table, ...] = (change_requests, approvals, outbox, outbox_events, audit_log)
APPEND_ONLY_TABLES: tuple[sa.Table, ...] = (outbox_events, audit_log)
