"""The rows of write-back as values: change requests, outbox rows, their history, and the statuses.

Why the transition table lives here: "a row only ever moves forward" (reliability.md §2.1) is a
rule about pairs of statuses, so it is one set that `outbox.transition` enforces and a test reads.
APPLIED, REJECTED and CANCELLED have no way out; CONFLICT only records a person's resolution on
itself; FAILED (attempts used up while the ERP was unavailable: nothing was applied) goes back to
PENDING only by a person's `outbox retry`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from creditbridge.core.money import from_units, to_units
from creditbridge.core.ports import ProfileValues


class RequestStatus(StrEnum):
    PROPOSED = "PROPOSED"  # waiting for a second person's approval; no outbox row yet
    APPROVED = "APPROVED"  # approved by a second person; its outbox row exists
    QUEUED = "QUEUED"  # needed no approval; its outbox row was created with it
    REJECTED = "REJECTED"  # refused by a second person (or withdrawn by the requester)
    SUPERSEDED = "SUPERSEDED"  # replaced by a later request, or a conflict was resolved in the ERP's favour
    DONE = "DONE"  # the ERP has the wanted values (its outbox row is APPLIED)
    FAILED = "FAILED"  # the ERP refused the write for good (its outbox row is REJECTED)
    CANCELLED = "CANCELLED"  # its outbox row was cancelled by a person before it was sent


class OutboxStatus(StrEnum):
    PENDING = "PENDING"  # to be sent (when next_attempt_at has come)
    SENDING = "SENDING"  # claimed by a dispatcher (lease + fence); the ERP call may be under way
    UNKNOWN = "UNKNOWN"  # sent, answer lost: the ERP is read back before anything else
    APPLIED = "APPLIED"  # the ERP has the wanted values, verified by a read-back
    CONFLICT = "CONFLICT"  # the ERP's values moved on: a person decides, nothing is overwritten
    REJECTED = "REJECTED"  # the ERP refused the write for good
    FAILED = "FAILED"  # attempts used up while the ERP was unavailable (nothing applied): a person retries
    CANCELLED = "CANCELLED"  # a person cancelled it before it was sent


_S = OutboxStatus
TRANSITIONS: frozenset[tuple[OutboxStatus | None, OutboxStatus]] = frozenset(
    {
        (None, _S.PENDING),  # created
        (_S.PENDING, _S.SENDING),  # claimed
        (_S.PENDING, _S.PENDING),  # retried: due now
        (_S.PENDING, _S.CANCELLED),
        (_S.SENDING, _S.APPLIED),
        (_S.SENDING, _S.CONFLICT),
        (_S.SENDING, _S.REJECTED),
        (_S.SENDING, _S.UNKNOWN),  # timeout, or a dispatcher's lease ran out mid-send
        (_S.SENDING, _S.PENDING),  # the ERP was unavailable: nothing was sent, try later
        (_S.SENDING, _S.FAILED),
        (_S.UNKNOWN, _S.UNKNOWN),  # claimed for read-back, or the read-back failed
        (_S.UNKNOWN, _S.APPLIED),
        (_S.UNKNOWN, _S.PENDING),  # read back: not applied, resend with the same key
        (_S.UNKNOWN, _S.CONFLICT),
        (_S.UNKNOWN, _S.FAILED),
        (_S.FAILED, _S.PENDING),  # a person retries
        (_S.FAILED, _S.CANCELLED),
        (_S.CONFLICT, _S.CONFLICT),  # a person's resolution is recorded
    }
)
"""Every (from, to) an outbox row may take; anything else raises `InvalidTransition`."""

TERMINAL = frozenset({_S.APPLIED, _S.CONFLICT, _S.REJECTED, _S.CANCELLED})
"""Statuses a row never leaves (CONFLICT only gets its resolution recorded)."""

NEEDS_A_PERSON = frozenset({_S.CONFLICT, _S.REJECTED, _S.FAILED})
AUDITED = frozenset({_S.APPLIED, _S.CONFLICT, _S.REJECTED, _S.FAILED, _S.CANCELLED})
"""Statuses whose every entry writes an audit row."""

ACTIVE = frozenset({_S.PENDING, _S.SENDING, _S.UNKNOWN, _S.FAILED})
"""Rows in the ERP's way: at most one per customer (a partial unique index says so)."""


class Event(StrEnum):
    """Names of outbox transitions, as in `outbox_events.event` and the crash points `outbox.<event>`."""

    CREATED = "created"
    CLAIMED = "claimed"
    EXPIRED = "expired"
    UNKNOWN = "unknown"
    APPLIED = "applied"
    CONFLICT = "conflict"
    REJECTED = "rejected"
    RESEND = "resend"
    RETRY_LATER = "retry_later"
    FAILED = "failed"
    RETRIED = "retried"
    CANCELLED = "cancelled"
    RESOLVED = "resolved"


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_db_time(moment: datetime) -> datetime:
    """Naive UTC, as the store keeps timestamps."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_db_time(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


def values_columns(prefix: str, values: ProfileValues) -> dict[str, Any]:
    """`{prefix}_limit` (units, NULL: no limit), `{prefix}_currency`, `{prefix}_on_hold`."""
    limit = None if values.credit_limit is None else to_units(values.credit_limit)
    return {f"{prefix}_limit": limit, f"{prefix}_currency": values.currency, f"{prefix}_on_hold": values.on_hold}


def values_of(row: Mapping[Any, Any], prefix: str) -> ProfileValues:
    units = row[f"{prefix}_limit"]
    limit = None if units is None else from_units(int(units))
    return ProfileValues(credit_limit=limit, on_hold=bool(row[f"{prefix}_on_hold"]), currency=row[f"{prefix}_currency"])


@dataclass(frozen=True, slots=True)
class ChangeRequest:
    """A wanted change of one customer's credit profile, as requested, with its status."""

    id: int
    connection: str
    customer_id: str
    customer_name: str | None
    before: ProfileValues
    before_version: str | None
    wanted: ProfileValues
    kinds: tuple[str, ...]
    needs_approval: bool
    reason: str
    requested_by: str
    requested_at: datetime
    status: RequestStatus
    superseded_by: int | None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> ChangeRequest:
        requested_at = from_db_time(row["requested_at"])
        assert requested_at is not None
        return cls(
            id=int(row["id"]),
            connection=row["connection"],
            customer_id=row["customer_id"],
            customer_name=row["customer_name"],
            before=values_of(row, "before"),
            before_version=row["before_version"],
            wanted=values_of(row, "wanted"),
            kinds=tuple(k for k in str(row["kinds"]).split(",") if k),
            needs_approval=bool(row["needs_approval"]),
            reason=row["reason"],
            requested_by=row["requested_by"],
            requested_at=requested_at,
            status=RequestStatus(row["status"]),
            superseded_by=row["superseded_by"],
        )


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One write to send to the ERP, with everything the call needs fixed at creation."""

    id: str
    idempotency_key: str
    connection: str
    customer_id: str
    request_id: int
    expected_version: str | None
    expected: ProfileValues
    wanted: ProfileValues
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime | None
    lease_until: datetime | None
    fence: int
    claimed_by: str | None
    last_error: str | None
    erp_ref: str | None
    erp_version: str | None
    erp_values: ProfileValues | None
    resolution: str | None
    resolved_by: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> OutboxRow:
        created_at, updated_at = from_db_time(row["created_at"]), from_db_time(row["updated_at"])
        assert created_at is not None and updated_at is not None
        erp_values = None if row["erp_currency"] is None else values_of(row, "erp")
        return cls(
            id=row["id"],
            idempotency_key=row["idempotency_key"],
            connection=row["connection"],
            customer_id=row["customer_id"],
            request_id=int(row["request_id"]),
            expected_version=row["expected_version"],
            expected=values_of(row, "expected"),
            wanted=values_of(row, "wanted"),
            status=OutboxStatus(row["status"]),
            attempts=int(row["attempts"]),
            next_attempt_at=from_db_time(row["next_attempt_at"]),
            lease_until=from_db_time(row["lease_until"]),
            fence=int(row["fence"]),
            claimed_by=row["claimed_by"],
            last_error=row["last_error"],
            erp_ref=row["erp_ref"],
            erp_version=row["erp_version"],
            erp_values=erp_values,
            resolution=row["resolution"],
            resolved_by=row["resolved_by"],
            created_at=created_at,
            updated_at=updated_at,
        )


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """One transition of an outbox row (outbox_events)."""

    id: int
    outbox_id: str
    at: datetime
    event: str
    from_status: OutboxStatus | None
    to_status: OutboxStatus
    fence: int
    attempt: int
    actor: str
    run_id: str | None
    detail: str | None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> OutboxEvent:
        at = from_db_time(row["at"])
        assert at is not None
        return cls(
            id=int(row["id"]),
            outbox_id=row["outbox_id"],
            at=at,
            event=row["event"],
            from_status=None if row["from_status"] is None else OutboxStatus(row["from_status"]),
            to_status=OutboxStatus(row["to_status"]),
            fence=int(row["fence"]),
            attempt=int(row["attempt"]),
            actor=row["actor"],
            run_id=row["run_id"],
            detail=row["detail"],
        )
