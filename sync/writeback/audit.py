"""The append-only, hash-chained audit log of write-back (reliability.md §2.5, R6).

Why a chain: "a report of all changes to credit limits, and that each was properly approved" is
only worth something if nobody can quietly edit it. Each row's `hash` is
sha256(prev_hash ‖ canonical JSON of the row's other fields), and `prev_hash` is the hash of the
row before it (64 zeros for the first), so changing, deleting or re-ordering any row breaks every
hash after it; `verify_chain` finds the first broken row. Appends are serialized (SQLite: the
write transaction holds the database lock from BEGIN; PostgreSQL: an advisory transaction lock),
and `prev_hash` is UNIQUE, so the chain can never fork. Deleting rows at the very end is the one
thing a chain cannot show on its own: `verify_chain` returns the head hash to record elsewhere.
Triggers (migration 0003) refuse UPDATE and DELETE on the table on both databases.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from creditbridge.core.money import to_units
from creditbridge.core.ports import ProfileValues
from creditbridge.sync.store.writeback_tables import audit_log
from creditbridge.sync.writeback.records import from_db_time, to_db_time

GENESIS = "0" * 64
_PG_AUDIT_LOCK = 0x63726564_61756474  # 'credaudt': one audit appender at a time

HASHED_FIELDS = (
    "event_id", "at", "actor", "role", "connection", "erp", "customer_id", "field", "before", "after", "action",
    "outcome", "reason_code", "reason", "approval_ids", "request_id", "outbox_id", "idempotency_key", "erp_ref",
    "run_id",
)  # fmt: skip
"""The fields a row's hash covers (everything but `seq`, `prev_hash` and `hash` itself)."""


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """What happened, to what, by whom and why; `before`/`after` are the credit-profile values."""

    actor: str
    role: str
    connection: str
    action: str
    outcome: str
    erp: str | None = None
    customer_id: str | None = None
    before: ProfileValues | None = None
    after: ProfileValues | None = None
    reason_code: str | None = None
    reason: str | None = None
    approval_ids: tuple[int, ...] = ()
    request_id: int | None = None
    outbox_id: str | None = None
    idempotency_key: str | None = None
    erp_ref: str | None = None
    run_id: str | None = None
    field: str | None = "credit_limit,on_hold"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One stored audit row."""

    seq: int
    at: datetime
    fields: Mapping[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The result of `verify_chain`: ok, how many rows, the head hash, and the first broken row."""

    ok: bool
    rows: int
    head: str
    broken_seq: int | None = None
    problem: str | None = None
    broken_row: Mapping[str, Any] = field(default_factory=dict)


def values_json(values: ProfileValues | None) -> str | None:
    """Canonical JSON of credit-profile values: the limit in exact units, never a float."""
    if values is None:
        return None
    limit = None if values.credit_limit is None else str(values.credit_limit)
    units = None if values.credit_limit is None else to_units(values.credit_limit)
    return canonical_json({"credit_limit": limit, "credit_limit_units": units, "currency": values.currency,
                           "on_hold": values.on_hold})  # fmt: skip


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_hash(prev_hash: str, fields: Mapping[Any, Any]) -> str:
    """sha256(prev_hash ‖ canonical JSON of the hashed fields)."""
    payload = {name: _json_ready(fields[name]) for name in HASHED_FIELDS}
    return hashlib.sha256((prev_hash + canonical_json(payload)).encode("utf-8")).hexdigest()


def _json_ready(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def append(conn: sa.Connection, event: AuditEvent, now: datetime) -> str:
    """Append `event` at the end of the chain, in the caller's (write) transaction; its hash."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    last = conn.execute(sa.select(audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)).scalar()
    prev_hash = last or GENESIS
    fields: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "at": to_db_time(now),
        "actor": event.actor,
        "role": event.role,
        "connection": event.connection,
        "erp": event.erp,
        "customer_id": event.customer_id,
        "field": event.field,
        "before": values_json(event.before),
        "after": values_json(event.after),
        "action": event.action,
        "outcome": event.outcome,
        "reason_code": event.reason_code,
        "reason": event.reason,
        "approval_ids": ",".join(str(i) for i in event.approval_ids) or None,
        "request_id": event.request_id,
        "outbox_id": event.outbox_id,
        "idempotency_key": event.idempotency_key,
        "erp_ref": event.erp_ref,
        "run_id": event.run_id,
    }
    digest = row_hash(prev_hash, fields)
    conn.execute(sa.insert(audit_log).values(**fields, prev_hash=prev_hash, hash=digest))
    return digest


def verify_chain(engine: sa.Engine, batch: int = 5000) -> ChainCheck:
    """Walk the chain in order; the first row whose link or hash is wrong (ok=False), else ok."""
    expected_prev = GENESIS
    rows = 0
    last_seq = None
    with engine.connect() as conn:
        while True:
            query = sa.select(audit_log).order_by(audit_log.c.seq).limit(batch)
            if last_seq is not None:
                query = query.where(audit_log.c.seq > last_seq)
            chunk = conn.execute(query).mappings().all()
            if not chunk:
                return ChainCheck(ok=True, rows=rows, head=expected_prev)
            for row in chunk:
                problem = None
                if row["prev_hash"] != expected_prev:
                    problem = "its prev_hash is not the hash of the row before it (a row was removed or re-ordered)"
                elif row_hash(row["prev_hash"], row) != row["hash"]:
                    problem = "its content does not match its hash (the row was changed)"
                if problem is not None:
                    return ChainCheck(ok=False, rows=rows, head=expected_prev, broken_seq=int(row["seq"]),
                                      problem=problem, broken_row=dict(row))  # fmt: skip
                expected_prev = row["hash"]
                rows += 1
            last_seq = chunk[-1]["seq"]


def list_entries(
    engine: sa.Engine,
    connection: str | None = None,
    customer_id: str | None = None,
    limit: int | None = None,
) -> list[AuditEntry]:
    """Audit rows, oldest first (the last `limit` of them when given)."""
    query = sa.select(audit_log).order_by(audit_log.c.seq.desc())
    if connection is not None:
        query = query.where(audit_log.c.connection == connection)
    if customer_id is not None:
        query = query.where(audit_log.c.customer_id == customer_id)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    entries = []
    for row in reversed(rows):
        at = from_db_time(row["at"])
        assert at is not None
        fields = {name: row[name] for name in HASHED_FIELDS}
        entries.append(AuditEntry(int(row["seq"]), at, fields, row["prev_hash"], row["hash"]))
    return entries


def entries_for_outbox(engine: sa.Engine, outbox_ids: Sequence[str]) -> dict[str, list[str]]:
    """The audit actions recorded for each outbox row id."""
    found: dict[str, list[str]] = {i: [] for i in outbox_ids}
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(audit_log.c.outbox_id, audit_log.c.action).where(audit_log.c.outbox_id.in_(list(outbox_ids)))
        )
        for outbox_id, action in rows:
            found.setdefault(outbox_id, []).append(action)
    return found
