"""A credit analyst applies for credit in a real headless Chromium against a real `creditbridge serve`.

`alice` (analyst) opens the credit-application form, first sends it with two bad figures (the page
names both and nothing is stored), corrects them, sees the recommendation (Altman Z, score, risk
class, limit methods, recommended limit, decision and reasons), opens the stored decision (replayed:
reproduced) and finds it in the filtered decision list; then she looks at the dashboard's KPI
trends. The store must hold one decision by alice. Screenshots go to the test's tmp folder
(`screenshots/`). The browser and server fixtures are test_web_browser's (skipped without Chromium).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from creditbridge.sync.credit_decisions import get_decision, list_decisions, replayed
from creditbridge.sync.store import Store

from . import test_web_browser
from .test_web_browser import AS_OF

browser_page = test_web_browser.browser_page
served = test_web_browser.served
"""Fixtures of test_web_browser, shared (an imported fixture name would be a redefinition to the linter)."""

pytestmark = pytest.mark.slow

FIGURES = {
    "applicant.name": "Widget Works Ltd", "applicant.years_in_business": "12", "requested_limit.amount": "50000.00",
    "requested_limit.currency": "USD", "financials.period_end": "2025-12-31",
    "financials.current_assets": "1200000", "financials.current_liabilities": "700000",
    "financials.total_assets": "3000000", "financials.total_liabilities": "1500000",
    "financials.retained_earnings": "900000", "financials.ebit": "450000", "financials.sales": "4800000",
    "financials.book_equity": "1500000", "financials.intangible_assets": "200000", "bureau_score": "78",
    "trade_references[0].name": "Steel Co", "trade_references[0].high_credit": "40000",
    "trade_references[0].terms_days": "30", "trade_references[0].days_beyond_terms": "3",
}  # fmt: skip


def test_an_analyst_applies_for_credit_and_sees_the_stored_recommendation(
    browser_page: Any, served: tuple[str, str], tmp_path: Path
) -> None:
    base, store_url = served
    shots = tmp_path / "screenshots"
    shots.mkdir()
    page = browser_page

    page.goto(f"{base}/credit/apply")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice-password-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/credit/apply")
    page.screenshot(path=str(shots / "01-application-form.png"), full_page=True)

    for name, value in FIGURES.items():
        page.fill(f"[name='{name}']", value)
    page.select_option("select[name='applicant.type']", "private_manufacturer")
    page.fill("[name='financials.ebit']", "n/a")
    page.fill("[name='financials.current_liabilities']", "-10")
    page.click("button:has-text('Score and decide')")
    alert = page.inner_text("[role=alert]")
    assert "financials.ebit" in alert and "financials.current_liabilities" in alert and "nothing was stored" in alert
    page.screenshot(path=str(shots / "02-application-refused.png"), full_page=True)
    with Store.open(store_url) as store:
        assert list_decisions(store.engine) == []

    page.fill("[name='financials.ebit']", "450000")
    page.fill("[name='financials.current_liabilities']", "700000")
    page.click("button:has-text('Score and decide')")
    card = page.inner_text(".assessment").lower()  # headings are upper case by CSS
    assert "recommendation for widget works ltd" in card and "approve" in card
    for shown in ("Altman Z'", "grey zone", "Risk class", "tangible net worth", "working capital", "months of sales",
                  "trade reference median", "Recommended limit"):  # fmt: skip
        assert shown.lower() in card, shown
    page.screenshot(path=str(shots / "03-recommendation.png"), full_page=True)

    page.click("[role=status] a")
    page.wait_for_url(f"{base}/credit/decisions/*")
    assert "reproduced on replay" in page.inner_text("h1").lower()
    page.screenshot(path=str(shots / "04-stored-decision.png"), full_page=True)

    page.click("nav.mainnav >> text=Credit")
    page.fill("input[name=q]", "widget")
    page.click(".list-tools button")
    page.wait_for_url(f"{base}/credit/decisions?*q=widget*")
    assert "1 row" in page.inner_text(".pager")
    page.screenshot(path=str(shots / "05-decisions.png"), full_page=True)

    page.goto(f"{base}/dashboard?as_of={AS_OF}")
    assert page.locator(".kpi svg.spark").count() == 6
    page.screenshot(path=str(shots / "06-dashboard.png"), full_page=True)
    page.goto(f"{base}/customers?as_of={AS_OF}&q=acme")
    page.screenshot(path=str(shots / "07-customers-filtered.png"), full_page=True)

    with Store.open(store_url) as store:
        [decision] = list_decisions(store.engine)
        found = get_decision(store.engine, decision.id)
    assert found is not None and replayed(*found) is True
    assert (decision.kind, decision.decided_by, decision.applicant, decision.decision) == (
        "application", "alice", "Widget Works Ltd", "approve")  # fmt: skip
    assert decision.inputs["financials"]["ebit"] == "450000"
