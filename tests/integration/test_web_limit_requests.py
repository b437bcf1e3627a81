"""Requesting limit and hold changes from the customer page and the JSON API, against a simulated ERP.

The world of test_web_conflicts (customers A, B, C of ledger_kpi in the store and in an in-memory
ERP, connection `erp1`): an analyst asks for C's limit to go from 1,000 to 9,000 USD (C stays on
hold) — an increase, so it waits for a second person (the default threshold is 0) — and a system
lowers C's limit to 500 USD, which goes to the outbox at once. Both are what `creditbridge limits
set` records.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from creditbridge.sync import writeback as wb
from creditbridge.sync.store.writeback_tables import change_requests
from creditbridge.sync.web.api_tokens import add_token
from creditbridge.sync.writeback import RequestStatus

from .test_web_conflicts import World, cheap_hashes, world
from .test_web_workspace import audit_actions, browser, csrf_on, sign_in

__all__ = ["cheap_hashes", "world"]  # fixtures, imported so that pytest finds them here


def requests_of(world: World, customer_id: str) -> list[tuple[str, Decimal | None, bool, str, str]]:
    with world.store.engine.connect() as conn:
        rows = conn.execute(sa.select(change_requests).where(change_requests.c.customer_id == customer_id)
                            .order_by(change_requests.c.id)).mappings().all()  # fmt: skip
    found = {r.id: r for r in wb.list_requests(world.store, statuses=())}
    return [(found[r["id"]].status.value, found[r["id"]].wanted.credit_limit, found[r["id"]].wanted.on_hold,
             found[r["id"]].requested_by, found[r["id"]].reason) for r in rows]  # fmt: skip


def test_an_analyst_requests_a_limit_increase_on_the_customer_page_and_it_waits_for_approval(world: World) -> None:
    client = world.client("analyst1")
    page = client.get("/customers/C")
    assert 'action="/customers/C/limit-request"' in page.text
    token = csrf_on(page.text)
    bad = client.post("/customers/C/limit-request", data={"csrf": token, "change": "limit", "limit": "lots",
                                                          "reason": "grew"})  # fmt: skip
    assert bad.status_code == 400 and "is not an amount" in bad.text
    why = client.post("/customers/C/limit-request", data={"csrf": token, "change": "limit", "limit": "9000"})
    assert why.status_code == 400 and "Reason" in why.text
    before = len(wb.list_requests(world.store, statuses=()))
    done = client.post("/customers/C/limit-request", data={"csrf": token, "change": "limit", "limit": "9000.00",
                                                           "reason": "two years of prompt payment"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/customers/C?requested=approval#changes"
    assert "waits for a second person" in client.get(done.headers["location"]).text
    assert len(wb.list_requests(world.store, statuses=())) == before + 1
    assert requests_of(world, "C")[-1] == ("PROPOSED", Decimal("9000.00"), True, "analyst1",
                                           "two years of prompt payment")  # fmt: skip
    waiting = [r for r in wb.list_requests(world.store) if r.customer_id == "C"]
    assert waiting and waiting[0].status is RequestStatus.PROPOSED
    approver = world.client("approver1")
    approved = approver.post(f"/approvals/{waiting[0].id}/approve", data={"csrf": csrf_on(approver.get("/approvals").text)},
                             follow_redirects=False)  # fmt: skip
    assert approved.status_code == 303
    assert requests_of(world, "C")[-1][0] == "APPROVED"


def test_a_system_lowers_a_limit_through_the_api_and_it_is_queued_for_the_erp(world: World) -> None:
    secret = add_token(world.store.engine, "risk-engine", "analyst", actor="test")[1]
    api = world.client("viewer1")
    lower = api.post("/api/v1/customers/C/limit-requests",
                     json={"change": "limit", "limit": "500.00", "reason": "cheque bounced"},
                     headers={"Authorization": f"Bearer {secret}"})  # fmt: skip
    assert lower.status_code == 201, lower.text
    assert lower.json()["outbox_id"] is not None and lower.json()["request_id"] is not None
    rows = [r for r in wb.list_rows(world.store.engine, "erp1") if r.customer_id == "C"]
    assert [(r.wanted.credit_limit, r.wanted.on_hold) for r in rows] == [(Decimal("500.00"), True)]
    assert requests_of(world, "C")[-1][3] == "token:risk-engine"
    unknown = api.post("/api/v1/customers/ZZZ/limit-requests", json={"change": "hold", "reason": "x"},
                       headers={"Authorization": f"Bearer {secret}"})  # fmt: skip
    assert unknown.status_code == 404 and "error" in unknown.json()
    viewer = add_token(world.store.engine, "dash", "viewer", actor="test")[1]
    refused = api.post("/api/v1/customers/C/limit-requests", json={"change": "release", "reason": "paid"},
                       headers={"Authorization": f"Bearer {viewer}"})  # fmt: skip
    assert refused.status_code == 403


def test_a_collector_cannot_request_and_a_server_without_one_connection_says_why(world: World) -> None:
    collector = world.client("collector1")
    page = collector.get("/customers/C").text
    assert 'action="/customers/C/limit-request"' not in page
    refused = collector.post("/customers/C/limit-request", data={"csrf": csrf_on(page), "change": "hold",
                                                                  "reason": "late"})  # fmt: skip
    assert refused.status_code == 403
    unconfigured = sign_in(browser(world.store), "analyst1")  # a server started without [[connections]]
    answer = unconfigured.post("/customers/C/limit-request", data={"csrf": csrf_on(unconfigured.get("/customers/C").text),
                                                                    "change": "hold", "reason": "late"})  # fmt: skip
    assert answer.status_code == 409 and "creditbridge limits" in answer.text
    assert ("analyst1", "refused", "role") not in audit_actions(world.store)
