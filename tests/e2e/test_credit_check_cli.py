"""`creditbridge credit check` as a user runs it, on tests/fixtures/ledger_kpi (a folder and a store).

Customer A (USD, limit 5,000.00), worked out by hand from the CSVs:
- as of 2026-01-30: open AR = A1 600 (A5 is paid; A2, A3, A4, A6 are invoiced later); open order
  SO-1 700; A1 is due 2025-12-31, 30 days ago: no review yet. An order of 2,700 makes
  600 + 700 + 2,700 = 4,000 = 80.00 % -> warn; of 100, 1,400 = 28.00 % -> approve.
- as of 2026-01-31: A1 is 31 days past due -> review.
- as of 2026-03-31: open AR = 600 + 500 - 100 (A4 paid, A6 invoiced 2026-04-05) = 1,000; past due
  A1 600 (90 days) + A2 500 (28 days) = 1,100; 3,300 makes exactly 5,000 -> review (not over);
  3,300.01 -> hold (over the limit), the review reason kept.
C is on hold; B (EUR) has no limit.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_kpi"
CLI = str(Path(sys.executable).parent / "creditbridge")
D = Decimal


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def check(*args: str, cwd: Path | None = None) -> dict:
    result = run("credit", "check", *args, "--format", "json", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout, parse_float=Decimal)


def on_folder(customer: str, amount: str, as_of: str, *extra: str) -> dict:
    return check("--ledger", str(FIXTURE), "--customer", customer, "--amount", amount, "--as-of", as_of, *extra)


def test_warn_at_exactly_80_percent() -> None:
    data = on_folder("A", "2700", "2026-01-30")
    assert data["decision"] == "warn"
    assert data["limit"] == {"amount": D("5000.00"), "currency": "USD"}
    assert data["exposure"] == {
        "open_ar": D("600.00"),
        "open_orders": D("700.00"),
        "order": D("2700.00"),
        "total": D("4000.00"),
        "currency": "USD",
    }
    assert data["available"] == D("1000.00")
    assert data["utilization"] == D("80.00")
    assert [r["rule"] for r in data["reasons"]] == ["near_limit"]
    assert set(data["reasons"][0]) == {"rule", "message", "figures"}


def test_approve_and_the_review_boundary() -> None:
    approve = on_folder("A", "100", "2026-01-30", "--currency", "USD")
    assert approve["decision"] == "approve" and approve["utilization"] == D("28.00")
    review = on_folder("A", "100", "2026-01-31")
    assert review["decision"] == "review"
    assert review["reasons"][0]["figures"]["oldest_past_due_days"] == 31


def test_review_at_the_limit_and_hold_one_cent_over() -> None:
    at = on_folder("A", "3300", "2026-03-31")
    assert at["decision"] == "review"
    assert at["exposure"]["open_ar"] == D("1000.00") and at["exposure"]["total"] == D("5000.00")
    assert at["available"] == D("0.00") and at["utilization"] == D("100.00")
    assert at["reasons"][0]["figures"]["past_due"] == D("1100")
    over = on_folder("A", "3300.01", "2026-03-31")
    assert over["decision"] == "hold"
    assert [r["rule"] for r in over["reasons"]] == ["over_limit", "past_due"]
    assert over["available"] == D("-0.01")


def test_hold_on_hold_and_without_a_limit() -> None:
    held = on_folder("C", "1", "2026-03-31")
    assert held["decision"] == "hold" and [r["rule"] for r in held["reasons"]] == ["on_hold"]
    no_limit = on_folder("B", "1", "2026-03-31")
    assert no_limit["decision"] == "hold"
    assert no_limit["limit"] is None and no_limit["available"] is None and no_limit["utilization"] is None
    assert no_limit["exposure"]["currency"] == "EUR" and no_limit["exposure"]["open_ar"] == D("250.00")


def test_table_output() -> None:
    result = run("credit", "check", "--ledger", str(FIXTURE), "--customer", "A", "--amount", "2700",
                 "--as-of", "2026-01-30")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "WARN" in result.stdout and "4,000.00" in result.stdout and "80.00 %" in result.stdout


def test_clear_errors_exit_2() -> None:
    base = ("credit", "check", "--ledger", str(FIXTURE), "--as-of", "2026-03-31")
    unknown = run(*base, "--customer", "Z", "--amount", "1")
    assert unknown.returncode == 2 and "no customer 'Z'" in unknown.stderr and "Traceback" not in unknown.stderr
    currency = run(*base, "--customer", "B", "--amount", "1", "--currency", "USD")
    assert currency.returncode == 2 and "USD" in currency.stderr and "EUR" in currency.stderr
    amount = run(*base, "--customer", "A", "--amount", "lots")
    assert amount.returncode == 2 and "--amount" in amount.stderr
    negative = run(*base, "--customer", "A", "--amount", "-5")
    assert negative.returncode == 2 and "negative" in negative.stderr


def test_on_the_store_after_import(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cb.db'}"
    imported = run("import", "--ledger", str(FIXTURE), "--store", url, "--source", "erp1")
    assert imported.returncode == 0, imported.stderr
    args = ("--customer", "A", "--amount", "2700", "--as-of", "2026-01-30", "--store", url)
    assert check(*args)["decision"] == "warn"
    from_source = check(*args, "--source", "erp1")
    kept = from_source.pop("decision_id")
    assert from_source == on_folder("A", "2700", "2026-01-30")
    shown = run("credit", "decisions", "show", str(kept), "--store", url)
    assert shown.returncode == 0, shown.stderr
    stored = json.loads(shown.stdout)
    assert (stored["kind"], stored["decision"], stored["customer_id"], stored["source"]) == ("order_check", "warn", "A", "erp1")
    assert stored["reproduced"] is True, "the check decided again from its stored view gives the same answer"
    assert stored["inputs"]["exposures"] == [{"customer_id": "A", "currency": "USD", "open_ar": "600.0000",
                                               "open_orders": "700.0000", "past_due": "600.0000", "oldest_past_due_days": 30}]
    missing = run("credit", "check", *args, "--source", "other", "--format", "json")
    assert missing.returncode == 2 and "no customer 'A'" in missing.stderr


def test_no_store_is_a_clear_error(tmp_path: Path) -> None:
    result = run("credit", "check", "--customer", "A", "--amount", "1", cwd=tmp_path)
    assert result.returncode == 2 and "no store" in result.stderr
