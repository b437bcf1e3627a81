"""Plan and push: what write-back would send to the ERP now, and sending it.

Why the plan reads the ERP: a change is only meaningful against the ERP's values now. For each
request awaiting approval and each outbox row still on its way, `plan` reads the customer's
profile through the adapter (reads only: `push --dry-run` makes zero ERP write calls) and says
what a push would do: send it (the ERP still has the values the row expects), confirm it (the
ERP already has the wanted values), stop it as a conflict (someone changed the ERP meanwhile),
or wait (approval, backoff, another dispatcher's claim, a person after FAILED). The plan's
`will_apply` is exactly what a real push then applies, when nobody touches the ERP in between.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from creditbridge.core.model import CreditProfile
from creditbridge.core.money import Money
from creditbridge.core.ports import CreditProfileReader, ProfileValues
from creditbridge.core.writeback import (
    ProfileChange,
    WritebackPolicy,
    describe_values,
    plan_profile_changes,
    profile_values,
    render_change,
    same_values,
)
from creditbridge.sync.store.store import Store
from creditbridge.sync.writeback import audit
from creditbridge.sync.writeback import outbox as outbox_rows
from creditbridge.sync.writeback.dispatcher import DispatchReport, DispatchSettings, WritableErp, dispatch
from creditbridge.sync.writeback.records import ACTIVE, ChangeRequest, OutboxRow, OutboxStatus, RequestStatus, utc_now
from creditbridge.sync.writeback.requests import customer_facts, list_requests
from creditbridge.sync.writeback.transactions import write_transaction


class PlanState(StrEnum):
    WILL_APPLY = "will_apply"  # a push sends it now and the ERP applies it
    ALREADY_IN_ERP = "already_in_erp"  # the ERP has the wanted values: a push confirms it without a write
    WILL_CONFLICT = "will_conflict"  # the ERP no longer has the values the change expects
    AWAITING_APPROVAL = "awaiting_approval"
    WAITING = "waiting"  # backoff after the ERP was unavailable
    IN_FLIGHT = "in_flight"  # claimed by a dispatcher that is running now
    FAILED = "failed"  # a person must retry or cancel it


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One customer's pending change against the ERP's values now."""

    customer_id: str
    state: PlanState
    wanted: ProfileValues
    erp_values: ProfileValues | None
    change: ProfileChange | None
    request_id: int
    outbox_id: str | None
    line: str


@dataclass(frozen=True, slots=True)
class Plan:
    connection: str
    items: tuple[PlanItem, ...]

    @property
    def lines(self) -> list[str]:
        return [item.line for item in self.items]

    @property
    def will_apply(self) -> dict[str, ProfileValues]:
        """The values a push would write now, by customer."""
        return {i.customer_id: i.wanted for i in self.items if i.state is PlanState.WILL_APPLY}


def plan(
    store: Store,
    connection: str,
    adapter: CreditProfileReader,
    policy: WritebackPolicy,
    *,
    now: datetime | None = None,
) -> Plan:
    """Requests awaiting approval and outbox rows on their way, against the ERP's profiles now."""
    at = now or utc_now()
    requests = list_requests(store, connection, (RequestStatus.PROPOSED,))
    rows = outbox_rows.list_rows(store.engine, connection, tuple(ACTIVE))
    customers = sorted({r.customer_id for r in requests} | {r.customer_id for r in rows})
    facts = customer_facts(store.engine, connection, customers)
    names = {c: f.name for c, f in facts.items() if f.name}
    names.update({r.customer_id: r.customer_name for r in requests if r.customer_name and r.customer_id not in names})
    profiles = {c: adapter.read_credit_profile(c) for c in customers}
    items = [_row_item(row, profiles[row.customer_id], names.get(row.customer_id), at) for row in rows]
    items += [_request_item(r, profiles[r.customer_id], policy, names) for r in requests]
    items.sort(key=lambda i: (i.customer_id, i.request_id))
    return Plan(connection, tuple(items))


def _row_item(row: OutboxRow, profile: CreditProfile | None, name: str | None, now: datetime) -> PlanItem:
    erp = None if profile is None else profile_values(profile, row.wanted.currency)
    who = f"{row.customer_id} {name}" if name else row.customer_id
    tag = f"[outbox {row.id[:8]}]"
    change = None
    if erp is not None and not same_values(erp, row.wanted):
        version = None if profile is None else profile.source_version
        found = plan_profile_changes({row.customer_id: row.wanted},
                                     {row.customer_id: _profile(row.customer_id, erp, version)},
                                     WritebackPolicy(), {row.customer_id: name} if name else None)  # fmt: skip
        change = replace(found[0], needs_approval=False) if found else None
    if erp is not None and same_values(erp, row.wanted):
        state = PlanState.ALREADY_IN_ERP
        line = f"{who}: the ERP already has the wanted values (confirmed on push) {tag}"
    elif erp is None or not same_values(erp, row.expected) or change is None:
        seen = "no credit profile" if erp is None else describe_values(erp)
        state = PlanState.WILL_CONFLICT
        expected = describe_values(row.expected)
        line = f"{who}: the ERP has {seen}, not the expected {expected}: will stop as CONFLICT {tag}"
    else:
        state = _waiting_state(row, now)
        line = f"{render_change(change)} {tag}" + _waiting_note(row, state)
    return PlanItem(row.customer_id, state, row.wanted, erp, change, row.request_id, row.id, line)


def _waiting_state(row: OutboxRow, now: datetime) -> PlanState:
    if row.status is OutboxStatus.FAILED:
        return PlanState.FAILED
    if row.lease_until is not None and row.lease_until > now:
        return PlanState.IN_FLIGHT
    if row.next_attempt_at is not None and row.next_attempt_at > now:
        return PlanState.WAITING
    return PlanState.WILL_APPLY


def _waiting_note(row: OutboxRow, state: PlanState) -> str:
    if state is PlanState.FAILED:
        return f" (FAILED after {row.attempts} attempts: outbox retry or cancel)"
    if state is PlanState.IN_FLIGHT:
        return f" (being sent by run {row.claimed_by})"
    if state is PlanState.WAITING and row.next_attempt_at is not None:
        return f" (next attempt at {row.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC)"
    return ""


def _request_item(
    request: ChangeRequest, profile: CreditProfile | None, policy: WritebackPolicy, names: dict[str, str]
) -> PlanItem:
    erp = None if profile is None else profile_values(profile, request.wanted.currency)
    tag = f"[request {request.id} by {request.requested_by}]"
    found = plan_profile_changes({request.customer_id: request.wanted},
                                 {} if profile is None else {request.customer_id: profile}, policy, names)  # fmt: skip
    if not found:
        name = names.get(request.customer_id)
        who = f"{request.customer_id} {name}" if name else request.customer_id
        return PlanItem(request.customer_id, PlanState.ALREADY_IN_ERP, request.wanted, erp, None, request.id, None,
                        f"{who}: the ERP already has the requested values {tag}")  # fmt: skip
    change = replace(found[0], needs_approval=True)
    line = f"{render_change(change)} {tag}"
    if erp is not None and not same_values(erp, request.before):
        line += " (the ERP changed since the request: approving it will end in CONFLICT)"
    return PlanItem(request.customer_id, PlanState.AWAITING_APPROVAL, request.wanted, erp, change, request.id, None,
                    line)  # fmt: skip


def _profile(customer_id: str, values: ProfileValues, version: str | None) -> CreditProfile:
    limit = None if values.credit_limit is None else Money(values.credit_limit, values.currency)
    return CreditProfile(customer_id, limit, on_hold=values.on_hold, source_version=version)


@dataclass(frozen=True, slots=True)
class PushResult:
    """A dry run's plan, or a real run's dispatch report."""

    dry_run: bool
    plan: Plan | None
    report: DispatchReport | None

    @property
    def ok(self) -> bool:
        return self.report.ok if self.report is not None else True


def push(
    store: Store,
    connection: str,
    adapter: WritableErp,
    policy: WritebackPolicy,
    *,
    run_id: str,
    user: str,
    dry_run: bool = False,
    settings: DispatchSettings | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> PushResult:
    """Dry run: the plan (reads only) and an audit row saying so. Otherwise: send every due outbox row."""
    if dry_run:
        now = clock()
        found = plan(store, connection, adapter, policy, now=now)
        with write_transaction(store.engine) as conn:
            audit.append(conn, audit.AuditEvent(
                actor=user, role="operator", connection=connection, erp=adapter.erp_name, action="dry_run",
                outcome="PLANNED", field=None,
                reason=f"{len(found.will_apply)} change(s) would be sent, {len(found.items)} pending in all",
                run_id=run_id,
            ), now)  # fmt: skip
        return PushResult(True, found, None)
    report = dispatch(store, connection, adapter, run_id, settings=settings, clock=clock)
    return PushResult(False, None, report)
