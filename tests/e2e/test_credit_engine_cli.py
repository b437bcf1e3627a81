"""The credit engine's commands as a credit manager runs them: real processes, real files.

`credit policy --init` then a changed policy in use; `credit apply` on good and bad files (bad ones
exit 2 and store nothing); `credit review` on a ledger folder and on a store, where its proposals
become write-back requests that a second person approves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_kpi"
CLI = str(Path(sys.executable).parent / "creditbridge")

APPLICATION = {
    "applicant": {"name": "Widget Works Ltd", "customer_id": None, "type": "private_manufacturer",
                  "years_in_business": 12},
    "requested_limit": {"amount": "50000.00", "currency": "USD"},
    "financials": {"currency": "USD", "period_end": "2025-12-31", "current_assets": "1200000",
                   "current_liabilities": "700000", "total_assets": "3000000", "total_liabilities": "1500000",
                   "retained_earnings": "900000", "ebit": "450000", "sales": "4800000", "book_equity": "1500000",
                   "intangible_assets": "200000"},
    "trade_references": [{"name": "Steel Co", "high_credit": "40000", "terms_days": 30, "days_beyond_terms": 3},
                         {"name": "Paint Inc", "high_credit": "25000", "terms_days": 30, "days_beyond_terms": 0},
                         {"name": "Box Ltd", "high_credit": "60000", "terms_days": 45, "days_beyond_terms": 10}],
    "bureau_score": 78,
}  # fmt: skip


def run(cwd: Path, *args: str, user: str = "alice", code: int = 0) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITBRIDGE_")}
    env["CREDITBRIDGE_USER"] = user
    result = subprocess.run([CLI, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)
    assert result.returncode == code, f"creditbridge {' '.join(args)}: exit {result.returncode}\n{result.stderr}"
    return result


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(result.stdout, parse_float=Decimal)


def test_policy_init_writes_the_default_and_an_edited_copy_changes_the_check(tmp_path: Path) -> None:
    run(tmp_path, "credit", "policy", "--init", "policy.yaml")
    assert "warn_percent: 80" in (tmp_path / "policy.yaml").read_text()
    run(tmp_path, "credit", "policy", "--init", "policy.yaml", code=2)  # never overwrites without --force
    check = ("credit", "check", "--ledger", str(FIXTURE), "--customer", "A", "--amount", "100", "--as-of",
             "2026-01-30", "--format", "json")  # fmt: skip
    assert as_json(run(tmp_path, *check))["decision"] == "approve"  # 1,400 of 5,000 = 28 %
    text = (tmp_path / "policy.yaml").read_text().replace("warn_percent: 80", "warn_percent: 25")
    (tmp_path / "policy.yaml").write_text(text)
    run(tmp_path, "credit", "policy", "--check", "policy.yaml")
    assert as_json(run(tmp_path, *check, "--policy", "policy.yaml"))["decision"] == "warn"


def test_a_policy_with_overlapping_risk_classes_is_refused_with_its_line(tmp_path: Path) -> None:
    run(tmp_path, "credit", "policy", "--init", "policy.yaml")
    text = (tmp_path / "policy.yaml").read_text().replace("min_score: 600, max_score: 640", "min_score: 590, max_score: 640")
    (tmp_path / "policy.yaml").write_text(text)
    result = run(tmp_path, "credit", "check", "--ledger", str(FIXTURE), "--customer", "A", "--amount", "1",
                 "--policy", "policy.yaml", code=2)  # fmt: skip
    assert "policy.yaml:" in result.stderr and "overlap" in result.stderr
    assert "Traceback" not in result.stderr


def test_apply_decides_stores_and_replays_the_decision(tmp_path: Path) -> None:
    (tmp_path / "app.json").write_text(json.dumps(APPLICATION))
    result = as_json(run(tmp_path, "credit", "apply", "app.json", "--format", "json", "--store", "sqlite:///s.db"))
    assert result["decision"] == "approve"
    assert set(result) >= {"altman", "score", "risk_class", "pd_band", "recommended_limit", "limit_methods",
                           "decision", "reasons"}  # fmt: skip
    assert result["altman"]["model"] == "Z'" and set(result["altman"]) == {"model", "z", "zone", "components"}
    assert result["recommended_limit"] == {"amount": Decimal("65000.00"), "currency": "USD"}
    listed = as_json(run(tmp_path, "credit", "decisions", "list", "--format", "json", "--store", "sqlite:///s.db"))
    assert [(d["kind"], d["decision"], d["decided_by"]) for d in listed] == [("application", "approve", "alice")]
    shown = as_json(run(tmp_path, "credit", "decisions", "show", str(result["decision_id"]), "--store",
                        "sqlite:///s.db"))  # fmt: skip
    assert shown["reproduced"] is True and shown["policy_version"] == result["policy_version"]


def test_apply_reads_a_yaml_application(tmp_path: Path) -> None:
    text = (
        "applicant: {name: Nova, customer_id: null, type: non_manufacturer, years_in_business: 4}\n"
        "requested_limit: {amount: 20000, currency: EUR}\n"
        "financials:\n  currency: EUR\n  period_end: 2025-12-31\n  current_assets: 400000\n"
        "  current_liabilities: 250000\n  total_assets: 900000\n  total_liabilities: 500000\n"
        "  retained_earnings: 150000\n  ebit: 90000.5\n  sales: 1200000\n  book_equity: 400000\n"
    )
    (tmp_path / "app.yaml").write_text(text)
    result = as_json(run(tmp_path, "credit", "apply", "app.yaml", "--format", "json", "--store", "sqlite:///s.db"))
    assert result["altman"]["model"] == "Z''"


@pytest.mark.parametrize(
    ("section", "field", "value", "named"),
    [("financials", "total_assets", "0", "financials.total_assets"),
     ("financials", "ebit", "n/a", "financials.ebit"),
     ("financials", "current_liabilities", "-10", "financials.current_liabilities"),
     ("applicant", "customer_id", "NO-SUCH", "applicant.customer_id")],
)  # fmt: skip
def test_a_bad_application_names_file_and_field_and_stores_nothing(
    tmp_path: Path, section: str, field: str, value: str, named: str
) -> None:
    bad = json.loads(json.dumps(APPLICATION))
    bad[section][field] = value
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    result = run(tmp_path, "credit", "apply", "bad.json", "--store", "sqlite:///s.db", code=2)
    assert "bad.json" in result.stderr and named in result.stderr and "Traceback" not in result.stderr
    if (tmp_path / "s.db").exists():
        listed = as_json(run(tmp_path, "credit", "decisions", "list", "--format", "json", "--store", "sqlite:///s.db"))
        assert listed == []


def test_a_malformed_yaml_application_says_where(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("applicant: {name: X\nfinancials: [\n")
    result = run(tmp_path, "credit", "apply", "bad.yaml", "--store", "sqlite:///s.db", code=2)
    assert "bad.yaml:" in result.stderr and "YAML syntax" in result.stderr


def test_review_of_a_ledger_folder_rescores_every_customer(tmp_path: Path) -> None:
    body = as_json(run(tmp_path, "credit", "review", "--ledger", str(FIXTURE), "--as-of", "2026-03-31", "--format",
                       "json"))  # fmt: skip
    assert body["stored"] is False
    decisions = {d["customer_id"]: d for d in body["decisions"]}
    assert set(decisions) == {"A", "B", "C"}
    # A: paid part of A1 15 days late, A1 and A2 are open past due -> payment index below 50, class E, held
    assert decisions["A"]["risk_class"] == "E" and decisions["A"]["proposed"]["on_hold"] is True
    assert decisions["A"]["behaviour"]["payment_index"] < 50
    # C: on hold, nothing owed: the hold rules release it
    assert decisions["C"]["proposed"]["on_hold"] is False and "release" in decisions["C"]["decision"]


CONFIG = f"""
store_url = "sqlite:///creditbridge.db"
log_level = "warning"

[[connections]]
name = "sim"
erp = "memory"

[connections.options]
state_path = "erp.json"
seed_ledger = "{FIXTURE}"
"""


def test_review_on_a_store_requests_changes_that_a_second_person_approves(tmp_path: Path) -> None:
    (tmp_path / "creditbridge.toml").write_text(CONFIG)
    run(tmp_path, "pull", "--config", "creditbridge.toml")
    body = as_json(run(tmp_path, "credit", "review", "--config", "creditbridge.toml", "--as-of", "2026-03-31",
                       "--format", "json"))  # fmt: skip
    assert body["stored"] is True
    notes = {d["customer_id"]: d["note"] for d in body["decisions"]}
    assert "queued" in notes["A"]  # a decrease and a new hold apply on their own
    assert "awaiting approval" in notes["C"]  # a release needs a second person
    waiting = as_json(run(tmp_path, "approvals", "list", "--config", "creditbridge.toml", "--format", "json"))
    (request,) = [r for r in waiting if r["customer_id"] == "C"]
    run(tmp_path, "approvals", "approve", str(request["id"]), "--config", "creditbridge.toml", code=2)  # alice asked
    run(tmp_path, "approvals", "approve", str(request["id"]), "--config", "creditbridge.toml", user="bob")
    stored = as_json(run(tmp_path, "credit", "decisions", "list", "--kind", "review", "--format", "json", "--store",
                         "sqlite:///creditbridge.db"))  # fmt: skip
    assert {d["customer_id"] for d in stored} == {"A", "B", "C"}
    assert all(d["decided_by"].startswith("alice") for d in stored)
    shown = as_json(run(tmp_path, "credit", "decisions", "show", str(stored[0]["id"]), "--store",
                        "sqlite:///creditbridge.db"))  # fmt: skip
    assert shown["reproduced"] is True
    # reviewed today: nobody is due again until their class's cadence has passed
    again = as_json(run(tmp_path, "credit", "review", "--config", "creditbridge.toml", "--as-of", "2026-04-01",
                        "--format", "json", "--dry-run"))  # fmt: skip
    assert again["reviewed"] == 0


@pytest.mark.slow
def test_the_credit_commands_work_on_the_demo_company(tmp_path: Path) -> None:
    run(tmp_path, "demo", "--customers", "30", "--invoices", "3000", "--as-of", "2026-06-30")
    store = "sqlite:///creditbridge-demo/creditbridge.db"
    checked = as_json(run(tmp_path, "credit", "check", "--store", store, "--customer", "C10001", "--amount", "500",
                          "--as-of", "2026-06-30", "--format", "json"))  # fmt: skip
    assert checked["decision"] in ("approve", "warn", "review", "hold") and checked["reasons"]
    assert checked["exposure"]["total"] == checked["exposure"]["open_ar"] + checked["exposure"]["open_orders"] + 500
    known = json.loads(json.dumps(APPLICATION))
    known["applicant"]["customer_id"] = "C10001"
    (tmp_path / "app.json").write_text(json.dumps(known))
    assert as_json(run(tmp_path, "credit", "apply", "app.json", "--store", store, "--format", "json"))["decision"]
    reviewed = as_json(run(tmp_path, "credit", "review", "--store", store, "--as-of", "2026-06-30", "--format",
                           "json"))  # fmt: skip
    assert reviewed["reviewed"] == 30 and reviewed["stored"] is True
    assert all(d["risk_class"] in "ABCDE" for d in reviewed["decisions"])
    listed = as_json(run(tmp_path, "credit", "decisions", "list", "--store", store, "--customer", "C10001",
                         "--format", "json"))  # fmt: skip
    assert {d["kind"] for d in listed} == {"application", "review", "order_check"}
