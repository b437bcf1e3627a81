"""The credit-application form and the stored decisions in the web workspace, and the lists' filter and exports.

The form must decide exactly as `creditbridge credit apply FILE` does on the same input (both are
run here on one store and their stored results compared), keep the decision with the signed-in
user, replay it on its page as `credit decisions show` does, and refuse bad input with every bad
field named and nothing stored.
"""

from __future__ import annotations

import html
import json
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from creditbridge.sync.cli import app as cli_app
from creditbridge.sync.credit_decisions import list_decisions
from creditbridge.sync.store import Store
from creditbridge.sync.store.credit_tables import credit_decisions
from creditbridge.sync.web.application_form import application_data

from . import test_web_workspace
from .test_web_workspace import (
    APPLICATION_FORM,
    AS_OF,
    SQLITE_ONLY,
    audit_actions,
    browser,
    csrf_on,
    sign_in,
)

cheap_hashes = test_web_workspace.cheap_hashes
store = test_web_workspace.store
"""Fixtures of test_web_workspace, shared (an imported fixture name would be a redefinition to the linter)."""

WITH_REFERENCES = {
    **APPLICATION_FORM,
    "applicant.customer_id": "A",
    "financials.intangible_assets": "200000",
    "bureau_score": "78",
    "trade_references[0].name": "Steel Co", "trade_references[0].high_credit": "40000",
    "trade_references[0].terms_days": "30", "trade_references[0].days_beyond_terms": "3",
    "trade_references[1].name": "Box Ltd", "trade_references[1].high_credit": "60000",
    "trade_references[1].terms_days": "45", "trade_references[1].days_beyond_terms": "10",
}  # fmt: skip


def apply_in_page(store: Store, form: dict[str, str], username: str = "analyst1") -> tuple[int, str]:
    client = sign_in(browser(store), username)
    page = client.get("/credit/apply")
    assert page.status_code == 200, page.text
    response = client.post("/credit/apply", data={**form, "csrf": csrf_on(page.text)})
    return response.status_code, response.text


def apply_with_the_cli(store: Store, data: dict[str, object], tmp_path: Path) -> dict[str, object]:
    (tmp_path / "application.json").write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["credit", "apply", str(tmp_path / "application.json"), "--format", "json",
                                          "--store", store.url, "--user", "cli-user"])  # fmt: skip
    assert result.exit_code == 0, result.output
    parsed: dict[str, object] = json.loads(result.stdout)
    return parsed


def decision_count(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(credit_decisions)).scalar_one())


# ---------------------------------------------------------------------------------------- the form


def test_the_form_decides_as_the_cli_does_on_the_same_input_and_keeps_who_decided(store: Store, tmp_path: Path) -> None:
    status, page = apply_in_page(store, WITH_REFERENCES)
    assert status == 200, page
    cli = apply_with_the_cli(store, application_data(WITH_REFERENCES), tmp_path)
    by_cli, by_form = list_decisions(store.engine)  # newest first
    assert (by_form.decided_by, by_cli.decided_by) == ("analyst1", "cli-user")
    assert by_form.result == by_cli.result, "the page and the CLI decide the same application alike"
    assert (by_form.kind, by_form.customer_id, by_form.policy_version) == ("application", "A", cli["policy_version"])
    # what the person sees: each figure of the recommendation, the decision and a link to the stored decision
    altman, reasons = by_form.result["altman"], by_form.result["reasons"]
    for shown in (altman["z"], altman["zone"], by_form.result["score"], f"Risk class</span><b>{by_form.risk_class}",
                  by_form.result["pd_band"], reasons[0]["message"], "tangible net worth", "working capital",
                  "months of sales", "trade reference median"):  # fmt: skip
        assert str(shown) in page, shown
    assert f"{Decimal(by_form.recommended_limit or '0'):,.2f}" in page
    assert f'href="/credit/decisions/{by_form.id}"' in page
    assert ("analyst1", "credit_application", by_form.decision) in audit_actions(store)


@SQLITE_ONLY
def test_a_stored_decision_is_replayed_on_its_page_and_a_tampered_one_is_not_reproduced(store: Store) -> None:
    assert apply_in_page(store, WITH_REFERENCES)[0] == 200
    [stored] = list_decisions(store.engine)
    client = sign_in(browser(store), "collector1")
    page = client.get(f"/credit/decisions/{stored.id}").text
    assert "reproduced on replay" in page and "not reproduced" not in page
    assert "Steel Co" in page and "trade_references[1].high_credit" in page  # the inputs as stored
    with store.engine.begin() as conn:
        tampered = {**stored.result, "decision": "decline"}
        conn.execute(credit_decisions.update().where(credit_decisions.c.id == stored.id).values(result=tampered))
    assert "not reproduced on replay" in client.get(f"/credit/decisions/{stored.id}").text
    assert client.get("/credit/decisions/999").status_code == 404
    assert client.get("/credit/decisions/abc").status_code == 404


@SQLITE_ONLY
def test_bad_input_answers_400_naming_every_bad_field_and_stores_nothing(store: Store) -> None:
    bad = {**APPLICATION_FORM, "applicant.customer_id": "NO-SUCH", "financials.ebit": "n/a",
           "financials.current_liabilities": "-10", "applicant.years_in_business": "", "requested_limit.currency": "usd",
           "trade_references[0].name": "Steel Co"}  # fmt: skip
    status, page = apply_in_page(store, bad)
    assert status == 400
    for field in ("applicant.customer_id", "financials.ebit", "financials.current_liabilities",
                  "applicant.years_in_business", "requested_limit.currency", "trade_references[0].high_credit"):  # fmt: skip
        assert f"<code>{field}</code>" in page, field
    assert "nothing was stored" in page and 'value="Widget Works Ltd"' in page  # the form comes back filled in
    assert decision_count(store) == 0
    assert not [a for a in audit_actions(store) if a[1] == "credit_application"]


@SQLITE_ONLY
def test_who_may_apply_and_who_may_see_decisions(store: Store) -> None:
    viewer = sign_in(browser(store), "viewer1")
    csrf = csrf_on(viewer.get("/dashboard").text)
    assert viewer.get("/credit/apply").status_code == 403
    assert viewer.post("/credit/apply", data={**APPLICATION_FORM, "csrf": csrf}).status_code == 403
    assert viewer.get("/credit/decisions").status_code == 403
    assert viewer.get("/credit/decisions.csv").status_code == 403
    collector = sign_in(browser(store), "collector1")
    assert collector.get("/credit/apply").status_code == 403
    assert collector.get("/credit/decisions").status_code == 200
    assert decision_count(store) == 0
    assert "/credit/apply" not in collector.get("/credit/decisions").text  # no link to a form they may not use


@SQLITE_ONLY
def test_reviews_and_order_checks_stored_by_the_cli_show_with_their_reasons_and_replay(store: Store) -> None:
    runner = CliRunner()
    for args in (["credit", "check", "--customer", "A", "--amount", "100", "--as-of", AS_OF],
                 ["credit", "review", "--all", "--as-of", AS_OF, "--user", "cli-user"]):  # fmt: skip
        result = runner.invoke(cli_app, [*args, "--store", store.url])
        assert result.exit_code == 0, result.output
    kinds = {d.kind: d for d in list_decisions(store.engine)}
    assert {"order_check", "review"} <= set(kinds)
    client = sign_in(browser(store), "analyst1")
    for decision in kinds.values():
        page = client.get(f"/credit/decisions/{decision.id}").text
        assert "reproduced on replay" in page and "not reproduced" not in page, decision.kind
        assert decision.result["reasons"][0]["message"] in html.unescape(page)
    listed = client.get("/credit/decisions?kind=review").text
    assert f'href="/credit/decisions/{kinds["review"].id}"' in listed
    assert f'href="/credit/decisions/{kinds["order_check"].id}"' not in listed
