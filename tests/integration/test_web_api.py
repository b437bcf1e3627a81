"""The JSON API (/api/v1) as a system with a token and as page JavaScript with a session, through TestClient.

The store is test_web_workspace.py's (tests/fixtures/ledger_kpi: customers A, B, C; one user per
role and `approver2`), plus one API token per role named `<role>-sys`. Customer A has a limit of
5,000 USD; as of 2026-01-30 an order of 2,700 takes it to 4,000 = 80 % -> warn (the figures of
test_credit_route.py). Role checks run on SQLite only; the happy paths on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from creditbridge.adapters.files import read_ledger
from creditbridge.sync import writeback as wb
from creditbridge.sync.cashapp.job import exceptions as cashapp_exceptions
from creditbridge.sync.cashapp.job import run_cashapp_job
from creditbridge.sync.collections.repository import add_note, load_disputes, load_notes, load_promises
from creditbridge.sync.config import Config
from creditbridge.sync.credit_decisions import list_decisions
from creditbridge.sync.service.app import create_app
from creditbridge.sync.store import Store
from creditbridge.sync.store.cashapp_tables import cashapp_allocations, cashapp_payments
from creditbridge.sync.web import roles
from creditbridge.sync.web.api import PREFIX
from creditbridge.sync.web.api_tokens import TokenError, add_token, revoke_token
from creditbridge.sync.web.users import add_user
from creditbridge.sync.writeback import OutboxStatus

from . import test_web_conflicts as conflicts
from . import test_web_workspace as workspace
from .test_cashapp_store import camt
from .test_web_workspace import (
    AS_OF,
    CASHAPP,
    SQLITE_ONLY,
    audit_actions,
    browser,
    csrf_on,
    notes_of,
    request_increase,
    request_status,
    sign_in,
)

store = workspace.store
"""The workspace tests' store (fixture): customers A, B, C of ledger_kpi, one user per role and approver2."""
cheap_hashes = workspace.cheap_hashes
world = conflicts.world
"""test_web_conflicts.py's world (fixture): a CONFLICT on customer A (ERP 4,500, ours 4,000) and a stopped hold of B."""

D = Decimal
APPLICATION = {
    "applicant": {"name": "Widget Works Ltd", "customer_id": None, "type": "private_manufacturer",
                  "years_in_business": 12},
    "requested_limit": {"amount": "50000.00", "currency": "USD"},
    "financials": {"currency": "USD", "period_end": "2025-12-31", "current_assets": "1200000",
                   "current_liabilities": "700000", "total_assets": "3000000", "total_liabilities": "1500000",
                   "retained_earnings": "900000", "ebit": "450000", "sales": "4800000", "book_equity": "1500000"},
    "trade_references": [{"name": "Steel Co", "high_credit": "40000", "terms_days": 30, "days_beyond_terms": 3}],
}  # fmt: skip
CHECK = {"customer_id": "A", "amount": "2700", "as_of": "2026-01-30"}
ENDPOINTS: list[tuple[str, str, str, dict[str, Any] | None]] = [
    ("dashboard.view", "GET", f"/dashboard?as_of={AS_OF}", None),
    ("customers.view", "GET", f"/customers?as_of={AS_OF}", None),
    ("customers.view", "GET", f"/customers/A?as_of={AS_OF}", None),
    ("customers.note", "POST", "/customers/A/notes", {"kind": "call", "text": "called"}),
    ("approvals.view", "GET", "/approvals", None),
    ("approvals.decide", "POST", "/approvals/{id}/approve", {"comment": "fine"}),
    ("approvals.decide", "POST", "/approvals/{id}/reject", {"comment": "no"}),
    ("cashapp.view", "GET", "/cashapp/exceptions", None),
    ("cashapp.decide", "POST", "/cashapp/NO-SUCH-PAYMENT/confirm", None),
    ("cashapp.decide", "POST", "/cashapp/NO-SUCH-PAYMENT/apply", {"allocations": [{"invoice": "A1", "amount": "1"}]}),
    ("cashapp.decide", "POST", "/cashapp/NO-SUCH-PAYMENT/reject", None),
    ("cashapp.decide", "POST", "/cashapp/NO-SUCH-PAYMENT/on-account", {"customer_id": "A"}),
    ("conflicts.view", "GET", "/conflicts?state=all", None),
    ("conflicts.resolve", "POST", "/conflicts/NO-SUCH-ROW/resolve", {"keep": "erp"}),
    ("conflicts.resolve", "POST", "/conflicts/NO-SUCH-ROW/retry", None),
    ("credit.check", "POST", "/credit/check", CHECK),
    ("collections.view", "GET", f"/collections?as_of={AS_OF}", None),
    ("collections.call", "POST", "/collections/A/calls", {"text": "called"}),
    ("collections.promise", "POST", "/collections/A/promises", {"amount": "100.00", "date": "2026-04-15"}),
    ("collections.dispute", "POST", "/collections/A/disputes", {"item": "A1", "reason": "pricing"}),
    ("collections.resolve", "POST", "/collections/A/disputes/999/resolve", {"resolution": "paid"}),
    ("collections.task", "POST", "/collections/A/tasks/999/done", None),
    ("credit.apply", "POST", "/credit/applications", APPLICATION),
    ("credit.decisions.view", "GET", "/credit/decisions", None),
    ("limits.request", "POST", "/customers/A/limit-requests", {"change": "hold", "reason": "late"}),
]
"""Every API endpoint with the role-table action that guards it (the same action as its page)."""
NOT_IN_THE_API = {"customers.export", "approvals.export", "session.end", "collections.export", "conflicts.export",
                  "users.manage"}  # fmt: skip
"""Page-only actions: downloads, signing out, and managing users (the CLI's `users` and `/admin/users`)."""


@pytest.fixture
def tokens(store: Store) -> dict[str, str]:
    """One token per role, `<role>-sys`: role -> the bearer secret."""
    return {role: add_token(store.engine, f"{role}-sys", role, actor="test")[1] for role in roles.ROLES}


def service(store: Store) -> TestClient:
    return TestClient(create_app(Config(store_url=store.url), store=store))


def call(client: TestClient, method: str, path: str, token: str | None = None, body: Any = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:  # fmt: skip
    sent = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    response = client.request(method, PREFIX + path, headers=sent, json=body)
    assert response.headers["content-type"].startswith("application/json"), response.text
    return response.status_code, response.json()


# ---------------------------------------------------------------------------------------- reading


def test_the_customer_list_filters_sorts_and_pages_with_amounts_as_decimal_strings(store: Store, tokens: dict) -> None:
    api = service(store)
    status, data = call(api, "GET", f"/customers?as_of={AS_OF}&sort=customer_id&dir=desc", tokens["viewer"])
    assert status == 200, data
    assert [r["customer_id"] for r in data["rows"]] == ["C", "B", "A"]
    assert (data["total"], data["page"], data["pages"], data["sort"], data["dir"]) == (3, 1, 1, "customer_id", "desc")
    assert all(isinstance(r["ar"], str) for r in data["rows"]) and D(data["rows"][2]["ar"]) > 0
    status, data = call(api, "GET", f"/customers?as_of={AS_OF}&q=acme", tokens["viewer"])
    assert [r["customer_id"] for r in data["rows"]] == ["A"] and data["total"] == 1
    status, data = call(api, "GET", "/customers?dir=sideways", tokens["viewer"])
    assert status == 400 and "dir" in data["error"]


def test_the_customer_360_is_the_credit_check_at_zero_with_items_payments_and_decisions(
    store: Store, tokens: dict
) -> None:
    api = service(store)
    call(api, "POST", "/credit/check", tokens["viewer"], CHECK)  # a stored decision for the 360 to list
    status, data = call(api, "GET", f"/customers/A?as_of={AS_OF}", tokens["viewer"])
    assert status == 200, data
    assert data["customer"]["name"] == "Acme & Sons" and data["limit"] == {"amount": "5000.00", "currency": "USD"}
    assert set(data["exposure"]) == {"open_ar", "open_orders", "order", "total", "currency"}
    assert data["exposure"]["order"] == "0.00"
    assert D(data["available"]) == D(data["limit"]["amount"]) - D(data["exposure"]["total"])
    assert data["on_hold"] is False and data["check"]["decision"] in ("approve", "warn", "review", "hold")
    assert [i["item_id"] for i in data["open_items"]] == ["A1", "A2", "A3"]  # A4 paid in full (see the pages' test)
    assert [p["payment_id"] for p in data["payments"]] == ["P1"] and isinstance(data["payments"][0]["amount"], str)
    assert [(d["kind"], d["decided_by"]) for d in data["decisions"]] == [("order_check", "token:viewer-sys")]
    status, data = call(api, "GET", "/customers/ZZ", tokens["viewer"])
    assert (status, data) == (404, {"error": "The store has no customer 'ZZ'."})


def test_the_dashboard_has_the_kpis_and_the_work_waiting(store: Store, tokens: dict) -> None:
    request_increase(store)
    status, data = call(service(store), "GET", f"/dashboard?as_of={AS_OF}", tokens["viewer"])
    assert status == 200, data
    assert data["as_of"] == AS_OF and data["waiting"]["approvals"] == 1
    usd = data["kpis"]["USD"]
    assert {"dso", "countback_dso", "best_possible_dso", "add", "cei", "bad_debt_ratio", "aging"} <= set(usd)
    assert isinstance(usd["ar"], str) and len(usd["trend"]) >= 12 and usd["top_overdue"]
    assert "needs_a_person" in data["sync"]


# ---------------------------------------------------------------------------------------- acting


def test_a_collector_system_logs_a_call_audited_as_its_token(store: Store, tokens: dict) -> None:
    api = service(store)
    status, data = call(api, "POST", "/customers/A/notes", tokens["collector"], {"kind": "call", "text": "Promised"})
    assert status == 201, data
    [note] = notes_of(store, "A")
    assert (note.id, note.kind, note.text, note.owner) == (data["id"], "call", "Promised", "token:collector-sys")
    assert ("token:collector-sys", "note_added", "ok") in audit_actions(store)
    for body, problem in (({"kind": "gossip", "text": "x"}, "A note needs a kind"), ({"kind": "call"}, "text")):
        status, data = call(api, "POST", "/customers/A/notes", tokens["collector"], body)
        assert status == 400 and problem in data["error"], data
    assert call(api, "POST", "/customers/ZZ/notes", tokens["collector"], {"kind": "call", "text": "x"})[0] == 404
    assert len(notes_of(store, "A")) == 1


def test_an_approver_system_lists_and_approves_and_the_store_says_who(store: Store, tokens: dict) -> None:
    request_id = request_increase(store, requested_by="analyst1")
    api = service(store)
    status, data = call(api, "GET", "/approvals", tokens["analyst"])
    assert status == 200 and [r["id"] for r in data["rows"]] == [request_id]
    assert (data["rows"][0]["before_limit"], data["rows"][0]["wanted_limit"]) == ("5000.0000", "9000.0000")
    status, data = call(api, "POST", f"/approvals/{request_id}/approve", tokens["approver"], {"comment": "paid early"})
    assert status == 200, data
    assert (data["status"], data["decided_by"]) == ("APPROVED", "token:approver-sys") and data["outbox_id"]
    assert request_status(store, request_id) == "APPROVED"
    assert ("token:approver-sys", "approved", "APPROVED") in audit_actions(store)
    assert wb.list_rows(store.engine, "erp1")[0].wanted.credit_limit == D("9000")
    status, data = call(api, "POST", f"/approvals/{request_id}/reject", tokens["approver"])
    assert status == 409 and "not awaiting approval" in data["error"]
    assert call(api, "POST", "/approvals/999/approve", tokens["approver"])[0] == 404


def test_a_rejection_keeps_the_comment_and_changes_nothing_in_the_erp(store: Store, tokens: dict) -> None:
    request_id = request_increase(store)
    status, data = call(service(store), "POST", f"/approvals/{request_id}/reject", tokens["admin"], {"comment": "no"})
    assert (status, data["status"]) == (200, "REJECTED")
    assert request_status(store, request_id) == "REJECTED" and wb.list_rows(store.engine, "erp1") == []
    assert ("token:admin-sys", "rejected", "REJECTED") in audit_actions(store)


def test_a_token_cannot_approve_the_request_it_made(store: Store, tokens: dict) -> None:
    request_id = request_increase(store, requested_by="token:approver-sys")
    status, data = call(service(store), "POST", f"/approvals/{request_id}/approve", tokens["approver"])
    assert status == 403 and "four eyes need a second person" in data["error"]
    assert request_status(store, request_id) == "PROPOSED"
    status, _ = call(service(store), "POST", f"/approvals/{request_id}/approve", tokens["admin"])
    assert status == 200 and request_status(store, request_id) == "APPROVED"


def test_cash_application_confirm_apply_and_reject_through_the_api(store_url: str, tmp_path: Path) -> None:
    with Store.open(store_url) as cash:
        cash.import_ledger(read_ledger(CASHAPP / "ledger"))
        token = add_token(cash.engine, "bank-robot", "collector", actor="test")[1]
        statement = camt(tmp_path / "s.xml", "S1", [
            ("S-1", "2332.40", "Borealis Handel AG", None),  # suggested: RE-2026-10019 less its discount
            ("S-3", "700.00", "Cobalt Retail GmbH", None),  # suggested: RE-2026-10020 less 14.00
            ("S-4", "300.00", "ACME IND", None),  # unapplied: no payer or invoice explains it
            ("S-5", "123.45", "Someone Unknown", None),  # unapplied too
        ])  # fmt: skip
        run_cashapp_job(cash, statement)
        api = service(cash)
        status, data = call(api, "GET", "/cashapp/exceptions", token)
        assert status == 200 and [r["payment_id"] for r in data["rows"]] == ["S-1", "S-3", "S-4", "S-5"]
        assert data["rows"][0]["candidates"][0]["allocations"] == [{"invoice_number": "RE-2026-10019",
                                                                     "amount": "2332.40"}]  # fmt: skip

        status, data = call(api, "POST", "/cashapp/S-1/confirm", token)
        assert (status, data["status"], data["user"]) == (200, "confirmed", "token:bank-robot"), data
        status, data = call(api, "POST", "/cashapp/S-4/apply", token, {"allocations": [{"invoice": "RE-2026-10018",
                                                                                         "amount": "300.00"}]})  # fmt: skip
        assert (status, data["customer_id"]) == (200, "K100"), data
        status, data = call(api, "POST", "/cashapp/S-5/on-account", token, {"customer_id": "K200"})
        assert (status, data["customer_id"]) == (200, "K200"), data
        status, data = call(api, "POST", "/cashapp/S-3/reject", token)
        assert (status, data["status"]) == (200, "rejected")
        status, data = call(api, "POST", "/cashapp/S-3/confirm", token)
        assert status == 400 and "not waiting for a decision" in data["error"]
        status, data = call(api, "POST", "/cashapp/S-3/apply", token, {"allocations": [{"invoice": "X", "amount": 5}]})
        assert status == 400 and "amount" in data["error"]  # amounts are decimal strings, not JSON numbers

        assert cashapp_exceptions(cash) == []
        with cash.engine.connect() as conn:
            rows = conn.execute(sa.select(cashapp_payments.c.payment_id, cashapp_payments.c.status,
                                          cashapp_payments.c.decided_by).order_by(cashapp_payments.c.payment_id))  # fmt: skip
            decided = [tuple(r) for r in rows]
            applied = conn.execute(sa.select(cashapp_allocations.c.item_id, cashapp_allocations.c.amount)).all()
        assert decided == [("S-1", "confirmed", "token:bank-robot"), ("S-3", "rejected", "token:bank-robot"),
                           ("S-4", "confirmed", "token:bank-robot"), ("S-5", "on_account", "token:bank-robot")]  # fmt: skip
        assert {r.item_id for r in applied} == {"RE-2026-10019", "RE-2026-10018"}
        actions = audit_actions(cash)
        for action in ("cashapp_confirm", "cashapp_apply", "cashapp_on_account", "cashapp_reject"):
            assert ("token:bank-robot", action, "ok") in actions


def test_the_credit_check_in_the_api_is_the_one_of_post_credit_check_with_decimal_strings(
    store: Store, tokens: dict
) -> None:
    api = service(store)
    status, data = call(api, "POST", "/credit/check", tokens["viewer"], CHECK)
    assert status == 200, data
    assert (data["decision"], data["available"], data["utilization"]) == ("warn", "1000.00", "80.00")
    assert data["exposure"]["total"] == "4000.00" and [r["rule"] for r in data["reasons"]] == ["near_limit"]
    [kept] = list_decisions(store.engine, customer_id="A")
    assert (kept.id, kept.decided_by) == (data["decision_id"], "token:viewer-sys")
    assert call(api, "POST", "/credit/check", tokens["viewer"], {"customer_id": "A"})[1] == {
        "error": '"amount" must be a number or a decimal string'}  # fmt: skip
    assert call(api, "POST", "/credit/check", tokens["viewer"], {**CHECK, "customer_id": "ZZ"})[0] == 404


def test_an_approver_system_keeps_the_erps_value_and_retries_a_stopped_write(world: conflicts.World) -> None:
    token = add_token(world.store.engine, "ops-robot", "approver", actor="test")[1]
    api = TestClient(create_app(world.config, store=world.store))
    status, data = call(api, "GET", "/conflicts", token)
    assert status == 200 and {r["id"] for r in data["rows"]} == {world.conflict.id, world.stopped.id}
    mine = next(r for r in data["rows"] if r["id"] == world.conflict.id)
    assert mine["state"] == "conflict" and mine["values"]["erp_now"]["credit_limit"] == {"amount": "4500.0000",
                                                                                         "currency": "USD"}  # fmt: skip
    assert mine["values"]["ours"]["credit_limit"]["amount"] == "4000.0000"

    status, data = call(api, "POST", f"/conflicts/{world.conflict.id}/resolve", token, {"keep": "erp"})
    assert (status, data["kept"], data["decided_by"]) == (200, "erp", "token:ops-robot"), data
    assert world.row(world.conflict.id).resolved_by == "token:ops-robot"
    status, data = call(api, "POST", f"/conflicts/{world.conflict.id}/resolve", token, {"keep": "ours"})
    assert status == 409, data  # resolved already
    assert call(api, "POST", f"/conflicts/{world.conflict.id}/resolve", token, {"keep": "mine"})[0] == 400

    status, data = call(api, "POST", f"/conflicts/{world.stopped.id}/retry", token)
    assert (status, data["status"]) == (200, "PENDING"), data
    assert world.row(world.stopped.id).status is OutboxStatus.PENDING
    assert call(api, "POST", f"/conflicts/{world.stopped.id}/retry", token)[0] == 409  # on its way already
    assert {a for a in audit_actions(world.store) if a[0] == "token:ops-robot"}


# ---------------------------------------------------------------------------------------- POST /credit/check


@SQLITE_ONLY
def test_post_credit_check_is_open_until_the_first_token_then_needs_one(store: Store) -> None:
    api = service(store)
    assert api.post("/credit/check", json=CHECK).status_code == 200  # no token yet: as before
    _token, secret = add_token(store.engine, "erp-orders", "viewer", actor="test")
    refused = api.post("/credit/check", json=CHECK)
    assert refused.status_code == 401 and "Bearer" in refused.json()["error"]
    assert refused.headers["www-authenticate"] == "Bearer"
    answered = api.post("/credit/check", json=CHECK, headers={"Authorization": f"Bearer {secret}"})
    assert answered.status_code == 200
    data = json.loads(answered.text, parse_float=Decimal)
    assert data["decision"] == "warn" and data["available"] == D("1000.00")  # still JSON numbers here
    assert list_decisions(store.engine, customer_id="A")[0].decided_by == "token:erp-orders"
    assert api.post("/credit/check", json=CHECK, headers={"Authorization": "Bearer cb_forged"}).status_code == 401
    revoke_token(store.engine, "erp-orders", actor="test")
    after = api.post("/credit/check", json=CHECK, headers={"Authorization": f"Bearer {secret}"})
    assert after.status_code == 401 and "revoked" in after.json()["error"]
    assert api.post("/credit/check", json=CHECK).status_code == 401  # revoking the last token does not reopen it
    assert len(list_decisions(store.engine, customer_id="A")) == 2


def test_a_collector_system_records_a_promise_opens_and_resolves_a_dispute_and_closes_a_task(
    store: Store, tokens: dict
) -> None:
    api, token = service(store), tokens["collector"]
    with store.engine.begin() as conn:
        task = add_note(conn, "A", "call", "call about A1", status="open")
    status, made = call(api, "POST", "/collections/A/promises", token,
                        {"amount": "400.00", "date": "2026-04-20", "invoice": "A1", "made_on": AS_OF})  # fmt: skip
    assert status == 201, made
    bad = call(api, "POST", "/collections/A/promises", token, {"amount": "4OO", "date": "2026-04-20"})
    assert bad[0] == 400 and bad[1]["error"].startswith("Amount:")
    status, opened = call(api, "POST", "/collections/A/disputes", token, {"item": "A2", "reason": "damaged"})
    assert status == 201, opened
    assert call(api, "POST", "/collections/A/disputes", token, {"item": "A2", "reason": "because"})[0] == 400
    assert call(api, "POST", "/collections/B/disputes", token, {"item": "A2", "reason": "damaged"})[0] in (400, 404)
    status, resolved = call(api, "POST", f"/collections/A/disputes/{opened['id']}/resolve", token,
                            {"resolution": "credit_memo", "note": "agreed"})  # fmt: skip
    assert (status, resolved["status"]) == (200, "resolved")
    assert call(api, "POST", f"/collections/A/tasks/{task}/done", token)[0] == 200
    assert call(api, "POST", f"/collections/A/tasks/{task}/done", token)[0] == 404  # done already

    with store.engine.connect() as conn:
        promise = load_promises(conn)[0]
        dispute = load_disputes(conn, "A")[0]
        notes = {n.id: n for n in load_notes(conn, "A")}
    assert (promise.customer_id, promise.amount.amount, promise.item_ids, promise.made_on) == (
        "A", D("400.00"), ("A1",), date(2026, 3, 31))
    assert (dispute.item_id, dispute.status.value, dispute.resolution) == ("A2", "resolved", "credit_memo")
    assert notes[task].status == "done"
    worklist = call(api, "GET", f"/collections?as_of={AS_OF}", tokens["viewer"])[1]
    assert [r["customer_id"] for r in worklist["rows"]] and all("priority" in r for r in worklist["rows"])
    done = [a for a in audit_actions(store) if a[0] == "token:collector-sys" and a[2] == "ok"]
    assert [a[1] for a in done] == ["promise_recorded", "dispute_opened", "dispute_resolved", "task_done"]


def test_a_credit_application_through_the_api_is_the_clis_decision_and_replays(store: Store, tokens: dict) -> None:
    api = service(store)
    status, assessed = call(api, "POST", "/credit/applications", tokens["analyst"], APPLICATION)
    assert status == 201, assessed
    assert assessed["decision"] in ("approve", "approve_lower", "review", "decline") and assessed["reasons"]
    bad = call(api, "POST", "/credit/applications", tokens["analyst"],
               {**APPLICATION, "financials": {**APPLICATION["financials"], "ebit": "lots"}})  # fmt: skip
    assert bad[0] == 400 and "financials.ebit" in bad[1]["error"]
    listed = call(api, "GET", "/credit/decisions?kind=application", tokens["collector"])[1]
    assert [r["id"] for r in listed["rows"]] == [assessed["decision_id"]]
    assert listed["rows"][0]["decided_by"] == "token:analyst-sys"
    status, shown = call(api, "GET", f"/credit/decisions/{assessed['decision_id']}", tokens["collector"])
    assert status == 200 and shown["reproduced"] is True and shown["result"]["decision"] == assessed["decision"]
    assert call(api, "GET", "/credit/decisions/999", tokens["collector"])[0] == 404


# ---------------------------------------------------------------------------------------- who may


def test_the_matrix_names_every_action_of_the_role_table() -> None:
    assert {action for action, *_ in ENDPOINTS} | NOT_IN_THE_API == set(roles.ALLOWED)


@SQLITE_ONLY
@pytest.mark.parametrize("role", roles.ROLES)
@pytest.mark.parametrize(("action", "method", "path", "body"), ENDPOINTS, ids=[f"{m} {p}" for _, m, p, _ in ENDPOINTS])
def test_every_role_is_allowed_or_refused_each_api_action_by_its_token(
    store: Store, tokens: dict, role: str, action: str, method: str, path: str, body: Any
) -> None:
    request_id = request_increase(store, requested_by="approver2")
    status, data = call(service(store), method, path.format(id=request_id), tokens[role], body)
    allowed = roles.allowed(role, action)
    if not allowed:
        assert status == 403 and f"({role})" in data["error"], data
    elif action == "cashapp.decide":
        assert status == 400 and "NO-SUCH-PAYMENT" in data["error"]  # allowed: the payment is unknown
    elif action == "conflicts.resolve":
        assert status == 404 and "NO-SUCH-ROW" in data["error"], data  # allowed: the row is unknown
    elif action in ("collections.resolve", "collections.task"):
        assert status == 404 and "#999" in data["error"], data  # allowed: no such dispute or task
    elif action == "limits.request":
        assert status == 409 and "creditbridge limits" in data["error"], data  # allowed: no ERP configured
    else:
        assert status in (200, 201), data
    if action == "approvals.decide":
        expected = ("APPROVED" if "approve" in path else "REJECTED") if allowed else "PROPOSED"
        assert request_status(store, request_id) == expected
    if action in ("customers.note", "collections.call", "collections.promise", "collections.dispute"):
        assert [n.owner for n in notes_of(store, "A")] == ([f"token:{role}-sys"] if allowed else [])
    if action == "credit.apply":
        assert [d.decided_by for d in list_decisions(store.engine)] == ([f"token:{role}-sys"] if allowed else [])
    if method == "POST" and not allowed:
        assert (f"token:{role}-sys", "refused", "role") in audit_actions(store)


@SQLITE_ONLY
@pytest.mark.parametrize(("action", "method", "path", "body"), ENDPOINTS, ids=[f"{m} {p}" for _, m, p, _ in ENDPOINTS])
def test_without_credentials_every_endpoint_answers_401(
    store: Store, tokens: dict, action: str, method: str, path: str, body: Any
) -> None:
    api = service(store)
    request_id = request_increase(store)
    for headers in ({}, {"Authorization": "Bearer cb_not-a-token"}, {"Authorization": "Basic YWRtaW46YWRtaW4="}):
        response = api.request(method, PREFIX + path.format(id=request_id), headers=headers, json=body)
        assert response.status_code == 401 and "error" in response.json(), response.text
        assert response.headers["www-authenticate"] == "Bearer"
    assert request_status(store, request_id) == "PROPOSED" and notes_of(store, "A") == []


@SQLITE_ONLY
def test_a_revoked_token_is_refused_at_once(store: Store, tokens: dict) -> None:
    api = service(store)
    assert call(api, "GET", "/approvals", tokens["admin"])[0] == 200
    revoke_token(store.engine, "admin-sys", actor="test")
    assert call(api, "GET", "/approvals", tokens["admin"]) == (401, {"error": "the API token is unknown or revoked"})


@SQLITE_ONLY
def test_page_javascript_uses_the_session_cookie_with_the_csrf_header_on_posts(store: Store) -> None:
    request_id = request_increase(store)
    client = sign_in(browser(store), "approver2")
    csrf = csrf_on(client.get("/approvals").text)
    status, data = call(client, "GET", "/approvals")
    assert status == 200 and data["total"] == 1  # reading needs no CSRF header
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        status, data = call(client, "POST", f"/approvals/{request_id}/approve", headers=headers)
        assert status == 403 and "X-CSRF-Token" in data["error"]
    assert request_status(store, request_id) == "PROPOSED"
    assert ("approver2", "refused", "csrf") in audit_actions(store)
    other = csrf_on(sign_in(browser(store), "admin1").get("/dashboard").text)
    assert call(client, "POST", f"/approvals/{request_id}/approve", headers={"X-CSRF-Token": other})[0] == 403
    status, data = call(client, "POST", f"/approvals/{request_id}/approve", headers={"X-CSRF-Token": csrf})
    assert (status, data["decided_by"]) == (200, "approver2")
    assert request_status(store, request_id) == "APPROVED"


@SQLITE_ONLY
def test_a_session_cannot_approve_its_own_request_through_the_api(store: Store) -> None:
    request_id = request_increase(store, requested_by="approver1")
    client = sign_in(browser(store), "approver1")
    csrf = csrf_on(client.get("/approvals").text)
    status, data = call(client, "POST", f"/approvals/{request_id}/approve", headers={"X-CSRF-Token": csrf})
    assert status == 403 and "four eyes" in data["error"]
    assert request_status(store, request_id) == "PROPOSED"


@SQLITE_ONLY
def test_errors_under_the_api_are_json_and_pages_keep_theirs(store: Store, tokens: dict) -> None:
    api = service(store)
    assert call(api, "GET", "/no-such-thing", tokens["admin"]) == (404, {"error": "Not Found"})
    assert call(api, "GET", "/approvals/1/approve", tokens["admin"])[0] == 405
    response = api.post(f"{PREFIX}/customers/A/notes", content="not json",
                        headers={"Authorization": f"Bearer {tokens['admin']}", "Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 400 and "error" in response.json()
    assert api.get("/no-such-page").json() == {"detail": "Not Found"}  # outside the API: FastAPI's own answer


# ---------------------------------------------------------------------------------------- the schema


@SQLITE_ONLY
def test_openapi_json_documents_every_api_path_and_the_credit_check_but_no_page(store: Store) -> None:
    app = create_app(Config(store_url=store.url), store=store)
    response = TestClient(app).get("/openapi.json")  # no credentials
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "creditbridge" and schema["info"]["version"]
    assert "Bearer" in schema["info"]["description"]
    api_paths = {"/dashboard", "/customers", "/customers/{customer_id}", "/customers/{customer_id}/notes", "/approvals",
                 "/approvals/{request_id}/approve", "/approvals/{request_id}/reject", "/cashapp/exceptions",
                 "/cashapp/{payment_id}/confirm", "/cashapp/{payment_id}/apply", "/cashapp/{payment_id}/reject",
                 "/cashapp/{payment_id}/on-account", "/conflicts", "/conflicts/{row_id}/resolve",
                 "/conflicts/{row_id}/retry", "/credit/check", "/collections", "/collections/{customer_id}/calls",
                 "/collections/{customer_id}/promises", "/collections/{customer_id}/disputes",
                 "/collections/{customer_id}/disputes/{dispute_id}/resolve",
                 "/collections/{customer_id}/tasks/{note_id}/done", "/credit/applications", "/credit/decisions",
                 "/credit/decisions/{decision_id}", "/customers/{customer_id}/limit-requests"}  # fmt: skip
    assert len(api_paths) == len(ENDPOINTS) + 1  # the endpoints every test above calls, and one decision by id
    others = {"/credit/check", "/health", "/webhooks/quickbooks/{connection}"}  # and no page: /dashboard, /login...
    assert {PREFIX + p for p in api_paths} | others == set(schema["paths"])
    check = schema["paths"]["/credit/check"]["post"]
    fields = check["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert {"customer_id", "amount", "currency", "as_of", "connection"} == set(fields)
    assert "401" in check["responses"]
    note = schema["paths"][f"{PREFIX}/customers/{{customer_id}}/notes"]["post"]
    assert note["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/NoteIn"}
    assert "call" in schema["components"]["schemas"]["NoteIn"]["properties"]["kind"]["enum"]
    assert {"HTTPBearer", "APIKeyCookie"} == set(schema["components"]["securitySchemes"])
    assert {"HTTPBearer": []} in note["security"]


# ---------------------------------------------------------------------------------------- tokens


@SQLITE_ONLY
def test_tokens_are_stored_as_hashes_and_names_are_never_reused(store: Store, tokens: dict) -> None:
    with store.engine.connect() as conn:
        stored = [r.token_hash for r in conn.execute(sa.text("SELECT token_hash FROM api_tokens"))]
    assert len(stored) == 5 and not set(stored) & set(tokens.values())
    revoke_token(store.engine, "viewer-sys", actor="test")
    with pytest.raises(TokenError, match="never reused"):
        add_token(store.engine, "VIEWER-sys", "viewer", actor="test")
    with pytest.raises(TokenError, match="unknown role"):
        add_token(store.engine, "root-sys", "root", actor="test")
    add_user(store.engine, "someone", "long-enough-pw", "viewer", actor="test")  # users and tokens do not collide
    assert ("test", "token_revoked", "ok") in audit_actions(store)
