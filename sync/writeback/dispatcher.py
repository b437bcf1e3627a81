"""The dispatcher: sends outbox rows to the ERP so that each change is applied once and never lost.

Why it is shaped like this (reliability.md §2.1, R1–R4):

- A row is *claimed* before it is sent: PENDING → SENDING with a lease and a new fencing token,
  committed. Every later step is a compare-and-set on that fence, so a dispatcher whose lease ran
  out and was taken over cannot record anything for the row; two dispatchers never send one row
  concurrently, on SQLite (write lock from BEGIN) or PostgreSQL (row-level compare-and-set).
- The write carries the row's idempotency key (fixed at creation), the ERP version and the values
  it expects to replace, and the wanted values. APPLIED is recorded only after a read-back shows
  the wanted values. CONFLICT and REJECTED stop the row for a person; nothing is overwritten.
- No answer (`WriteOutcomeUnknown`), a crash mid-send (a SENDING row whose lease ran out), or an
  unexpected error: the row is UNKNOWN and the ERP is read back before anything else. Wanted values
  there: APPLIED, no resend. Expected values still there: PENDING, resent with the SAME key.
  Anything else: CONFLICT.
- `ErpUnavailable`: nothing was sent; the row goes back to PENDING with a backoff
  (`next_attempt_at`, honouring Retry-After), FAILED after `max_attempts`, and the run stops
  (the ERP is down: the other rows wait for the next run).

Crash points: `outbox.<event>.committing` / `outbox.<event>` around each commit (see
`transactions.recording`), and `outbox.before_send`, `outbox.after_send`,
`outbox.before_read_back`, `outbox.after_read_back` around the ERP calls. `CRASH_POINTS` lists them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
import structlog

from creditbridge.core.model import CreditProfile
from creditbridge.core.ports import (
    Capability,
    CreditProfileWriter,
    ErpError,
    ErpUnavailable,
    ProfileValues,
    ProfileWrite,
    WriteOutcome,
    WriteOutcomeUnknown,
    WriteResult,
)
from creditbridge.core.writeback import describe_values, profile_values, same_values
from creditbridge.sync.crashpoints import crash_point
from creditbridge.sync.store.store import Store
from creditbridge.sync.store.writeback_tables import approvals, outbox
from creditbridge.sync.writeback import audit
from creditbridge.sync.writeback import outbox as outbox_rows
from creditbridge.sync.writeback.errors import CannotWrite
from creditbridge.sync.writeback.records import (
    AUDITED,
    NEEDS_A_PERSON,
    Event,
    OutboxRow,
    OutboxStatus,
    RequestStatus,
    to_db_time,
    utc_now,
    values_columns,
)
from creditbridge.sync.writeback.transactions import recording

log = structlog.get_logger("creditbridge.writeback")

ERP_CALL_POINTS = ("outbox.before_send", "outbox.after_send", "outbox.before_read_back", "outbox.after_read_back")
CRASH_POINTS: tuple[str, ...] = (
    *(f"outbox.{event.value}.committing" for event in Event),
    *(f"outbox.{event.value}" for event in Event),
    *ERP_CALL_POINTS,
)
"""Every crash point of write-back (`CREDITBRIDGE_CRASH_AT=<point>[@n]`)."""

DISPATCHER = "dispatcher"


class WritableErp(CreditProfileWriter, Protocol):
    """An adapter that reads and writes credit profiles and says so in its capabilities."""

    @property
    def erp_name(self) -> str: ...

    @property
    def capabilities(self) -> frozenset[Capability]: ...


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    """How long a claim holds, how often a row is tried while the ERP is down, and the backoff."""

    lease_seconds: float = 300.0  # longer than the slowest ERP call (QuickBooks: 120 s), or a slow send is taken over
    max_attempts: int = 5
    backoff_base_seconds: float = 30.0
    backoff_cap_seconds: float = 3600.0
    max_rows: int | None = None

    def backoff(self, attempts: int, retry_after: float | None) -> timedelta:
        delay = min(self.backoff_base_seconds * 2 ** max(attempts - 1, 0), self.backoff_cap_seconds)
        return timedelta(seconds=max(delay, retry_after or 0.0))


@dataclass(frozen=True, slots=True)
class RowResult:
    """Where one row stands after this run, and why."""

    outbox_id: str
    customer_id: str
    status: OutboxStatus
    detail: str


@dataclass(slots=True)
class DispatchReport:
    """What a dispatch run did; `ok` is False if it stopped early or left rows for a person."""

    connection: str
    run_id: str
    results: list[RowResult] = field(default_factory=list)
    stopped: str | None = None

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(r.status.value for r in self.results))

    @property
    def ok(self) -> bool:
        return self.stopped is None and not any(r.status in NEEDS_A_PERSON for r in self.results)


class _Stop(Exception):
    """End this run: the ERP cannot be used now (the row was recorded before raising)."""


class _LostClaim(Exception):
    """Another dispatcher took the row over (its fence moved on): leave the row alone."""


def dispatch(
    store: Store,
    connection: str,
    adapter: WritableErp,
    run_id: str,
    *,
    settings: DispatchSettings | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> DispatchReport:
    """Send every due outbox row of `connection` (oldest first); see the module docstring."""
    if Capability.WRITE_CREDIT_PROFILE not in adapter.capabilities:
        raise CannotWrite(f"the {adapter.erp_name} adapter of connection {connection!r} cannot write credit profiles")
    runner = _Dispatcher(store.engine, connection, adapter, run_id, settings or DispatchSettings(), clock)
    return runner.run()


def due_row_ids(engine: sa.Engine, connection: str, now: datetime, limit: int | None = None) -> list[str]:
    """Rows a dispatcher takes now: due PENDING/UNKNOWN rows with no live claim, SENDING rows whose claim ran out."""
    at = to_db_time(now)
    lease_free = sa.or_(outbox.c.lease_until.is_(None), outbox.c.lease_until <= at)
    due = sa.or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= at)
    query = (
        sa.select(outbox.c.id)
        .where(
            outbox.c.connection == connection,
            sa.or_(
                sa.and_(outbox.c.status.in_([OutboxStatus.PENDING.value, OutboxStatus.UNKNOWN.value]), due, lease_free),
                sa.and_(outbox.c.status == OutboxStatus.SENDING.value, outbox.c.lease_until <= at),
            ),
        )
        .order_by(outbox.c.created_at, outbox.c.id)
    )
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        return [row_id for (row_id,) in conn.execute(query)]


class _Dispatcher:
    def __init__(
        self,
        engine: sa.Engine,
        connection: str,
        adapter: WritableErp,
        run_id: str,
        settings: DispatchSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self.engine = engine
        self.connection = connection
        self.adapter = adapter
        self.run_id = run_id
        self.settings = settings
        self.clock = clock
        self.report = DispatchReport(connection, run_id)
        self.log = log.bind(connection=connection, run_id=run_id)

    def run(self) -> DispatchReport:
        for row_id in due_row_ids(self.engine, self.connection, self.clock(), self.settings.max_rows):
            try:
                self._work(row_id)
            except _LostClaim as lost:
                self.log.info("outbox.claim_lost", outbox_id=row_id, detail=str(lost))
            except _Stop as stop:
                self._result(row_id)
                self.report.stopped = str(stop)
                self.log.warning("outbox.run_stopped", outbox_id=row_id, reason=str(stop))
                break
        return self.report

    # --- one row -------------------------------------------------------------------------------

    def _work(self, row_id: str) -> None:
        # Each pass sends once or reads back once; a resend after a read-back is the next pass.
        for _ in range(2 * self.settings.max_attempts + 2):
            row = self._claim(row_id)
            if row is None:
                return
            row = self._send(row) if row.status is OutboxStatus.SENDING else row
            if row.status is OutboxStatus.UNKNOWN:
                row = self._read_back(row)
            if row.status is not OutboxStatus.PENDING or row.next_attempt_at is not None:
                break
        self._result(row_id)

    def _claim(self, row_id: str) -> OutboxRow | None:
        now = self.clock()
        with self.engine.connect() as conn:
            row = outbox_rows.load(conn, row_id)
        if row is None:
            return None
        lease_free = row.lease_until is None or row.lease_until <= now
        due = row.next_attempt_at is None or row.next_attempt_at <= now
        updates: dict[str, Any] = {
            "lease_until": to_db_time(now + timedelta(seconds=self.settings.lease_seconds)),
            "claimed_by": self.run_id,
        }
        if row.status is OutboxStatus.PENDING and due and lease_free:
            to, event, detail = OutboxStatus.SENDING, Event.CLAIMED, f"attempt {row.attempts + 1}"
            updates["attempts"] = row.attempts + 1
        elif row.status is OutboxStatus.UNKNOWN and due and lease_free:
            to, event, detail = OutboxStatus.UNKNOWN, Event.CLAIMED, "claimed to read the ERP back"
        elif row.status is OutboxStatus.SENDING and row.lease_until is not None and row.lease_until <= now:
            to, event = OutboxStatus.UNKNOWN, Event.EXPIRED
            detail = f"the claim of run {row.claimed_by} ran out while sending: outcome unknown, reading back"
        else:
            return None
        with recording(self.engine, event) as conn:
            if not outbox_rows.transition(conn, row, to, event, actor=DISPATCHER, run_id=self.run_id, now=now,
                                          detail=detail, new_fence=row.fence + 1, **updates):  # fmt: skip
                return None
            claimed = outbox_rows.load(conn, row_id)
        assert claimed is not None
        return claimed

    def _send(self, row: OutboxRow) -> OutboxRow:
        write = ProfileWrite(row.customer_id, row.expected_version, row.expected, row.wanted, row.idempotency_key)
        crash_point("outbox.before_send")
        try:
            result = self.adapter.write_credit_profile(write)
        except WriteOutcomeUnknown as exc:
            crash_point("outbox.after_send")
            return self._record(row, OutboxStatus.UNKNOWN, Event.UNKNOWN, f"outcome unknown: {exc}",
                                last_error=str(exc))  # fmt: skip
        except ErpUnavailable as exc:
            crash_point("outbox.after_send")
            raise self._unavailable(row, exc) from exc
        except ErpError as exc:
            crash_point("outbox.after_send")
            retry_at = to_db_time(self.clock() + self.settings.backoff(row.attempts, None))
            self._record(row, OutboxStatus.PENDING, Event.RETRY_LATER, f"the ERP refused the call: {exc}",
                         last_error=str(exc), lease_until=None, next_attempt_at=retry_at)  # fmt: skip
            raise _Stop(f"the ERP refused the call ({type(exc).__name__}): {exc}") from exc
        except Exception as exc:
            self._record(row, OutboxStatus.UNKNOWN, Event.UNKNOWN, f"unexpected error while sending: {exc!r}",
                         last_error=repr(exc), lease_until=None)  # fmt: skip
            raise
        crash_point("outbox.after_send")
        return self._outcome(row, result)

    def _outcome(self, row: OutboxRow, result: WriteResult) -> OutboxRow:
        ref = result.erp_reference
        if result.outcome is WriteOutcome.APPLIED:
            return self._verify(row, ref)
        current = self._values(result.current, row)
        if result.outcome is WriteOutcome.CONFLICT:
            if current is not None and same_values(current, row.wanted):
                detail = "the ERP already had the wanted values (no write needed)"
                return self._applied(row, result.current, ref, detail)
            seen = "unknown values" if current is None else describe_values(current)
            detail = (f"conflict: the ERP has {seen}, not the expected {describe_values(row.expected)}"
                      + (f" ({result.message})" if result.message else ""))  # fmt: skip
            return self._record(row, OutboxStatus.CONFLICT, Event.CONFLICT, detail, profile=result.current,
                                erp_ref=ref)  # fmt: skip
        detail = f"the ERP refused the write: {result.message or 'no reason given'}"
        return self._record(row, OutboxStatus.REJECTED, Event.REJECTED, detail, profile=result.current, erp_ref=ref,
                            last_error=result.message)  # fmt: skip

    def _verify(self, row: OutboxRow, ref: str | None) -> OutboxRow:
        """The ERP said APPLIED: read back, and record APPLIED only if the wanted values are there."""
        crash_point("outbox.before_read_back")
        try:
            profile = self.adapter.read_credit_profile(row.customer_id)
        except ErpError as exc:
            retry_at = to_db_time(self.clock() + self.settings.backoff(row.attempts, None))
            self._record(row, OutboxStatus.UNKNOWN, Event.UNKNOWN,
                         f"the ERP reported the write applied ({ref}) but the read-back failed: {exc}",
                         last_error=str(exc), erp_ref=ref, lease_until=None, next_attempt_at=retry_at)  # fmt: skip
            raise _Stop(f"the ERP could not be read back: {exc}") from exc
        crash_point("outbox.after_read_back")
        current = self._values(profile, row)
        if current is not None and same_values(current, row.wanted):
            return self._applied(row, profile, ref, "applied; the read-back shows the wanted values")
        seen = "no profile" if current is None else describe_values(current)
        detail = f"the ERP reported the write applied ({ref}), but reads back {seen}"
        return self._record(row, OutboxStatus.CONFLICT, Event.CONFLICT, detail, profile=profile, erp_ref=ref)

    def _read_back(self, row: OutboxRow) -> OutboxRow:
        """The outcome is unknown: the ERP's values decide (wanted: applied; expected: resend; else conflict)."""
        crash_point("outbox.before_read_back")
        try:
            profile = self.adapter.read_credit_profile(row.customer_id)
        except ErpError as exc:
            retry_at = to_db_time(self.clock() + self.settings.backoff(row.attempts, getattr(exc, "retry_after", None)))
            self._record(row, OutboxStatus.UNKNOWN, Event.RETRY_LATER, f"the read-back failed: {exc}",
                         last_error=str(exc), lease_until=None, next_attempt_at=retry_at)  # fmt: skip
            raise _Stop(f"the ERP could not be read back: {exc}") from exc
        crash_point("outbox.after_read_back")
        current = self._values(profile, row)
        if current is not None and same_values(current, row.wanted):
            return self._applied(row, profile, row.erp_ref, "read back: the ERP has the wanted values (not resent)")
        if current is not None and same_values(current, row.expected):
            if row.attempts >= self.settings.max_attempts:
                return self._record(row, OutboxStatus.FAILED, Event.FAILED,
                                    f"read back: not applied after {row.attempts} attempts", profile=profile,
                                    lease_until=None)  # fmt: skip
            return self._record(row, OutboxStatus.PENDING, Event.RESEND,
                                "read back: not applied; resending with the same idempotency key", profile=profile,
                                lease_until=None, next_attempt_at=None)  # fmt: skip
        seen = "no profile" if current is None else describe_values(current)
        detail = (f"read back: the ERP has {seen}, neither the expected {describe_values(row.expected)} "
                  f"nor the wanted {describe_values(row.wanted)}")  # fmt: skip
        return self._record(row, OutboxStatus.CONFLICT, Event.CONFLICT, detail, profile=profile)

    def _unavailable(self, row: OutboxRow, exc: ErpUnavailable) -> _Stop:
        """Nothing was sent: PENDING with a backoff, or FAILED when attempts are used up; the run stops."""
        if row.attempts >= self.settings.max_attempts:
            self._record(row, OutboxStatus.FAILED, Event.FAILED,
                         f"the ERP was unavailable on all {row.attempts} attempts: {exc}", last_error=str(exc),
                         lease_until=None)  # fmt: skip
        else:
            retry_at = self.clock() + self.settings.backoff(row.attempts, exc.retry_after)
            self._record(row, OutboxStatus.PENDING, Event.RETRY_LATER,
                         f"the ERP is unavailable: {exc}; next attempt at {retry_at:%Y-%m-%d %H:%M:%S} UTC",
                         last_error=str(exc), lease_until=None, next_attempt_at=to_db_time(retry_at))  # fmt: skip
        return _Stop(f"the ERP is unavailable: {exc}")

    def _applied(self, row: OutboxRow, profile: CreditProfile | None, ref: str | None, detail: str) -> OutboxRow:
        return self._record(row, OutboxStatus.APPLIED, Event.APPLIED, detail, profile=profile, erp_ref=ref,
                            lease_until=None, last_error=None)  # fmt: skip

    @staticmethod
    def _values(profile: CreditProfile | None, row: OutboxRow) -> ProfileValues | None:
        return None if profile is None else profile_values(profile, row.wanted.currency)

    # --- recording -----------------------------------------------------------------------------

    def _record(
        self,
        row: OutboxRow,
        to: OutboxStatus,
        event: Event,
        detail: str,
        *,
        profile: CreditProfile | None = None,
        **updates: Any,
    ) -> OutboxRow:
        """One transition of a row this run holds (fence check), with its audit row when it needs one."""
        now = self.clock()
        if profile is not None:
            updates.update(values_columns("erp", profile_values(profile, row.wanted.currency)))
            updates["erp_version"] = profile.source_version
        with recording(self.engine, event) as conn:
            if not outbox_rows.transition(conn, row, to, event, actor=DISPATCHER, run_id=self.run_id, now=now,
                                          detail=detail, **updates):  # fmt: skip
                raise _LostClaim(f"row {row.id} was taken over by another dispatcher")
            if to in AUDITED:
                self._audit(conn, row, to, detail, now, updates.get("erp_ref"), profile)
            if to is OutboxStatus.APPLIED:
                outbox_rows.set_request_status(conn, row.request_id, RequestStatus.DONE, now)
            elif to is OutboxStatus.REJECTED:
                outbox_rows.set_request_status(conn, row.request_id, RequestStatus.FAILED, now)
            recorded = outbox_rows.load(conn, row.id)
        assert recorded is not None
        self.log.info(f"outbox.{event.value}", outbox_id=row.id, customer_id=row.customer_id, status=to.value,
                      detail=detail)  # fmt: skip
        return recorded

    def _audit(
        self,
        conn: sa.Connection,
        row: OutboxRow,
        to: OutboxStatus,
        detail: str,
        now: datetime,
        erp_ref: str | None,
        profile: CreditProfile | None,
    ) -> None:
        approval_ids = tuple(
            int(i) for (i,) in conn.execute(sa.select(approvals.c.id).where(approvals.c.request_id == row.request_id))
        )
        after = row.wanted if to is OutboxStatus.APPLIED else None
        if after is None and profile is not None:
            after = profile_values(profile, row.wanted.currency)
        audit.append(conn, audit.AuditEvent(
            actor=DISPATCHER, role="dispatcher", connection=row.connection, erp=self.adapter.erp_name,
            customer_id=row.customer_id, before=row.expected, after=after if after is not None else row.expected,
            action=to.value.lower(), outcome=to.value, reason_code=to.value.lower(), reason=detail,
            approval_ids=approval_ids, request_id=row.request_id, outbox_id=row.id,
            idempotency_key=row.idempotency_key, erp_ref=erp_ref, run_id=self.run_id,
        ), now)  # fmt: skip

    def _result(self, row_id: str) -> None:
        with self.engine.connect() as conn:
            row = outbox_rows.load(conn, row_id)
        assert row is not None
        events = outbox_rows.history(self.engine, row_id)
        detail = events[-1].detail if events and events[-1].detail else ""
        self.report.results.append(RowResult(row.id, row.customer_id, row.status, detail))
