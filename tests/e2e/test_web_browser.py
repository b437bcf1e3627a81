"""The web workspace in a real headless Chromium against a real `creditbridge serve`.

Users are added with `creditbridge users add --password-stdin`; `alice` (analyst) has asked to
raise customer A's limit from 5,000 to 9,000 USD; `bob` (approver) signs in in the browser,
looks at the dashboard, logs a call on customer A's page and approves the increase. The store must
then hold bob's call, the approval by bob and the outbox row with the new limit. Screenshots of every page are saved in the
test's tmp folder (`screenshots/`) for a person to look at.

The browser is Debian's `chromium` (/usr/bin/chromium, or $CREDITBRIDGE_CHROMIUM) driven by
Playwright; when either is missing, or the browser cannot start here, the test is skipped with
the reason — a machine without a browser is not a failure of the workspace.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from creditbridge.adapters.files import read_ledger
from creditbridge.core.model import CreditProfile
from creditbridge.core.money import Money
from creditbridge.core.ports import ProfileValues
from creditbridge.core.writeback import WritebackPolicy
from creditbridge.sync import writeback as wb
from creditbridge.sync.collections.repository import load_notes
from creditbridge.sync.store import Store
from creditbridge.sync.store.writeback_tables import approvals, change_requests

from .test_serve import CLI, environment, free_port, wait_for

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_kpi"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]  # fmt: skip
AS_OF = "2026-03-31"

pytestmark = pytest.mark.slow


def chromium_path() -> str:
    found = os.environ.get("CREDITBRIDGE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        pytest.skip(f"no Chromium at {found}: install Debian's `chromium` package (apt-get install -y chromium)")
    return found


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
    executable = chromium_path()
    with sync_api.sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        except Exception as exc:  # any failure to start the browser is "no browser on this machine"
            pytest.skip(f"Chromium at {executable} did not start: {str(exc).splitlines()[0]}")
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A store with the ledger, users alice (analyst) and bob (approver), and `creditbridge serve` on it."""
    import subprocess

    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    (tmp_path / "creditbridge.toml").write_text(f'store_url = "{store_url}"\n', encoding="utf-8")
    with Store.open(store_url) as store:
        store.import_ledger(read_ledger(SEED), source="erp1")
    for name, role in (("alice", "analyst"), ("bob", "approver")):
        added = subprocess.run([CLI, "users", "add", name, "--role", role, "--password-stdin", "--config",
                                str(tmp_path / "creditbridge.toml")], input=f"{name}-password-1\n", text=True,
                               capture_output=True, env=environment(), timeout=60)  # fmt: skip
        assert added.returncode == 0, added.stderr
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen([CLI, "serve", "--config", str(tmp_path / "creditbridge.toml"), "--port", str(port)],
                               cwd=tmp_path, env=environment(), stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        def healthy() -> bool:
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n{(tmp_path / 'server.log').read_text()}")
            try:
                return httpx.get(f"{base}/health", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(healthy, 20, "GET /health to answer 200")
        yield base, store_url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()


def test_a_second_user_logs_a_call_and_approves_a_limit_increase_in_the_browser(
    browser_page: Any, served: tuple[str, str], tmp_path: Path
) -> None:
    base, store_url = served
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with Store.open(store_url) as store:
        requested = wb.request_change(
            store, "erp1", "A", ProfileValues(Decimal("9000"), False, "USD"),
            CreditProfile("A", Money.of("5000", "USD")), WritebackPolicy(increase_approval_threshold=Decimal("1000")),
            requested_by="alice", reason="two years of prompt payment",
        )  # fmt: skip
    assert requested.request is not None
    request_id = requested.request.id
    page = browser_page

    page.goto(f"{base}/dashboard?as_of={AS_OF}")
    assert page.url.startswith(f"{base}/login"), "the dashboard needs a signed-in user"
    page.screenshot(path=str(shots / "01-login.png"), full_page=True)
    page.fill("input[name=username]", "bob")
    page.fill("input[name=password]", "bob-password-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard?as_of={AS_OF}")
    assert page.inner_text(".waiting .tile >> nth=0").startswith("1")  # one approval waiting
    page.screenshot(path=str(shots / "02-dashboard.png"), full_page=True)

    page.goto(f"{base}/customers?as_of={AS_OF}")
    page.screenshot(path=str(shots / "03-customers.png"), full_page=True)
    page.click("table.data a[href^='/customers/A?']")
    page.wait_for_url(f"{base}/customers/A*")
    assert "Acme & Sons" in page.inner_text("h1")
    page.select_option("select[name=kind]", "call")
    page.fill("input[name=text]", "Spoke to accounts payable: A1 is paid on Friday")
    page.click("#notes button")
    page.wait_for_url(f"{base}/customers/A?as_of={AS_OF}#notes")
    assert "Spoke to accounts payable" in page.inner_text("#notes")
    page.evaluate("window.scrollTo(0, 0)")  # sticky table headers follow the scroll into a full-page shot
    page.screenshot(path=str(shots / "04-customer.png"), full_page=True)

    page.click("nav.mainnav >> text=Approvals")
    page.wait_for_url(f"{base}/approvals")
    page.screenshot(path=str(shots / "05-approvals.png"), full_page=True)
    page.fill(f"input[aria-label='Comment on request {request_id}']", "paid early for two years")
    page.click(f"button[name=approve][value='{request_id}']")
    page.wait_for_url(f"{base}/approvals?done=approved-{request_id}")
    assert f"Request {request_id} approved" in page.inner_text("[role=status]")
    page.screenshot(path=str(shots / "06-approved.png"), full_page=True)

    with Store.open(store_url) as store, store.engine.connect() as conn:
        status = conn.execute(sa.select(change_requests.c.status).where(change_requests.c.id == request_id)).scalar_one()
        decision = conn.execute(sa.select(approvals.c.approver, approvals.c.decision, approvals.c.comment)).one()
        rows = wb.list_rows(store.engine, "erp1")
        notes = load_notes(conn, "A")
    assert status == "APPROVED"
    assert tuple(decision) == ("bob", "APPROVED", "paid early for two years")
    assert [(r.customer_id, r.wanted.credit_limit) for r in rows] == [("A", Decimal("9000"))]
    assert [(n.kind, n.owner) for n in notes] == [("call", "bob")]
    assert sorted(p.name for p in shots.iterdir()) == [f"0{i}-{n}.png" for i, n in enumerate(
        ("login", "dashboard", "customers", "customer", "approvals", "approved"), start=1)]  # fmt: skip
