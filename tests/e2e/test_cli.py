"""The `creditbridge` command as a user runs it: a real process, real files, a real SQLite store.

The figures below are worked out by hand for tests/fixtures/ledger_kpi as of 2026-03-31, 90 days
(start 2025-12-31), USD: AR = 600 + 500 - 100 + 300 = 1300; AR(start) = 1000 + 200 = 1200;
credit sales = 500 - 100 + 300 + 100 = 800; current AR = 300; write-offs 200.
DSO = 1300/800 x 90 = 146.25; best possible = 300/800 x 90 = 33.75; ADD = 112.50;
CEI = (1200 + 800 - 1300) / (1200 + 800 - 300) x 100 = 41.18; bad debt = 200/800 x 100 = 25.00;
countback: Mar (31 d, sales 200), Feb (28 d, 500), Jan (31 d, 100) covered, Dec 500 of 1000 -> 15.5 d = 105.50.
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

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_kpi"
CLI = str(Path(sys.executable).parent / "creditbridge")


def run(*args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"creditbridge {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


def kpis_json(*args: str, cwd: Path | None = None) -> dict:
    return json.loads(run("kpis", *args, "--format", "json", cwd=cwd).stdout, parse_float=Decimal)


def usd(report: dict) -> dict:
    return next(f for f in report["company"] if f["currency"] == "USD")


def test_kpis_straight_off_a_ledger_folder_match_the_hand_computed_figures():
    report = kpis_json("--ledger", str(FIXTURE), "--as-of", "2026-03-31")
    assert (report["as_of"], report["period_days"], report["start"]) == ("2026-03-31", 90, "2025-12-31")
    figures = usd(report)
    expected = {
        "ar": "1300.00", "ar_start": "1200.00", "current_ar": "300.00", "credit_sales": "800.00",
        "writeoffs": "200.00", "dso": "146.25", "countback_dso": "105.50", "best_possible_dso": "33.75",
        "add": "112.50", "cei": "41.18", "bad_debt_ratio": "25.00",
    }  # fmt: skip
    assert {k: str(figures[k]) for k in expected} == expected
    assert {k: str(v["amount"]) for k, v in figures["aging"].items()} == {
        "current": "300.00", "1_30": "400.00", "31_60": "0.00", "61_90": "600.00", "91_120": "0.00",
        "over_120": "0.00",
    }  # fmt: skip
    assert str(figures["aging"]["61_90"]["percent"]) == "46.15"


def test_by_customer_json_has_a_row_per_customer_and_null_for_undefined_ratios():
    report = kpis_json("--ledger", str(FIXTURE), "--as-of", "2026-03-31", "--by-customer")
    rows = {row["customer_id"]: row for row in report["customers"]}
    assert set(rows) == {"A", "B", "C"}
    assert rows["B"]["currency"] == "EUR" and rows["B"]["cei"] is None
    assert rows["C"]["ar"] == Decimal("0.00") and rows["C"]["cei"] == Decimal("100.00")


def test_csv_output_has_the_documented_header_and_one_row_per_scope():
    out = run("kpis", "--ledger", str(FIXTURE), "--as-of", "2026-03-31", "--format", "csv", "--by-customer").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["scope"], r["currency"], r["customer_id"]) for r in rows] == [
        ("company", "EUR", ""), ("company", "USD", ""), ("customer", "USD", "A"), ("customer", "EUR", "B"),
        ("customer", "USD", "C"),
    ]  # fmt: skip
    assert rows[1]["dso"] == "146.25" and rows[1]["aging_over_120_percent"] == "0.00"


def test_table_output_is_readable(tmp_path: Path):
    out = run("kpis", "--ledger", str(FIXTURE), "--as-of", "2026-03-31").stdout
    assert "DSO" in out and "146.25" in out and "1,300.00" in out


def test_import_then_kpis_from_the_store_agree_with_the_folder(tmp_path: Path):
    run("import", "--ledger", str(FIXTURE), cwd=tmp_path)
    assert (tmp_path / "creditbridge.db").exists()
    from_store = kpis_json("--as-of", "2026-03-31", cwd=tmp_path)
    from_folder = kpis_json("--ledger", str(FIXTURE), "--as-of", "2026-03-31")
    assert from_store == from_folder


def test_importing_the_same_folder_twice_changes_nothing(tmp_path: Path):
    run("import", "--ledger", str(FIXTURE), cwd=tmp_path)
    second = run("import", "--ledger", str(FIXTURE), cwd=tmp_path).stdout
    assert "inserted 0" in second.lower() or "no changes" in second.lower(), second


def test_a_bad_file_names_file_line_and_column_and_imports_nothing(tmp_path: Path):
    ledger = tmp_path / "ledger"
    shutil.copytree(FIXTURE, ledger)
    invoices = (ledger / "invoices.csv").read_text().replace("2026-02-01,2026-03-03", "2026-02-01,2026-13-03")
    (ledger / "invoices.csv").write_text(invoices)
    result = run("import", "--ledger", str(ledger), cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert "invoices.csv" in result.stderr and "line 3" in result.stderr and "due_date" in result.stderr
    assert "Traceback" not in result.stderr
    run("import", "--ledger", str(FIXTURE), cwd=tmp_path)  # the store was left clean: a good import works


def test_unknown_store_url_is_a_clear_error(tmp_path: Path):
    result = run("kpis", "--store", "postgresql+psycopg://nobody@127.0.0.1:1/none", "--as-of", "2026-03-31",
                 cwd=tmp_path, check=False)  # fmt: skip
    assert result.returncode == 3
    assert "Traceback" not in result.stderr


def test_bad_as_of_date_is_a_clear_error():
    result = run("kpis", "--ledger", str(FIXTURE), "--as-of", "31/03/2026", check=False)
    assert result.returncode == 2 and "--as-of" in result.stderr


@pytest.mark.parametrize("name", ["ar.html", "ar.xlsx"])
def test_report_is_written_from_a_ledger_folder(tmp_path: Path, name: str):
    run("report", "--ledger", str(FIXTURE), "--as-of", "2026-03-31", "--out", str(tmp_path / name))
    assert (tmp_path / name).stat().st_size > 1000


def test_demo_runs_twice_and_says_where_the_report_is(tmp_path: Path):
    args = ("demo", "--dir", str(tmp_path / "demo"), "--customers", "25", "--invoices", "1500", "--as-of", "2026-06-30")
    first = run(*args, cwd=tmp_path).stdout
    second = run(*args, cwd=tmp_path).stdout
    report = tmp_path / "demo" / "report.html"
    assert str(report) in first.replace("\n", "") and report.exists()
    assert (tmp_path / "demo" / "report.xlsx").exists()
    assert "DSO" in second


def test_the_demo_leaves_a_bank_statement_that_cash_application_mostly_applies(tmp_path: Path):
    run("demo", "--dir", str(tmp_path / "demo"), "--customers", "60", "--invoices", "3000", "--as-of", "2026-06-30",
        cwd=tmp_path)  # fmt: skip
    statement = tmp_path / "demo" / "bank-statement.xml"
    matched = run("cashapp", "match", "--ledger", str(tmp_path / "demo" / "ledger"), "--statement", str(statement),
                  "--out", str(tmp_path / "m.csv"), "--format", "json", cwd=tmp_path)  # fmt: skip
    summary = json.loads(matched.stdout)
    assert summary["format"] == "camt.053" and summary["skipped_debits"] == 2
    assert summary["payments"] >= 30 and summary["auto"] >= summary["payments"] * 0.8, summary
    assert summary["unapplied"] >= 1, "the unknown payer's advance stays unapplied"


def test_kpis_without_a_store_say_how_to_get_one(tmp_path: Path):
    result = run("kpis", "--as-of", "2026-03-31", cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert "no store at" in result.stderr and "creditbridge import" in result.stderr.replace("\n", " ")
    assert not (tmp_path / "creditbridge.db").exists(), "reading must not create an empty store"


def test_quickbooks_demo_runs_the_whole_cycle_against_the_simulator(tmp_path: Path):
    out = run("demo", "--erp", "quickbooks", "--dir", str(tmp_path / "demo"), "--customers", "12", cwd=tmp_path).stdout
    assert "Pushed to QuickBooks:" in out and "APPLIED" in out
    read_back = out.split("Read back from QuickBooks (Customer.Notes):")[1]
    assert "[creditbridge: " in read_back and "hold=yes" in read_back, "the hold is in QuickBooks, read back"
    assert (tmp_path / "demo" / "quickbooks" / "report.html").exists()


def test_sap_demo_runs_the_whole_cycle_against_the_ecc_and_s4_simulators(tmp_path: Path):
    out = run("demo", "--erp", "sap", "--dir", "demo", "--customers", "20", cwd=tmp_path).stdout  # a relative --dir
    assert "Pushed to sap-ecc:" in out and "Pushed to sap-s4:" in out and "APPLIED" in out
    read_back = out.split("Read back from SAP:")[1]
    assert "CRBLB 'X'" in read_back, "the ECC credit block is in KNKK, read back"
    assert "CreditAccountIsBlocked true" in read_back, "the S/4HANA block is on the credit account, read back"
    assert "BAPI_TRANSACTION_COMMIT" in out and (tmp_path / "demo" / "sap" / "report.html").exists()
    approvals = out.split("Releases wait for a second person: creditbridge ")[1].split(" (or ")[0].split()
    waiting = json.loads(run(*approvals, "--format", "json", cwd=tmp_path).stdout)
    assert "release" in {k for row in waiting for k in row["kinds"]}, "the command the demo prints lists its releases"


def test_oracle_demo_runs_the_whole_cycle_against_the_ebs_simulator(tmp_path: Path):
    out = run("demo", "--erp", "oracle", "--dir", str(tmp_path / "demo"), "--customers", "25", "--invoices", "800",
              cwd=tmp_path).stdout  # fmt: skip
    assert "Pushed to Oracle EBS (HZ_CUSTOMER_PROFILE_V2PUB):" in out and "APPLIED" in out
    read_back = out.split("Read back from EBS (HZ_CUSTOMER_PROFILES, HZ_CUST_PROFILE_AMTS, OE_ORDER_HOLDS_ALL):")[1]
    assert "CREDIT_HOLD=Y" in read_back and "OVN 2" in read_back, "the hold went through the API: version bumped"
    assert (tmp_path / "demo" / "oracle" / "report.html").exists()
