"""`creditbridge collections plan|worklist|policy` on a ledger folder, as a user runs them.

The fixture tests/fixtures/ledger_collections (its README has the table worked out by hand) has
one customer per dunning rule, as of 2026-10-01.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_collections"
CLI = str(Path(sys.executable).parent / "creditbridge")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def plan(folder: Path = FIXTURE, *extra: str) -> dict:
    result = run("collections", "plan", "--ledger", str(folder), "--as-of", "2026-10-01", "--format", "json", *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_plan_json_has_one_message_per_customer_and_a_reason_for_every_skipped_item() -> None:
    assert plan() == {
        "messages": [
            {"customer_id": "C1", "level": 2, "channel": "email",
             "items": [{"invoice_number": "I1", "days_past_due": 30, "level": 2}]},
            {"customer_id": "C5", "level": 5, "channel": "escalation",
             "items": [{"invoice_number": "I7", "days_past_due": 92, "level": 5}]},
            {"customer_id": "C6", "level": 2, "channel": "email",
             "items": [{"invoice_number": "I9", "days_past_due": 22, "level": 2}]},
            {"customer_id": "C7", "level": 4, "channel": "call",
             "items": [{"invoice_number": "I10", "days_past_due": 52, "level": 4}]},
        ],
        "skipped": [
            {"customer_id": "C2", "invoice_number": "I3", "reason": "disputed"},
            {"customer_id": "C2", "invoice_number": "I4", "reason": "promised"},
            {"customer_id": "C3", "invoice_number": "I5", "reason": "covered_by_unapplied_cash"},
            {"customer_id": "C4", "invoice_number": "I6", "reason": "below_minimum"},
            {"customer_id": "C6", "invoice_number": "I8", "reason": "already_sent"},
        ],
    }  # fmt: skip


def test_without_the_optional_files_disputed_and_promised_items_are_dunned(tmp_path: Path) -> None:
    folder = tmp_path / "ledger"
    shutil.copytree(FIXTURE, folder)
    for name in ("disputes.csv", "promises.csv", "dunning_history.csv", "contacts.csv"):
        (folder / name).unlink()
    data = plan(folder)
    assert {s["reason"] for s in data["skipped"]} == {"covered_by_unapplied_cash", "below_minimum"}
    c2 = next(m for m in data["messages"] if m["customer_id"] == "C2")
    assert [i["invoice_number"] for i in c2["items"]] == ["I3", "I4"]


def test_a_bad_disputes_file_names_file_line_and_column_and_exits_2(tmp_path: Path) -> None:
    folder = tmp_path / "ledger"
    shutil.copytree(FIXTURE, folder)
    (folder / "disputes.csv").write_text(
        "invoice_number,opened_date,reason,status\nI3,2026-09-25,pricing,open\nI404,2026-09-25,pricing,open\n"
        "I1,25.09.2026,pricing,closed\n"
    )
    (folder / "promises.csv").write_text("customer_id,promise_date,amount,invoice_numbers\nC2,2026-10-15,300.00,I4;I1\n")
    result = run("collections", "plan", "--ledger", str(folder), "--as-of", "2026-10-01", "--format", "json")
    assert result.returncode == 2
    assert result.stdout == ""
    message = " ".join(result.stderr.split())
    assert "disputes.csv line 3, column invoice_number" in message
    assert "disputes.csv line 4, column opened_date" in message
    assert "disputes.csv line 4, column status" in message
    assert "promises.csv line 2, column invoice_numbers" in message
    assert "Traceback" not in result.stderr


def test_policy_init_writes_the_documented_default_and_a_changed_policy_changes_the_plan(tmp_path: Path) -> None:
    policy = tmp_path / "dunning.yaml"
    result = run("collections", "policy", "--init", str(policy))
    assert result.returncode == 0, result.stderr
    text = policy.read_text()
    assert "days_past_due: 7" in text and "days_past_due: 75" in text and 'minimum_amount: "10.00"' in text
    assert run("collections", "policy", "--init", str(policy)).returncode == 2  # never overwrites silently
    policy.write_text(text.replace('minimum_amount: "10.00"', 'minimum_amount: "4.00"'))
    skipped = {s["invoice_number"]: s["reason"] for s in plan(FIXTURE, "--policy", str(policy))["skipped"]}
    assert "I6" not in skipped  # 5.00 is no longer below the minimum


def test_a_wrong_policy_is_reported_with_file_line_and_key(tmp_path: Path) -> None:
    policy = tmp_path / "dunning.yaml"
    run("collections", "policy", "--init", str(policy))
    lines = policy.read_text().splitlines()
    at = next(n for n, line in enumerate(lines) if "channels: [call]" in line)
    lines[at] = lines[at].replace("[call]", "[fax]")
    policy.write_text("\n".join(lines) + "\n")
    result = run("collections", "plan", "--ledger", str(FIXTURE), "--policy", str(policy), "--format", "json")
    assert result.returncode == 2 and result.stdout == ""
    assert f"dunning.yaml:{at + 1}: levels[3].channels[0]: Input should be 'email', 'letter' or 'call'" in " ".join(
        result.stderr.split()
    )
    policy.write_text(policy.read_text().replace("[fax]", "[call]").replace("days_past_due: 21", "days_past_due: 5"))
    result = run("collections", "plan", "--ledger", str(FIXTURE), "--policy", str(policy), "--format", "json")
    assert result.returncode == 2
    assert "level 2 starts at 5 days, not after level 1 (7); days_past_due must grow" in " ".join(result.stderr.split())


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_worklist_ranks_customers_by_amount_days_and_risk(fmt: str) -> None:
    result = run("collections", "worklist", "--ledger", str(FIXTURE), "--as-of", "2026-10-01", "--format", fmt)
    assert result.returncode == 0, result.stderr
    if fmt == "json":
        rows = json.loads(result.stdout, parse_float=Decimal)["worklist"]
    else:
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
    order = [r["customer_id"] for r in rows]
    # C5: 900 × 92 × 3 (risk D) = 248,400; C6: 480 × 40 × 1.5 = 28,800; C1: 100 × 30 × 1 = 3,000 …
    assert order[:3] == ["C5", "C6", "C7"]  # C7: 120 × 52 × 1 = 6,240 comes before C1's 3,000
    c2 = next(r for r in rows if r["customer_id"] == "C2")
    assert (str(c2["priority"]), str(c2["disputed"]), str(c2["promised"])) == ("0.00", "500.00", "300.00")
    assert str(rows[0]["priority"]) == "248400.00"
