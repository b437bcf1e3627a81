"""The web workspace as its users meet it: sign-in, roles, CSRF, four eyes, through FastAPI's TestClient.

A store imported from tests/fixtures/ledger_kpi (customers A, B, C), one user per role, and a limit
increase of customer A (5,000 -> 9,000 USD) requested by `analyst1` and waiting for approval.
Role checks run on SQLite only (the rules do not depend on the database); the approval through
the page runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from creditbridge.adapters.files import read_ledger
from creditbridge.core.model import CreditProfile
from creditbridge.core.money import Money
from creditbridge.core.ports import ProfileValues
from creditbridge.core.writeback import WritebackPolicy
from creditbridge.sync import writeback as wb
from creditbridge.sync.cashapp.job import exceptions as cashapp_exceptions
from creditbridge.sync.cashapp.job import run_cashapp_job
from creditbridge.sync.collections.repository import Note, load_notes
from creditbridge.sync.config import Config, ConnectionConfig
from creditbridge.sync.credit_decisions import list_decisions
from creditbridge.sync.service.app import create_app
from creditbridge.sync.store import Store
from creditbridge.sync.store.cashapp_tables import cashapp_payments
from creditbridge.sync.store.writeback_tables import audit_log, change_requests
from creditbridge.sync.web import roles, users
from creditbridge.sync.web.sessions import LoginLimiter
from creditbridge.sync.web.users import UserError, add_user, list_users, set_password

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_kpi"
SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
AS_OF = "2026-03-31"


def password_of(name: str) -> str:
    return f"{name}-secret-pw"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with its real parameters costs ~0.1 s a hash: these tests sign in hundreds of times."""
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store.open(store_url) as opened:
        opened.import_ledger(read_ledger(FIXTURE), source="erp1")
        for role in roles.ROLES:
            add_user(opened.engine, f"{role}1", password_of(f"{role}1"), role, actor="test")
        add_user(opened.engine, "approver2", password_of("approver2"), "approver", actor="test")
        yield opened


def request_increase(store: Store, requested_by: str = "analyst1") -> int:
    result = wb.request_change(
        store, "erp1", "A", ProfileValues(Decimal("9000"), False, "USD"), CreditProfile("A", Money.of("5000", "USD")),
        WritebackPolicy(increase_approval_threshold=Decimal("1000")), requested_by=requested_by, reason="grew",
    )  # fmt: skip
    assert result.request is not None and result.outbox_row is None
    return result.request.id


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def browser(store: Store, limiter: LoginLimiter | None = None) -> TestClient:
    return TestClient(create_app(Config(store_url=store.url), store=store, login_limiter=limiter))


def csrf_on(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str | None = None) -> TestClient:
    token = csrf_on(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": password or password_of(username),
                                           "csrf": token}, follow_redirects=False)  # fmt: skip
    assert response.status_code == 303, response.text
    return client


def audit_actions(store: Store) -> list[tuple[str, str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log.c.actor, audit_log.c.action, audit_log.c.outcome).order_by(audit_log.c.seq))
        return [tuple(r) for r in rows]


def request_status(store: Store, request_id: int) -> str:
    with store.engine.connect() as conn:
        return str(conn.execute(sa.select(change_requests.c.status).where(change_requests.c.id == request_id)).scalar_one())


def notes_of(store: Store, customer_id: str) -> list[Note]:
    with store.engine.connect() as conn:
        return load_notes(conn, customer_id)


# ---------------------------------------------------------------------------------------- every role × every action

PAGES = {
    "dashboard.view": f"/dashboard?as_of={AS_OF}",
    "customers.view": f"/customers/A?as_of={AS_OF}",
    "customers.export": f"/customers.csv?as_of={AS_OF}",
    "approvals.view": "/approvals",
    "approvals.export": "/approvals.csv",
    "cashapp.view": "/cashapp",
    "conflicts.view": "/conflicts",
    "conflicts.export": "/conflicts.xlsx",
    "users.manage": "/admin/users",
    "collections.view": f"/collections?as_of={AS_OF}",
    "collections.export": f"/collections.xlsx?as_of={AS_OF}",
    "credit.decisions.view": "/credit/decisions",
}
POSTS = {"approvals.decide": "/approvals/{id}/reject", "customers.note": "/customers/A/notes",
         "cashapp.decide": "/cashapp/NO-SUCH-PAYMENT", "session.end": "/logout",
         "conflicts.resolve": "/conflicts/NO-SUCH-ROW/retry",
         "collections.call": "/collections/A/call", "collections.promise": "/collections/A/promise",
         "collections.dispute": "/collections/A/dispute", "credit.apply": "/credit/apply",
         "collections.resolve": "/collections/A/disputes/999/resolve",
         "collections.task": "/collections/A/tasks/999/done", "limits.request": "/customers/A/limit-request"}  # fmt: skip
COLLECTIONS_FORM = {"amount": "100.00", "date": "2026-04-15", "item": "A1", "reason": "pricing", "resolution": "paid"}
"""What the collections posts need besides `text` (the generic form below has the rest)."""
APPLICATION_FORM = {
    "applicant.name": "Widget Works Ltd", "applicant.type": "private_manufacturer", "applicant.years_in_business": "12",
    "requested_limit.amount": "50000.00", "requested_limit.currency": "USD", "financials.period_end": "2025-12-31",
    "financials.current_assets": "1200000", "financials.current_liabilities": "700000",
    "financials.total_assets": "3000000", "financials.total_liabilities": "1500000",
    "financials.retained_earnings": "900000", "financials.ebit": "450000", "financials.sales": "4800000",
    "financials.book_equity": "1500000",
}
"""A good credit application as the form posts it (the matrix posts it to every action; others ignore it)."""
API_ONLY = {"credit.check"}
"""Actions with no page: their role × action matrix is in test_web_api.py (through API tokens)."""


def test_the_matrix_names_every_action_of_the_role_table() -> None:
    assert set(PAGES) | set(POSTS) | API_ONLY == set(roles.ALLOWED)


@SQLITE_ONLY
@pytest.mark.parametrize("role", roles.ROLES)
@pytest.mark.parametrize("action", sorted(set(roles.ALLOWED) - API_ONLY))
def test_every_role_is_allowed_or_refused_each_action_by_the_server(store: Store, role: str, action: str) -> None:
    request_id = request_increase(store, requested_by="approver2")
    client = sign_in(browser(store), f"{role}1")
    if action in PAGES:
        response = client.get(PAGES[action], follow_redirects=False)
    else:
        csrf = csrf_on(client.get("/dashboard").text)
        form = {"csrf": csrf, "kind": "call", "text": f"called by {role}1", "action": "reject", **COLLECTIONS_FORM,
                **APPLICATION_FORM}
        response = client.post(POSTS[action].format(id=request_id), data=form, follow_redirects=False)
    if roles.allowed(role, action) and action == "cashapp.decide":
        assert response.status_code == 400 and "NO-SUCH-PAYMENT" in response.text  # allowed: the payment is unknown
    elif roles.allowed(role, action) and action == "conflicts.resolve":
        assert response.status_code == 404 and "NO-SUCH-ROW" in response.text  # allowed: the row is unknown
    elif roles.allowed(role, action) and action == "limits.request":
        assert response.status_code == 409 and "creditbridge limits" in response.text  # allowed: no ERP configured
    elif roles.allowed(role, action) and action in ("collections.resolve", "collections.task"):
        assert response.status_code == 404 and "#999" in response.text  # allowed: no such dispute or task
    elif roles.allowed(role, action):
        assert response.status_code in (200, 303), response.text
    else:
        assert response.status_code == 403, response.text
    if action == "approvals.decide":
        assert request_status(store, request_id) == ("REJECTED" if roles.allowed(role, action) else "PROPOSED")
    if action == "credit.apply":
        assert [d.decided_by for d in list_decisions(store.engine)] == ([f"{role}1"] if roles.allowed(role, action) else [])
    if action in ("customers.note", "collections.call"):
        assert [n.text for n in notes_of(store, "A")] == ([f"called by {role}1"] if roles.allowed(role, action) else [])
    if action in ("collections.promise", "collections.dispute"):  # each adds its line to the contact log
        assert len(notes_of(store, "A")) == (1 if roles.allowed(role, action) else 0)


@SQLITE_ONLY
def test_a_page_without_a_session_sends_the_person_to_sign_in(store: Store) -> None:
    response = browser(store).get("/customers/A", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fcustomers%2FA"


@SQLITE_ONLY
def test_a_form_post_without_a_session_is_refused(store: Store) -> None:
    request_id = request_increase(store)
    response = browser(store).post(f"/approvals/{request_id}/approve", data={"csrf": "x"}, follow_redirects=False)
    assert response.status_code == 401
    assert request_status(store, request_id) == "PROPOSED"


# ---------------------------------------------------------------------------------------- CSRF and four eyes


@SQLITE_ONLY
@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_an_approval_without_the_sessions_csrf_token_is_refused(store: Store, token: str | None) -> None:
    request_id = request_increase(store)
    client = sign_in(browser(store), "approver1")
    data = {} if token is None else {"csrf": token}
    response = client.post(f"/approvals/{request_id}/approve", data=data, follow_redirects=False)
    assert response.status_code == 403
    assert request_status(store, request_id) == "PROPOSED"
    assert ("approver1", "refused", "csrf") in audit_actions(store)


@SQLITE_ONLY
def test_the_csrf_token_of_another_session_does_not_count(store: Store) -> None:
    request_id = request_increase(store)
    other = csrf_on(sign_in(browser(store), "admin1").get("/dashboard").text)
    client = sign_in(browser(store), "approver1")
    response = client.post(f"/approvals/{request_id}/approve", data={"csrf": other}, follow_redirects=False)
    assert response.status_code == 403
    assert request_status(store, request_id) == "PROPOSED"


@SQLITE_ONLY
def test_a_sign_in_form_without_its_token_is_refused(store: Store) -> None:
    client = browser(store)
    client.get("/login")
    response = client.post("/login", data={"username": "admin1", "password": password_of("admin1")},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 403
    assert "cb_session" not in response.cookies


def test_an_approver_cannot_approve_their_own_request(store: Store) -> None:
    request_id = request_increase(store, requested_by="approver1")
    client = sign_in(browser(store), "approver1")
    csrf = csrf_on(client.get("/approvals").text)
    response = client.post(f"/approvals/{request_id}/approve", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 403
    assert "four eyes need a second person" in response.text
    assert request_status(store, request_id) == "PROPOSED"


def test_a_second_approver_approves_and_the_store_and_audit_say_who(store: Store) -> None:
    request_id = request_increase(store, requested_by="analyst1")
    client = sign_in(browser(store), "approver2")
    csrf = csrf_on(client.get("/approvals").text)
    response = client.post(f"/approvals/{request_id}/approve", data={"csrf": csrf, "comment": "ok, paid early"},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    assert request_status(store, request_id) == "APPROVED"
    assert ("approver2", "approved", "APPROVED") in audit_actions(store)
    assert wb.list_rows(store.engine, "erp1")[0].wanted.credit_limit == Decimal("9000")
    assert wb.audit.verify_chain(store.engine).ok
    assert f"Request {request_id} approved. It is queued for the ERP" in client.get(response.headers["location"]).text
    assert client.get("/approvals?done=nonsense").status_code == 200


# ---------------------------------------------------------------------------------------- sign-in


@SQLITE_ONLY
def test_the_session_cookie_is_httponly_and_samesite_and_secure_only_on_https(store: Store) -> None:
    for base, secure in (("http://testserver", False), ("https://testserver", True)):
        client = TestClient(create_app(Config(store_url=store.url), store=store), base_url=base)
        token = csrf_on(client.get("/login").text)
        response = client.post("/login", data={"username": "viewer1", "password": password_of("viewer1"),
                                               "csrf": token}, follow_redirects=False)  # fmt: skip
        cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("cb_session="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert ("Secure" in cookie) is secure


@SQLITE_ONLY
def test_sign_in_is_refused_after_five_failures_even_with_the_right_password(store: Store) -> None:
    clock = Clock()
    client = browser(store, LoginLimiter(max_failures=5, window=timedelta(minutes=15), clock=clock))
    token = csrf_on(client.get("/login").text)

    def attempt(password: str) -> int:
        return client.post("/login", data={"username": "admin1", "password": password, "csrf": token},
                           follow_redirects=False).status_code  # fmt: skip

    assert [attempt("wrong") for _ in range(5)] == [401] * 5
    assert attempt(password_of("admin1")) == 429
    clock.now += timedelta(minutes=16)
    assert attempt(password_of("admin1")) == 303
    actions = [a for a in audit_actions(store) if a[0] == "admin1"]
    assert actions.count(("admin1", "login_failed", "refused")) == 5
    assert ("admin1", "login_blocked", "refused") in actions and actions[-1] == ("admin1", "login", "ok")


@SQLITE_ONLY
def test_sign_out_ends_the_session_on_the_server(store: Store) -> None:
    client = sign_in(browser(store), "viewer1")
    stolen = client.cookies.get("cb_session")
    csrf = csrf_on(client.get("/dashboard").text)
    assert client.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    replay = browser(store)
    replay.cookies.set("cb_session", stolen or "")
    assert replay.get("/dashboard", follow_redirects=False).status_code == 303


@SQLITE_ONLY
def test_a_password_change_ends_the_users_sessions_and_the_old_password(store: Store) -> None:
    client = sign_in(browser(store), "collector1")
    set_password(store.engine, "collector1", "a-new-password-1", actor="test")
    assert client.get("/dashboard", follow_redirects=False).status_code == 303
    token = csrf_on(client.get("/login").text)
    old = client.post("/login", data={"username": "collector1", "password": password_of("collector1"), "csrf": token},
                      follow_redirects=False)  # fmt: skip
    assert old.status_code == 401
    sign_in(browser(store), "collector1", "a-new-password-1")


@SQLITE_ONLY
def test_users_are_stored_with_a_hash_never_the_password(store: Store) -> None:
    with store.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT password_hash FROM web_users WHERE username = 'admin1'")).scalar_one()
    assert stored.startswith("$argon2id$") and password_of("admin1") not in stored
    assert [u.username for u in list_users(store.engine)][:2] == ["admin1", "analyst1"]
    with pytest.raises(UserError, match="already a user"):
        add_user(store.engine, "Admin1", "long-enough-pw", "viewer", actor="test")
    with pytest.raises(UserError, match="unknown role"):
        add_user(store.engine, "eve", "long-enough-pw", "root", actor="test")


# ---------------------------------------------------------------------------------------- pages and lists


@SQLITE_ONLY
def test_the_customer_page_shows_the_credit_checks_exposure_and_the_open_items(store: Store) -> None:
    page = sign_in(browser(store), "viewer1").get(f"/customers/A?as_of={AS_OF}").text
    # A: limit 5,000 USD; A1, A2 and the credit memo A3 open, A4 paid in full (tests/fixtures/ledger_kpi).
    assert "5,000.00" in page and "Acme &amp; Sons" in page
    for item in ("A1", "A2", "A3"):
        assert f"<td>{item}</td>" in page
    assert "<td>A4</td>" not in page  # paid in full
    assert "<td>B1</td>" not in page and "<td>P3</td>" not in page  # another customer's invoice and payment
    assert "<td>P1</td>" in page


@SQLITE_ONLY
def test_the_customer_list_sorts_pages_and_exports_on_the_server(store: Store) -> None:
    client = sign_in(browser(store), "collector1")
    csv_text = client.get(f"/customers.csv?as_of={AS_OF}&sort=customer_id&dir=desc").text
    assert csv_text.splitlines()[0] == "customer_id,name,currency,ar,past_due,over_90,dso,cei"
    assert [line.split(",")[0] for line in csv_text.splitlines()[1:]] == ["C", "B", "A"]
    page = client.get(f"/customers?as_of={AS_OF}&sort=past_due&dir=desc").text
    assert page.index(">A</a>") < page.index(">B</a>")
    assert "as_of=2026-03-31" in page.split("<thead>")[1].split("</thead>")[0]  # sort links keep the date


def test_a_collector_logs_a_call_on_the_customer_page(store: Store) -> None:
    client = sign_in(browser(store), "collector1")
    page = client.get(f"/customers/A?as_of={AS_OF}").text
    response = client.post("/customers/A/notes", data={"csrf": csrf_on(page), "kind": "call",
                                                       "text": "Promised to pay A1 on Friday"}, follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    [note] = notes_of(store, "A")
    assert (note.kind, note.text, note.owner, note.status) == ("call", "Promised to pay A1 on Friday", "collector1", "done")
    assert ("collector1", "note_added", "ok") in audit_actions(store)
    assert "Promised to pay A1 on Friday" in client.get("/customers/A").text


@SQLITE_ONLY
def test_a_note_for_an_unknown_customer_or_of_an_unknown_kind_is_refused(store: Store) -> None:
    client = sign_in(browser(store), "collector1")
    csrf = csrf_on(client.get("/dashboard").text)
    unknown = client.post("/customers/ZZ/notes", data={"csrf": csrf, "kind": "call", "text": "x"})
    wrong_kind = client.post("/customers/A/notes", data={"csrf": csrf, "kind": "gossip", "text": "x"})
    assert (unknown.status_code, wrong_kind.status_code) == (404, 400)
    assert notes_of(store, "A") == [] and notes_of(store, "ZZ") == []


@SQLITE_ONLY
def test_a_store_that_cannot_answer_shows_a_503_page_not_a_traceback(store: Store) -> None:
    store.import_ledger(read_ledger(FIXTURE), source="erp2")  # customer A now exists in two sources
    response = sign_in(browser(store), "viewer1").get(f"/customers/A?as_of={AS_OF}")
    assert response.status_code == 503
    assert "exists in more than one source" in response.text and "Traceback" not in response.text


@SQLITE_ONLY
def test_the_dashboard_shows_what_waits_and_the_sync_status_of_each_connection(store: Store) -> None:
    request_increase(store)
    config = Config(store_url=store.url, connections=[ConnectionConfig(name="erp1", erp="files", options={"folder": str(FIXTURE)})])
    client = sign_in(TestClient(create_app(config, store=store)), "viewer1")
    page = client.get(f"/dashboard?as_of={AS_OF}").text
    assert "<b>1</b><span>approvals waiting</span>" in page
    assert "erp1: 1 change(s) waiting for approval" in page
    sync_card = page.split("Sync status")[1].split("</section>")[0]
    assert "<td>erp1</td>" in sync_card and "never" in sync_card and "no runs yet" in sync_card
    assert "Countback DSO" in page and "Bad-debt ratio" in page.replace("BAD-DEBT", "Bad-debt")


CASHAPP = Path(__file__).resolve().parents[1] / "fixtures" / "cashapp"


def test_a_collector_applies_an_unidentified_payment_and_the_matcher_learns_the_payer(store_url: str) -> None:
    with Store.open(store_url) as cash_store:
        cash_store.import_ledger(read_ledger(CASHAPP / "ledger"))
        add_user(cash_store.engine, "collector1", password_of("collector1"), "collector", actor="test")
        run_cashapp_job(cash_store, CASHAPP / "statement.xml")  # BR-4, 512.00 from "Zeta Unknown Ltd", unapplied
        client = sign_in(browser(cash_store), "collector1")
        page = client.get("/cashapp").text
        assert "BR-4" in page and "Zeta Unknown Ltd" in page and "payer not identified" in page
        bad = client.post("/cashapp/BR-4", data={"csrf": csrf_on(page), "action": "apply", "invoices": "RE-2026-10018"})
        assert bad.status_code == 400 and "is not INVOICE:AMOUNT" in bad.text
        done = client.post("/cashapp/BR-4", data={"csrf": csrf_on(page), "action": "apply",
                                                  "invoices": "RE-2026-10018:512.00"}, follow_redirects=False)  # fmt: skip
        assert done.status_code == 303
        assert cashapp_exceptions(cash_store) == []
        with cash_store.engine.connect() as conn:
            row = conn.execute(sa.select(cashapp_payments.c.status, cashapp_payments.c.decided_by)
                               .where(cashapp_payments.c.payment_id == "BR-4")).one()  # fmt: skip
        assert tuple(row) == ("confirmed", "collector1")
        assert ("collector1", "cashapp_apply", "ok") in audit_actions(cash_store)
        assert "No payment is waiting for a person" in client.get("/cashapp").text
