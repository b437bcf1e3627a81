"""Confirming a suggested cash application in a real headless Chromium against `creditbridge serve`.

The served store gets the cash-application ledger and statement of tests/fixtures/cashapp, matched
with an automatic threshold of 1.00 so that every match waits for a person. `alice` (analyst)
signs in, confirms the suggestion for E2E-ACME-1 (1,190.00 EUR → RE-2026-10017), then looks up
customer K200's open invoices for the unidentified BR-4 and puts it on K200's account. The store
must then hold both decisions by alice. Screenshots go to the test's tmp folder (`screenshots/`).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from creditbridge.adapters.files import read_ledger
from creditbridge.core.cashapp import MatchPolicy
from creditbridge.sync.cashapp.job import run_cashapp_job
from creditbridge.sync.store import Store
from creditbridge.sync.store.cashapp_tables import cashapp_allocations, cashapp_payments

from .test_web_browser import browser_page, served

__all__ = ["browser_page", "served"]  # fixtures, imported so that pytest finds them here

CASHAPP = Path(__file__).resolve().parents[1] / "fixtures" / "cashapp"

pytestmark = pytest.mark.slow


def test_an_analyst_confirms_a_suggested_match_and_puts_an_unknown_payer_on_account(
    browser_page: Any, served: tuple[str, str], tmp_path: Path
) -> None:
    base, store_url = served
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with Store.open(store_url) as store:
        store.import_ledger(read_ledger(CASHAPP / "ledger"), source="bank-erp")
        run_cashapp_job(store, CASHAPP / "statement.xml", policy=MatchPolicy(auto_threshold=Decimal("1")))
    page = browser_page

    page.goto(f"{base}/cashapp")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice-password-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/cashapp")
    page.screenshot(path=str(shots / "01-cashapp.png"), full_page=True)

    page.click("#payment-E2E-ACME-1 button[value=confirm]")
    page.wait_for_url(f"{base}/cashapp?done=E2E-ACME-1")
    assert "Payment E2E-ACME-1 decided" in page.inner_text("[role=status]")
    assert page.locator("#payment-E2E-ACME-1").count() == 0

    page.fill("#payment-BR-4 input[name=customer] >> nth=1", "K200")  # "show their open invoices"
    page.click("#payment-BR-4 >> text=Show their open invoices")
    page.wait_for_url(f"{base}/cashapp?payment=BR-4*")
    assert "Open invoices of K200" in page.inner_text("#payment-BR-4")
    page.screenshot(path=str(shots / "02-picker.png"), full_page=True)
    page.click("#payment-BR-4 button[value=on_account]")
    page.wait_for_url(f"{base}/cashapp?done=BR-4")

    with Store.open(store_url) as store, store.engine.connect() as conn:
        decided = {r.payment_id: (r.status, r.customer_id, r.decided_by)
                   for r in conn.execute(sa.select(cashapp_payments))}  # fmt: skip
        applied = conn.execute(sa.select(cashapp_allocations.c.item_id, cashapp_allocations.c.origin)
                               .join(cashapp_payments, cashapp_payments.c.id == cashapp_allocations.c.payment_row)
                               .where(cashapp_payments.c.payment_id == "E2E-ACME-1")).all()  # fmt: skip
    assert decided["E2E-ACME-1"] == ("confirmed", "K100", "alice")
    assert decided["BR-4"] == ("on_account", "K200", "alice")
    assert [tuple(r) for r in applied] == [("RE-2026-10017", "confirmed")]
