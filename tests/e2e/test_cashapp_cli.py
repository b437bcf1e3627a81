"""`creditbridge cashapp` as a user runs it: a ledger folder and a real-shaped camt.053 (tests/fixtures/cashapp).

The statement (worked out by hand): E2E-ACME-1 pays RE-2026-10017 exactly with a structured
reference (auto); BR-2 (e2e id NOTPROVIDED, so the bank's reference) pays RE-2026-10019 less its
2% discount within the terms; one entry with two TxDtls from the parent Cobalt Holding pays its
subsidiary's RE-2026-10020 exactly and RE-2026-10021 with 50.00 too much (on account); an unknown
payer without reference stays unapplied; a debit and a reversal are skipped and counted.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cashapp"
LEDGER = FIXTURES / "ledger"
STATEMENT = FIXTURES / "statement.xml"
CLI = str(Path(sys.executable).parent / "creditbridge")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        return list(reader.fieldnames or []), list(reader)


def test_match_writes_the_matches_csv_contract(tmp_path: Path) -> None:
    out = tmp_path / "MATCHES.csv"
    result = run("cashapp", "match", "--ledger", str(LEDGER), "--statement", str(STATEMENT), "--out", str(out),
                 "--format", "json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout, parse_float=Decimal)
    assert (summary["payments"], summary["auto"], summary["suggest"], summary["unapplied"]) == (5, 4, 0, 1)
    assert (summary["skipped_debits"], summary["skipped_reversals"]) == (1, 1)

    header, rows = read_rows(out)
    assert header == ["payment_id", "invoice_number", "applied_amount", "decision", "confidence", "reason"]
    applied = {(r["payment_id"], r["invoice_number"]): (r["applied_amount"], r["decision"]) for r in rows}
    assert applied[("E2E-ACME-1", "RE-2026-10017")] == ("1190.00", "auto")
    assert applied[("BR-2", "RE-2026-10019")] == ("2332.40", "auto")
    assert applied[("STMT-20261130-3-1", "RE-2026-10020")] == ("714.00", "auto")
    assert applied[("STMT-20261130-3-2", "RE-2026-10021")] == ("1071.00", "auto")
    assert applied[("STMT-20261130-3-2", "")] == ("50.00", "unapplied")
    assert applied[("BR-4", "")] == ("512.00", "unapplied")
    assert "discount" in next(r["reason"] for r in rows if r["payment_id"] == "BR-2")


def test_rows_of_every_payment_add_up_to_its_amount_and_ids_are_unique_per_payment(tmp_path: Path) -> None:
    out = tmp_path / "MATCHES.csv"
    assert run("cashapp", "match", "--ledger", str(LEDGER), "--statement", str(STATEMENT), "--out", str(out)).returncode == 0
    _, rows = read_rows(out)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        assert row["decision"] in ("auto", "suggest", "unapplied")
        assert Decimal(row["confidence"]) <= 1
        totals[row["payment_id"]] += Decimal(row["applied_amount"])
    assert totals == {"E2E-ACME-1": Decimal("1190.00"), "BR-2": Decimal("2332.40"), "STMT-20261130-3-1": Decimal("714.00"),
                      "STMT-20261130-3-2": Decimal("1121.00"), "BR-4": Decimal("512.00")}  # fmt: skip


def test_a_bad_statement_is_one_clear_error_and_nothing_is_written(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text(STATEMENT.read_text().replace("<Amt Ccy=\"EUR\">2332.40</Amt>", "<Amt Ccy=\"EUR\">23x2.40</Amt>"))
    out = tmp_path / "MATCHES.csv"
    result = run("cashapp", "match", "--ledger", str(LEDGER), "--statement", str(broken), "--out", str(out))
    assert result.returncode == 2
    assert "broken.xml" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_history_in_payments_csv_teaches_a_reference_habit(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    for name in ("customers.csv", "invoices.csv"):
        (ledger / name).write_text((LEDGER / name).read_text())
    # Borealis always writes its customer number "KD-77" in the reference
    (ledger / "payments.csv").write_text(
        "payment_id,customer_id,payment_date,currency,amount,reference,applied_to\n"
        "H-1,K200,2026-09-01,EUR,10.00,KD-77 RE-2026-10001,\nH-2,K200,2026-10-01,EUR,10.00,KD-77 RE-2026-10002,\n"
    )
    statement = tmp_path / "habit.xml"
    statement.write_text(
        STATEMENT.read_text()
        .replace("<Dbtr><Nm>BOREALIS HANDEL</Nm></Dbtr>", "<Dbtr><Nm>B.H. AG Zahlungsverkehr</Nm></Dbtr>")
        .replace("Rg. 2026 10019 abzgl. 2% Skonto", "KD-77 payment")
    )
    out = tmp_path / "MATCHES.csv"
    assert run("cashapp", "match", "--ledger", str(ledger), "--statement", str(statement), "--out", str(out)).returncode == 0
    _, rows = read_rows(out)
    br2 = [r for r in rows if r["payment_id"] == "BR-2"]
    assert [(r["invoice_number"], r["decision"]) for r in br2] == [("RE-2026-10019", "auto")]

    (ledger / "payments.csv").write_text("payment_id,customer_id,payment_date,currency,amount,reference,applied_to\n")
    assert run("cashapp", "match", "--ledger", str(ledger), "--statement", str(statement), "--out", str(out)).returncode == 0
    _, rows = read_rows(out)
    assert [r["decision"] for r in rows if r["payment_id"] == "BR-2"] == ["unapplied"]


@pytest.mark.parametrize("option", [["--auto-threshold", "2"], ["--auto-threshold", "x"]])
def test_a_bad_threshold_is_refused(tmp_path: Path, option: list[str]) -> None:
    result = run("cashapp", "match", "--ledger", str(LEDGER), "--statement", str(STATEMENT),
                 "--out", str(tmp_path / "m.csv"), *option)  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr


@pytest.mark.slow
def test_store_mode_run_exceptions_confirm_and_reject(tmp_path: Path) -> None:
    (tmp_path / "creditbridge.toml").write_text(f'store_url = "sqlite:///{tmp_path / "cb.db"}"\n')
    assert run("import", "--ledger", str(LEDGER), "--store", f"sqlite:///{tmp_path / 'cb.db'}").returncode == 0

    first = run("cashapp", "run", "--statement", str(STATEMENT), "--format", "json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["created"] is True and (summary["auto"], summary["unapplied"]) == (4, 1)
    again = run("cashapp", "run", "--statement", str(STATEMENT), cwd=tmp_path)
    assert again.returncode == 0 and "run before: nothing new" in " ".join(again.stderr.split())

    listed = run("cashapp", "exceptions", "--format", "json", cwd=tmp_path)
    assert [row["payment_id"] for row in json.loads(listed.stdout)] == ["BR-4"]
    as_csv = run("cashapp", "exceptions", "--format", "csv", cwd=tmp_path)
    assert as_csv.stdout.splitlines()[0] == ("payment_id,booked_on,amount,currency,payer_name,decision,confidence,"
                                             "customer_id,candidates,evidence")  # fmt: skip

    refused = run("cashapp", "confirm", "BR-4", "--invoice", "RE-2026-10018", "--user", "alice", cwd=tmp_path)
    assert refused.returncode == 2 and "INVOICE:AMOUNT" in refused.stderr
    confirmed = run("cashapp", "confirm", "BR-4", "--invoice", "RE-2026-10022:333.00", "--user", "alice",
                    "--format", "json", cwd=tmp_path)  # fmt: skip
    assert confirmed.returncode == 0, confirmed.stderr
    assert json.loads(confirmed.stdout)["customer_id"] == "K100"
    assert json.loads(run("cashapp", "exceptions", "--format", "json", cwd=tmp_path).stdout) == []
    rejected = run("cashapp", "reject", "BR-4", "--user", "bob", cwd=tmp_path)
    assert rejected.returncode == 2 and "confirmed" in rejected.stderr


@pytest.mark.slow
def test_the_installations_thresholds_come_from_its_config(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cb.db'}"
    (tmp_path / "creditbridge.toml").write_text(f'store_url = "{url}"\n\n[cashapp]\nauto_threshold = 1\n')
    assert run("import", "--ledger", str(LEDGER), "--store", url).returncode == 0
    result = run("cashapp", "run", "--statement", str(STATEMENT), "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["auto"] == 0 and summary["suggest"] == 4


def test_a_payment_without_invoices_goes_on_a_customers_account_and_its_payer_is_learned(tmp_path: Path) -> None:
    (tmp_path / "creditbridge.toml").write_text(f'store_url = "sqlite:///{tmp_path / "cb.db"}"\n')
    assert run("import", "--ledger", str(LEDGER), "--store", f"sqlite:///{tmp_path / 'cb.db'}").returncode == 0
    assert run("cashapp", "run", "--statement", str(STATEMENT), cwd=tmp_path).returncode == 0

    unknown = run("cashapp", "confirm", "BR-4", "--on-account", "K999", "--user", "alice", cwd=tmp_path)
    assert unknown.returncode == 2 and "no customer 'K999'" in unknown.stderr
    both = run("cashapp", "confirm", "BR-4", "--on-account", "K200", "--invoice", "RE-2026-10019:512",
               "--user", "alice", cwd=tmp_path)  # fmt: skip
    assert both.returncode == 2 and "not both" in both.stderr
    done = run("cashapp", "confirm", "BR-4", "--on-account", "K200", "--user", "alice", "--format", "json",
               cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert (answer["status"], answer["customer_id"], answer["allocations"]) == ("on_account", "K200", [])
    assert json.loads(run("cashapp", "exceptions", "--format", "json", cwd=tmp_path).stdout) == []
