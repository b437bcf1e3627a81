"""Write-back through the outbox, as credit staff and the scheduled push job live it.

Every test runs on SQLite and on PostgreSQL (`store_url`), against the stateful in-memory ERP.
The ERP's `applied_writes` lists the idempotency keys that changed it: "applied once" means a key
appears there exactly once.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from creditbridge.adapters.memory import Fault, InMemoryErp
from creditbridge.core.model import CreditProfile, Customer, Ledger
from creditbridge.core.money import Money
from creditbridge.core.ports import Entity, ErpError, ProfileWrite, WriteResult
from creditbridge.core.writeback import WritebackPolicy
from creditbridge.sync import writeback as wb
from creditbridge.sync.pull import NO_RETRY, pull
from creditbridge.sync.store import Store
from creditbridge.sync.store.writeback_tables import audit_log, change_requests, outbox, outbox_events
from creditbridge.sync.writeback import audit
from creditbridge.sync.writeback.records import ACTIVE, AUDITED, TERMINAL, TRANSITIONS, OutboxStatus, RequestStatus

SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
"""Flow rules that do not depend on the database run on SQLite only (a PostgreSQL database costs ~1 s a test)."""

POLICY = WritebackPolicy(increase_approval_threshold=Decimal("1000"))
CONNECTION = "main"


def company(n: int = 3) -> Ledger:
    customers = tuple(Customer(f"C{i}", f"Customer {i}", "USD") for i in range(1, n + 1))
    profiles = tuple(CreditProfile(f"C{i}", Money.of(f"{i * 1000}", "USD")) for i in range(1, n + 1))
    return Ledger(customers=customers, profiles=profiles)


@pytest.fixture
def erp() -> InMemoryErp:
    return InMemoryErp.from_ledger(company())


def limit_of(erp: InMemoryErp, customer_id: str) -> Decimal | None:
    found = erp.profile(customer_id)
    assert found is not None
    return None if found.credit_limit is None else found.credit_limit.amount


def set_limit(store: Store, erp: InMemoryErp, customer_id: str, amount: str, user: str = "alice") -> wb.RequestResult:
    return wb.request_profile_change(store, CONNECTION, erp, customer_id, POLICY, requested_by=user,
                                     reason="review", credit_limit=Decimal(amount))  # fmt: skip


def hold(store: Store, erp: InMemoryErp, customer_id: str, on_hold: bool = True, user: str = "alice") -> wb.RequestResult:
    return wb.request_profile_change(store, CONNECTION, erp, customer_id, POLICY, requested_by=user,
                                     reason="collections", on_hold=on_hold)  # fmt: skip


def push(store: Store, erp: object, run_id: str = "run-test", **kwargs: object) -> wb.DispatchReport:
    return wb.dispatch(store, CONNECTION, erp, run_id, **kwargs)  # type: ignore[arg-type]


def only_row(store: Store) -> wb.OutboxRow:
    (row,) = wb.list_rows(store.engine, CONNECTION)
    return row


def test_a_decrease_is_queued_with_its_request_and_applied_once(store: Store, erp: InMemoryErp) -> None:
    result = set_limit(store, erp, "C2", "1500")
    assert result.request is not None and result.request.status is RequestStatus.QUEUED
    assert result.outbox_row is not None and result.outbox_row.idempotency_key == result.outbox_row.id

    report = push(store, erp)

    assert [r.status for r in report.results] == [OutboxStatus.APPLIED] and report.ok
    assert erp.applied_writes == [result.outbox_row.idempotency_key]
    assert limit_of(erp, "C2") == Decimal("1500")
    assert wb.get_request(store, result.request.id).status is RequestStatus.DONE
    events = [e.event for e in wb.history(store.engine, result.outbox_row.id)]
    assert events == ["created", "claimed", "applied"]
    assert push(store, erp).results == []  # a second run changes nothing
    assert erp.applied_writes == [result.outbox_row.idempotency_key]


def test_a_lost_response_after_the_erp_applied_is_read_back_not_resent(store: Store, erp: InMemoryErp) -> None:
    row = set_limit(store, erp, "C2", "1500").outbox_row
    assert row is not None
    erp.fail_next("write_credit_profile", Fault.TIMEOUT_AFTER_APPLY)

    report = push(store, erp)

    assert [r.status for r in report.results] == [OutboxStatus.APPLIED]
    assert erp.applied_writes == [row.idempotency_key]
    events = [(e.event, e.to_status.value) for e in wb.history(store.engine, row.id)]
    assert events == [("created", "PENDING"), ("claimed", "SENDING"), ("unknown", "UNKNOWN"), ("applied", "APPLIED")]


@SQLITE_ONLY
def test_a_timeout_before_the_erp_applied_is_resent_with_the_same_key(store: Store) -> None:
    sent_keys: list[str] = []

    class Recording(InMemoryErp):
        def write_credit_profile(self, write: ProfileWrite) -> WriteResult:
            sent_keys.append(write.idempotency_key)
            return super().write_credit_profile(write)

    erp = Recording()
    erp.seed(company())
    row = set_limit(store, erp, "C2", "1500").outbox_row
    assert row is not None
    erp.fail_next("write_credit_profile", Fault.TIMEOUT_BEFORE_APPLY)

    report = push(store, erp)

    assert [r.status for r in report.results] == [OutboxStatus.APPLIED]
    assert sent_keys == [row.idempotency_key, row.idempotency_key]
    assert erp.applied_writes == [row.idempotency_key]
    assert [e.event for e in wb.history(store.engine, row.id)] == [
        "created", "claimed", "unknown", "resend", "claimed", "applied"]  # fmt: skip


def test_a_person_editing_the_limit_after_planning_stops_the_row_as_a_conflict(store: Store) -> None:
    attempts: list[str] = []

    class Counting(InMemoryErp):
        def write_credit_profile(self, write: ProfileWrite) -> WriteResult:
            attempts.append(write.idempotency_key)
            return super().write_credit_profile(write)

    erp = Counting()
    erp.seed(company())
    row = set_limit(store, erp, "C3", "2500").outbox_row
    assert row is not None
    erp.edit_profile("C3", credit_limit=Decimal("3300"))  # someone in the ERP, after we planned

    report = push(store, erp)

    assert [r.status for r in report.results] == [OutboxStatus.CONFLICT] and not report.ok
    assert limit_of(erp, "C3") == Decimal("3300")
    assert len(attempts) == 1 and erp.applied_writes == []
    (conflict,) = wb.list_conflicts(store, CONNECTION)
    assert conflict.erp_values is not None and conflict.erp_values.credit_limit == Decimal("3300")
    assert push(store, erp).results == [] and len(attempts) == 1  # never retried on its own


@SQLITE_ONLY
def test_a_conflict_kept_for_the_erp_closes_the_request(store: Store, erp: InMemoryErp) -> None:
    row = set_limit(store, erp, "C3", "2500").outbox_row
    assert row is not None
    erp.edit_profile("C3", on_hold=True)
    push(store, erp)

    resolution = wb.resolve(store, row.id[:8], "erp", "carol")

    assert resolution.row.resolution == "erp" and resolution.row.status is OutboxStatus.CONFLICT
    assert wb.get_request(store, row.request_id).status is RequestStatus.SUPERSEDED
    assert wb.list_conflicts(store, CONNECTION) == []
    assert erp.applied_writes == []
    with pytest.raises(wb.InvalidTransition):
        wb.resolve(store, row.id, "ours", "carol", adapter=erp, policy=POLICY)


@SQLITE_ONLY
def test_a_conflict_kept_for_us_is_a_new_change_against_the_erps_version_now(store: Store, erp: InMemoryErp) -> None:
    row = set_limit(store, erp, "C3", "2500").outbox_row
    assert row is not None
    erp.edit_profile("C3", credit_limit=Decimal("1000"))  # someone lowered it further
    push(store, erp)

    # ours (2,500) is now an increase of 1,500 over the ERP's 1,000: above the threshold, so four eyes again
    resolution = wb.resolve(store, row.id, "ours", "alice", adapter=erp, policy=POLICY)
    assert resolution.request is not None and resolution.request.status is RequestStatus.PROPOSED
    assert resolution.new_row is None
    with pytest.raises(wb.SelfApprovalRefused):
        wb.approve(store, resolution.request.id, "alice")
    approved = wb.approve(store, resolution.request.id, "bob")
    assert approved.outbox_row is not None
    push(store, erp)

    assert limit_of(erp, "C3") == Decimal("2500")
    assert erp.applied_writes == [approved.outbox_row.idempotency_key]


def test_self_approval_is_refused_and_a_missing_approval_blocks_the_outbox(store: Store, erp: InMemoryErp) -> None:
    result = set_limit(store, erp, "C1", "9000")  # +8,000: above the 1,000 threshold
    assert result.request is not None and result.request.status is RequestStatus.PROPOSED
    assert result.outbox_row is None

    with pytest.raises(wb.SelfApprovalRefused, match="four eyes"):
        wb.approve(store, result.request.id, "alice")
    assert push(store, erp).results == []
    assert erp.applied_writes == [] and limit_of(erp, "C1") == Decimal("1000")

    release = hold(store, erp, "C2")  # a new hold goes out on its own …
    push(store, erp)
    unhold = hold(store, erp, "C2", on_hold=False, user="bob")  # … its release waits for a second person
    assert unhold.request is not None and unhold.request.status is RequestStatus.PROPOSED
    assert release.outbox_row is not None and erp.applied_writes == [release.outbox_row.id]

    decision = wb.approve(store, result.request.id, "Bob")
    assert decision.request.status is RequestStatus.APPROVED and decision.outbox_row is not None
    push(store, erp)
    assert limit_of(erp, "C1") == Decimal("9000")
    with store.engine.connect() as conn, pytest.raises(sa.exc.IntegrityError):  # the database refuses it too
        conn.execute(sa.text("INSERT INTO approvals (request_id, requested_by, approver, decision, decided_at) "
                             "VALUES (:r, 'bob', 'bob', 'APPROVED', CURRENT_TIMESTAMP)"), {"r": unhold.request.id})  # fmt: skip


@SQLITE_ONLY
def test_a_rejected_request_never_reaches_the_outbox(store: Store, erp: InMemoryErp) -> None:
    result = set_limit(store, erp, "C1", "9000")
    assert result.request is not None
    decision = wb.reject(store, result.request.id, "bob", comment="no")
    assert decision.request.status is RequestStatus.REJECTED
    with pytest.raises(wb.InvalidTransition):
        wb.approve(store, result.request.id, "carol")
    assert wb.list_rows(store.engine) == [] and push(store, erp).results == []


@SQLITE_ONLY
def test_a_newer_request_supersedes_one_awaiting_approval(store: Store, erp: InMemoryErp) -> None:
    first = set_limit(store, erp, "C1", "9000")
    second = set_limit(store, erp, "C1", "900", user="dave")  # a decrease: goes out on its own
    assert first.request is not None and second.request is not None
    assert second.superseded == (first.request.id,)
    assert wb.get_request(store, first.request.id).status is RequestStatus.SUPERSEDED
    with pytest.raises(wb.InvalidTransition):
        wb.approve(store, first.request.id, "bob")
    with pytest.raises(wb.ChangeInFlight):  # one change on its way per customer
        set_limit(store, erp, "C1", "800")


@SQLITE_ONLY
def test_the_same_values_as_the_erp_make_no_request(store: Store, erp: InMemoryErp) -> None:
    result = set_limit(store, erp, "C1", "1000.00")
    assert result.request is None and "nothing to do" in result.message
    with pytest.raises(wb.UnknownCustomer):
        set_limit(store, erp, "C404", "1")


@SQLITE_ONLY
def test_an_unavailable_erp_backs_off_then_fails_for_a_person_who_retries(store: Store, erp: InMemoryErp) -> None:
    row = set_limit(store, erp, "C2", "1500").outbox_row
    assert row is not None
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    settings = wb.DispatchSettings(max_attempts=2, backoff_base_seconds=60)
    erp.fail_next("write_credit_profile", Fault.UNAVAILABLE, times=2)

    first = push(store, erp, settings=settings, clock=lambda: start)
    assert first.stopped is not None and not first.ok
    waiting = wb.find(store.engine, row.id)
    assert waiting.status is OutboxStatus.PENDING and waiting.attempts == 1
    assert waiting.next_attempt_at == start + timedelta(seconds=60)
    assert push(store, erp, settings=settings, clock=lambda: start + timedelta(seconds=30)).results == []

    second = push(store, erp, settings=settings, clock=lambda: start + timedelta(seconds=61))
    assert [r.status for r in second.results] == [OutboxStatus.FAILED]
    with pytest.raises(wb.ChangeInFlight):
        set_limit(store, erp, "C2", "1400")

    wb.retry(store.engine, row.id, "carol")
    assert [r.status for r in push(store, erp, settings=settings).results] == [OutboxStatus.APPLIED]
    assert erp.applied_writes == [row.idempotency_key]


@SQLITE_ONLY
def test_a_cancelled_row_is_never_sent(store: Store, erp: InMemoryErp) -> None:
    row = hold(store, erp, "C1").outbox_row
    assert row is not None
    cancelled = wb.cancel(store.engine, row.id, "carol", reason="paid meanwhile")
    assert cancelled.status is OutboxStatus.CANCELLED
    assert push(store, erp).results == [] and erp.applied_writes == []
    assert wb.get_request(store, row.request_id).status is RequestStatus.CANCELLED
    with pytest.raises(wb.InvalidTransition):
        wb.cancel(store.engine, row.id, "carol")


@SQLITE_ONLY
def test_an_erp_refusal_stops_the_row_for_a_person(store: Store, erp: InMemoryErp) -> None:
    row = hold(store, erp, "C1").outbox_row
    assert row is not None
    erp.fail_next("write_credit_profile", Fault.REJECT)
    report = push(store, erp)
    assert [r.status for r in report.results] == [OutboxStatus.REJECTED] and not report.ok
    assert wb.get_request(store, row.request_id).status is RequestStatus.FAILED
    assert erp.profile("C1") is not None and not erp.profile("C1").on_hold  # type: ignore[union-attr]


def test_a_dispatcher_whose_claim_was_taken_over_cannot_record_anything(store: Store, tmp_path: Path) -> None:
    erp = InMemoryErp.from_ledger(company(), state_path=tmp_path / "erp.json")
    row = hold(store, erp, "C1").outbox_row
    assert row is not None
    start = datetime.now(UTC)
    slow_writes: list[wb.DispatchReport] = []

    class Slow(InMemoryErp):
        """While the first dispatcher waits for the ERP, its claim runs out and a second one takes over."""

        def write_credit_profile(self, write: ProfileWrite) -> WriteResult:
            if not slow_writes:
                later = start + timedelta(minutes=10)
                slow_writes.append(wb.dispatch(store, CONNECTION, erp, "run-2", clock=lambda: later))
            return super().write_credit_profile(write)

    slow = Slow(state_path=tmp_path / "erp.json")  # the same ERP, through a slow connection
    first = wb.dispatch(store, CONNECTION, slow, "run-1", clock=lambda: start)

    assert first.results == []  # run-1 lost its claim: it recorded nothing
    assert [r.status for r in slow_writes[0].results] == [OutboxStatus.APPLIED]
    assert erp.applied_writes == [row.idempotency_key]  # run-1's late write was a replay of the same key
    fences = [(e.event, e.fence, e.run_id) for e in wb.history(store.engine, row.id)]
    assert fences == [("created", 0, None), ("claimed", 1, "run-1"), ("expired", 2, "run-2"),  # read back: not there
                      ("resend", 2, "run-2"), ("claimed", 3, "run-2"), ("applied", 3, "run-2")]  # fmt: skip


def test_two_dispatchers_running_at_once_never_send_the_same_row(store: Store) -> None:
    erp = InMemoryErp.from_ledger(company(8))
    for i in range(1, 9):
        hold(store, erp, f"C{i}")
    sent: list[str] = []

    class Slowish(InMemoryErp):
        def write_credit_profile(self, write: ProfileWrite) -> WriteResult:
            sent.append(write.idempotency_key)
            time.sleep(0.01)  # long enough for the other dispatcher to try the same row
            return erp.write_credit_profile(write)

        def read_credit_profile(self, customer_id: str) -> CreditProfile | None:
            return erp.read_credit_profile(customer_id)

    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda run: push(store, Slowish(), run_id=run), ["run-a", "run-b"]))

    assert sorted(sent) == sorted(set(sent)) and len(sent) == 8  # every row sent once, by one of them
    assert sorted(r.outbox_id for report in reports for r in report.results) == sorted(sent)
    assert Counter(erp.applied_writes) == Counter(sent)


def test_every_terminal_state_has_an_audit_row_and_tampering_breaks_the_chain(store: Store) -> None:
    erp = InMemoryErp.from_ledger(company(6))
    settings = wb.DispatchSettings(max_attempts=1)
    set_limit(store, erp, "C1", "500")
    set_limit(store, erp, "C2", "1500")
    erp.edit_profile("C2", credit_limit=Decimal("1700"))
    push(store, erp, settings=settings)  # C1 applied, C2 conflict
    hold(store, erp, "C3")
    erp.fail_next("write_credit_profile", Fault.REJECT)
    push(store, erp, settings=settings)  # C3 rejected
    hold(store, erp, "C4")
    erp.fail_next("write_credit_profile", Fault.UNAVAILABLE)
    push(store, erp, settings=settings)  # C4 failed (one attempt allowed)
    cancelled = hold(store, erp, "C5").outbox_row
    assert cancelled is not None
    wb.cancel(store.engine, cancelled.id, "carol")

    statuses = {r.id: r.status for r in wb.list_rows(store.engine)}
    assert set(statuses.values()) == {OutboxStatus.APPLIED, OutboxStatus.CONFLICT, OutboxStatus.REJECTED,
                                      OutboxStatus.FAILED, OutboxStatus.CANCELLED}  # fmt: skip
    with store.engine.connect() as conn:
        audited = Counter(conn.execute(sa.select(audit_log.c.outbox_id, audit_log.c.outcome)).all())
    for row_id, status in statuses.items():
        assert audited[(row_id, status.value)] == 1, (row_id, status)
    check = wb.verify_chain(store.engine)
    assert check.ok and check.rows >= len(statuses)

    with store.engine.begin() as conn, pytest.raises(sa.exc.DBAPIError, match="append-only"):  # the app cannot …
        conn.execute(sa.update(audit_log).where(audit_log.c.seq == 3).values(actor="mallory"))
    with store.engine.begin() as conn, pytest.raises(sa.exc.DBAPIError, match="append-only"):
        conn.execute(sa.delete(outbox_events))

    rows = check.rows
    for seq in (1, rows // 2, rows):  # … and if someone who can drop the guard does, verify finds the row
        _tamper(store, seq)
        broken = wb.verify_chain(store.engine)
        assert not broken.ok and broken.broken_seq == seq
        _restore(store)
    assert wb.verify_chain(store.engine).ok


_saved: dict[str, object] = {}


def _tamper(store: Store, seq: int) -> None:
    with store.engine.begin() as conn:
        _saved["row"] = conn.execute(sa.select(audit_log).where(audit_log.c.seq == seq)).mappings().one()
        _drop_guard(conn)
        conn.execute(sa.update(audit_log).where(audit_log.c.seq == seq).values(reason="nothing to see here"))
        _restore_guard(conn)


def _restore(store: Store) -> None:
    row = dict(_saved["row"])  # type: ignore[call-overload]
    with store.engine.begin() as conn:
        _drop_guard(conn)
        conn.execute(sa.update(audit_log).where(audit_log.c.seq == row["seq"]).values(reason=row["reason"]))
        _restore_guard(conn)


def _drop_guard(conn: sa.Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    else:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")


def _restore_guard(conn: sa.Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    else:
        conn.exec_driver_sql("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                             "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")  # fmt: skip


@SQLITE_ONLY
def test_dry_run_writes_nothing_and_plans_exactly_what_a_push_then_applies(store: Store, tmp_path: Path) -> None:
    erp = InMemoryErp.from_ledger(company(5), state_path=tmp_path / "erp.json")

    class ReadOnly(InMemoryErp):
        def write_credit_profile(self, write: ProfileWrite) -> WriteResult:
            raise AssertionError("a dry run called the ERP's write")

    read_only = ReadOnly(state_path=tmp_path / "erp.json")  # the same ERP
    set_limit(store, erp, "C1", "500")
    hold(store, erp, "C2")
    set_limit(store, erp, "C3", "9000")  # awaits approval: planned, not pushed
    doomed = set_limit(store, erp, "C4", "3000").outbox_row
    erp.edit_profile("C4", on_hold=True)  # will stop as a conflict

    dry = wb.push(store, CONNECTION, read_only, POLICY, run_id="dry", user="carol", dry_run=True)

    assert dry.plan is not None and erp.applied_writes == []
    assert dry.plan.lines == [
        "C1: credit limit 1,000.00 → 500.00 USD [outbox " + _short_id(store, "C1") + "]",
        "C2: put on hold [outbox " + _short_id(store, "C2") + "]",
        "C3: credit limit 3,000.00 → 9,000.00 USD (needs approval) [request 3 by alice]",
        "C4: the ERP has 4,000.00 USD, on hold, not the expected 4,000.00 USD, not on hold: will stop as CONFLICT "
        f"[outbox {doomed.id[:8] if doomed else ''}]",
    ]
    states = {i.customer_id: i.state for i in dry.plan.items}
    assert states == {"C1": wb.PlanState.WILL_APPLY, "C2": wb.PlanState.WILL_APPLY,
                      "C3": wb.PlanState.AWAITING_APPROVAL, "C4": wb.PlanState.WILL_CONFLICT}  # fmt: skip

    before = {c: erp.profile(c) for c in ("C1", "C2", "C3", "C4", "C5")}
    real = wb.push(store, CONNECTION, erp, POLICY, run_id="real", user="carol")
    assert real.report is not None
    changed = {c for c, p in before.items() if erp.profile(c) != p}
    assert changed == set(dry.plan.will_apply)
    for customer_id, wanted in dry.plan.will_apply.items():
        now = erp.profile(customer_id)
        assert now is not None and now.on_hold == wanted.on_hold
        assert now.credit_limit is not None and now.credit_limit.amount == wanted.credit_limit
    assert len(erp.applied_writes) == len(dry.plan.will_apply)
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).where(audit_log.c.action == "dry_run")).scalar_one() == 1


def _short_id(store: Store, customer_id: str) -> str:
    with store.engine.connect() as conn:
        found = conn.execute(sa.select(outbox.c.id).where(outbox.c.customer_id == customer_id)).scalar_one()
    return str(found)[:8]


def test_outbox_statuses_only_move_forward() -> None:
    for status in TERMINAL:
        assert {to for (frm, to) in TRANSITIONS if frm is status} <= {status}
    assert AUDITED >= TERMINAL
    assert (OutboxStatus.APPLIED, OutboxStatus.PENDING) not in TRANSITIONS


def test_a_request_and_its_outbox_row_commit_together_or_not_at_all(
    store: Store, erp: InMemoryErp, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Exploding(RuntimeError):
        pass

    def explode(conn: sa.Connection, event: object, now: datetime) -> str:
        raise Exploding  # the last step of the transaction fails

    monkeypatch.setattr(audit, "append", explode)
    with pytest.raises(Exploding):
        set_limit(store, erp, "C2", "1500")
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(change_requests)).scalar_one() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one() == 0


# --- a stateful test: people, faults, crashes and dispatchers in any order -------------------------


class Crash(BaseException):
    """The dispatcher process dies here (not an Exception: nothing in the dispatcher catches it)."""


class CrashingErp:
    """The ERP as seen by a dispatcher that dies just before or just after its write reaches the ERP."""

    def __init__(self, erp: InMemoryErp, after_write: bool) -> None:
        self.erp, self.after_write = erp, after_write
        self.erp_name, self.capabilities = erp.erp_name, erp.capabilities

    def read_credit_profile(self, customer_id: str) -> CreditProfile | None:
        return self.erp.read_credit_profile(customer_id)

    def write_credit_profile(self, write: ProfileWrite) -> WriteResult:
        if self.after_write:
            with contextlib.suppress(ErpError):
                self.erp.write_credit_profile(write)
        raise Crash


CUSTOMERS = ("C1", "C2", "C3")
USERS = ("alice", "bob")
LIMITS = ("500", "1500", "2500", "4000", "9000")
WRITE_FAULTS = (Fault.TIMEOUT_AFTER_APPLY, Fault.TIMEOUT_BEFORE_APPLY, Fault.UNAVAILABLE, Fault.REJECT)


class WritebackMachine(RuleBasedStateMachine):
    """Requests, approvals, people editing the ERP, faults, crashes, pulls and dispatch runs, interleaved.

    Invariants: no idempotency key is ever applied twice; nothing cancelled is applied; nothing that
    needs four eyes is applied without a second person's approval. At quiescence: every change whose
    customer nobody else touched in the ERP after it was requested is APPLIED exactly once (or was
    refused by the ERP, or cancelled): none is lost, none is stuck.
    """

    store: Store
    examples = 0

    def __init__(self) -> None:
        super().__init__()
        WritebackMachine.examples += 1
        self.connection = f"m{WritebackMachine.examples}"
        self.erp = InMemoryErp.from_ledger(company(len(CUSTOMERS)))
        self.now = datetime(2026, 3, 1, tzinfo=UTC)
        self.step = 0
        self.request_step: dict[int, int] = {}
        self.touched: dict[str, list[tuple[int, str | None]]] = {c: [] for c in CUSTOMERS}
        self.seen_applied = 0
        self.cancelled: set[str] = set()
        self.settings = wb.DispatchSettings(lease_seconds=120, max_attempts=3, backoff_base_seconds=30)

    def _tick(self) -> datetime:
        self.step += 1
        self.now += timedelta(hours=1)
        return self.now

    def _rows(self, *statuses: OutboxStatus) -> list[wb.OutboxRow]:
        return wb.list_rows(self.store.engine, self.connection, statuses)

    @initialize(limits=st.lists(st.sampled_from(LIMITS), min_size=len(CUSTOMERS), max_size=len(CUSTOMERS)),
                users=st.lists(st.sampled_from(USERS), min_size=len(CUSTOMERS), max_size=len(CUSTOMERS)))  # fmt: skip
    def every_customer_gets_a_new_limit(self, limits: list[str], users: list[str]) -> None:
        for customer, limit, user in zip(CUSTOMERS, limits, users, strict=True):
            self.request(customer, user, limit, False)

    @rule(customer=st.sampled_from(CUSTOMERS), user=st.sampled_from(USERS),
          limit=st.none() | st.sampled_from(LIMITS), on_hold=st.booleans())  # fmt: skip
    def request(self, customer: str, user: str, limit: str | None, on_hold: bool) -> None:
        self._tick()
        change = {"credit_limit": Decimal(limit)} if limit is not None else {"on_hold": on_hold}
        busy = any(r.customer_id == customer for r in self._rows(*ACTIVE))
        try:
            result = wb.request_profile_change(self.store, self.connection, self.erp, customer, POLICY,
                                               requested_by=user, reason="machine", now=self.now, **change)  # type: ignore[arg-type]  # fmt: skip
        except wb.ChangeInFlight:
            assert busy
            return
        except ErpError:
            return  # the ERP could not be read (an armed read fault)
        assert not busy or result.request is None
        if result.request is not None:
            self.request_step[result.request.id] = self.step

    @rule(pick=st.integers(0, 20), self_approval=st.booleans())
    def approve(self, pick: int, self_approval: bool) -> None:
        self._tick()
        proposed = wb.list_requests(self.store, self.connection)
        if not proposed:
            return
        request = proposed[pick % len(proposed)]
        approver = request.requested_by if self_approval else next(u for u in USERS if u != request.requested_by)
        if self_approval:
            with pytest.raises(wb.SelfApprovalRefused):
                wb.approve(self.store, request.id, approver, now=self.now)
            return
        decision = wb.approve(self.store, request.id, approver, now=self.now)
        assert decision.outbox_row is not None

    @rule(customer=st.sampled_from(CUSTOMERS), limit=st.none() | st.sampled_from(LIMITS))
    def person_edits_the_erp(self, customer: str, limit: str | None) -> None:
        self._tick()
        if limit is None:
            current = self.erp.profile(customer)
            assert current is not None
            self.erp.edit_profile(customer, on_hold=not current.on_hold)
        else:
            self.erp.edit_profile(customer, credit_limit=Decimal(limit))
        self.touched[customer].append((self.step, None))

    @rule(fault=st.sampled_from(WRITE_FAULTS), on_read=st.booleans())
    def arm_fault(self, fault: Fault, on_read: bool) -> None:
        if on_read:
            self.erp.fail_next("read_credit_profile", Fault.UNAVAILABLE)
        else:
            self.erp.fail_next("write_credit_profile", fault)

    @rule()
    def dispatch(self) -> None:
        now = self._tick()
        wb.dispatch(self.store, self.connection, self.erp, f"run{self.step}", settings=self.settings, clock=lambda: now)
        self._note_applied()

    @rule(after_write=st.booleans())
    def dispatcher_crashes(self, after_write: bool) -> None:
        now = self._tick()
        crashing = CrashingErp(self.erp, after_write)
        with contextlib.suppress(Crash):
            wb.dispatch(self.store, self.connection, crashing, f"run{self.step}", settings=self.settings,  # type: ignore[arg-type]
                        clock=lambda: now)  # fmt: skip
        self._note_applied()

    @rule()
    def pull_runs(self) -> None:
        """A pull between pushes brings the replica's profiles level with the ERP, whatever was written."""
        self._tick()
        pull(self.store, self.connection, self.erp, [Entity.CREDIT_PROFILES], retry=NO_RETRY)
        replica = {p.customer_id: (p.credit_limit, p.on_hold) for p in self.store.load_ledger(source=self.connection).profiles}
        in_erp = {c: (p.credit_limit, p.on_hold) for c in CUSTOMERS if (p := self.erp.profile(c)) is not None}
        assert replica == in_erp

    @rule(pick=st.integers(0, 20))
    def person_retries_a_failed_row(self, pick: int) -> None:
        self._tick()
        failed = self._rows(OutboxStatus.FAILED)
        if failed:
            wb.retry(self.store.engine, failed[pick % len(failed)].id, "carol", now=self.now)

    @rule(pick=st.integers(0, 20))
    def person_cancels_a_pending_row(self, pick: int) -> None:
        self._tick()
        pending = self._rows(OutboxStatus.PENDING)
        if pending:
            row = pending[pick % len(pending)]
            wb.cancel(self.store.engine, row.id, "carol", now=self.now)
            self.cancelled.add(row.id)

    def _note_applied(self) -> None:
        applied = self.erp.applied_writes
        rows = {r.id: r for r in self._rows()}
        for key in applied[self.seen_applied :]:
            self.touched[rows[key].customer_id].append((self.step, key))
        self.seen_applied = len(applied)

    @invariant()
    def no_key_is_applied_twice_and_nothing_cancelled_or_unapproved_is_applied(self) -> None:
        applied = Counter(self.erp.applied_writes)
        assert all(n == 1 for n in applied.values()), applied
        assert not self.cancelled & set(applied)
        with self.store.engine.connect() as conn:
            for key in applied:
                request = conn.execute(
                    sa.select(change_requests.c.needs_approval, change_requests.c.requested_by)
                    .join(outbox, outbox.c.request_id == change_requests.c.id).where(outbox.c.id == key)
                ).one()
                if request.needs_approval:
                    approvers = conn.execute(sa.text(
                        "SELECT approver FROM approvals a JOIN outbox o ON o.request_id = a.request_id "
                        "WHERE o.id = :k AND a.decision = 'APPROVED'"), {"k": key}).scalars().all()  # fmt: skip
                    assert approvers and all(a != request.requested_by for a in approvers)

    def teardown(self) -> None:
        for _ in range(20):  # quiescence: people retry what failed, the job runs until nothing is on its way
            for row in self._rows(OutboxStatus.FAILED):
                wb.retry(self.store.engine, row.id, "carol", now=self.now)
            if not self._rows(*ACTIVE):
                break
            self.dispatch()
        assert not self._rows(*ACTIVE), [(r.id, r.status) for r in self._rows(*ACTIVE)]
        applied = Counter(self.erp.applied_writes)
        for row in self._rows():
            started = self.request_step[row.request_id]
            interfered = any(step > started and key != row.id for step, key in self.touched[row.customer_id])
            if row.status is OutboxStatus.APPLIED and not interfered:
                assert applied[row.id] == 1, row
            if not interfered:
                assert row.status in (OutboxStatus.APPLIED, OutboxStatus.REJECTED, OutboxStatus.CANCELLED), row
            if row.status is not OutboxStatus.APPLIED:
                assert applied[row.id] == 0, row


@SQLITE_ONLY
def test_any_interleaving_of_people_faults_crashes_and_dispatches_applies_each_change_once(store: Store) -> None:
    WritebackMachine.store = store
    run_state_machine_as_test(
        WritebackMachine,
        settings=settings(max_examples=30, stateful_step_count=15, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow]),
    )
