"""The collections worklist in a real headless Chromium against a real `creditbridge serve`.

The store of `test_web_browser.served` (ledger_kpi, source erp1) gets tests/fixtures/ledger_collections
as a second source, so the worklist as of 2026-10-01 has several customers. `carol` (collector) signs
in, opens the worklist, logs a call on Epsilon SA (C5) with one click and records its promise to pay
with one more; the store must then hold her call, the promise and both audit events. Screenshots of
the worklist (before and after) and of C5's customer page are saved in the test's tmp folder
(`screenshots/`) for a person to look at.
"""

from __future__ import annotations

import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from creditbridge.adapters.files import read_ledger
from creditbridge.mappings.credit_policy import policy_from_environment
from creditbridge.sync.collections.repository import load_notes, load_promises
from creditbridge.sync.credit_review_job import review_source
from creditbridge.sync.store import Store
from creditbridge.sync.store.writeback_tables import audit_log

from .test_serve import CLI, environment
from .test_web_browser import browser_page, served

__all__ = ["browser_page", "served"]  # the fixtures: a Chromium page, and `creditbridge serve` on a store

COLLECTIONS = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_collections"
AS_OF = "2026-10-01"

pytestmark = pytest.mark.slow


def test_a_collector_logs_a_call_and_records_a_promise_from_the_worklist(
    browser_page: Any, served: tuple[str, str], tmp_path: Path
) -> None:
    base, store_url = served
    shots = tmp_path / "screenshots"
    shots.mkdir()
    added = subprocess.run([CLI, "users", "add", "carol", "--role", "collector", "--password-stdin", "--config",
                            str(tmp_path / "creditbridge.toml")], input="carol-password-1\n", text=True,
                           capture_output=True, env=environment(), timeout=60)  # fmt: skip
    assert added.returncode == 0, added.stderr
    with Store.open(store_url) as store:
        store.import_ledger(read_ledger(COLLECTIONS), source="erp2")
        review_source(store, "erp2", policy_from_environment(None), date(2026, 10, 1), "alice", customers=["C5"])
    page = browser_page

    page.goto(f"{base}/collections?as_of={AS_OF}")
    assert page.url.startswith(f"{base}/login")
    page.fill("input[name=username]", "carol")
    page.fill("input[name=password]", "carol-password-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/collections?as_of={AS_OF}")
    order = page.eval_on_selector_all("tr.entry", "rows => rows.map(r => r.id)")
    assert order[:2] == ["c-A", "c-C5"]  # Acme: 1,100.00 up to 274 days late; Epsilon: 900.00 at 92 days, risk D
    page.screenshot(path=str(shots / "01-worklist.png"), full_page=True)

    page.fill("input[aria-label='Call note for C5']", "Spoke to Mr Alvarez: pays 900.00 on the 9th")
    page.click("button[name=log_call][value=C5]")
    page.wait_for_url("**/collections?*done=call*")
    assert page.inner_text("[role=status]") == "Call logged for C5."

    page.fill("input[aria-label='Promised amount for C5']", "900.00")
    page.fill("input[aria-label='Promised date for C5']", "2026-10-09")
    page.click("button[name=record_promise][value=C5]")
    page.wait_for_url("**/collections?*done=promise*")
    assert page.inner_text("[role=status]") == "Promise recorded for C5."
    assert "wait (disputed or promised)" in page.inner_text("tr#c-C5")
    page.screenshot(path=str(shots / "02-worklist-after.png"), full_page=True)

    page.click("tr#c-C5 >> text=Epsilon SA")
    page.wait_for_url(f"{base}/customers/C5?as_of={AS_OF}")
    assert page.inner_text("table.promises .badge") == "OPEN"  # uppercase by CSS
    assert "Spoke to Mr Alvarez" in page.inner_text("#notes")
    assert "payment_index" in page.inner_text("#score")  # the review's score components
    page.screenshot(path=str(shots / "03-customer.png"), full_page=True)

    with Store.open(store_url) as store, store.engine.connect() as conn:
        notes = load_notes(conn, "C5")
        promises = load_promises(conn)
        audited = conn.execute(sa.select(audit_log.c.actor, audit_log.c.action).where(
            audit_log.c.action.in_(("call_logged", "promise_recorded")))).all()  # fmt: skip
    assert [(n.kind, n.owner, n.text) for n in notes] == [
        ("call", "carol", "Spoke to Mr Alvarez: pays 900.00 on the 9th"),
        ("note", "carol", "promise #1: 900.00 USD by 2026-10-09"),
    ]
    assert [(p.customer_id, p.amount.amount, p.promise_date, p.made_on) for p in promises] == [
        ("C5", Decimal("900.00"), date(2026, 10, 9), date(2026, 10, 1))]  # fmt: skip
    assert sorted(tuple(a) for a in audited) == [("carol", "call_logged"), ("carol", "promise_recorded")]
    assert sorted(p.name for p in shots.iterdir()) == ["01-worklist.png", "02-worklist-after.png", "03-customer.png"]
