"""`creditbridge reconcile --ledger` as a user runs it, on tests/fixtures/reconcile/.

`consistent/` (EUR) agrees with itself, its erp_balances.csv (ACME 300 = INV-102's 300 open; BOLT
2,400 = INV-201 2,500 − CM-201 100) and its gl_control.csv (2,700 = the AR total). statement.xml
(camt.053, 2026-11-20..30) holds ACME's two payments (one by end-to-end id, one by creditor
reference) and a 640.00 credit from BOLT's account that no payment records.
The broken ledger is the consistent one with one fault per difference class added by hand.
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

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reconcile"
CONSISTENT = FIXTURES / "consistent"
STATEMENT = FIXTURES / "statement.xml"
CLI = str(Path(sys.executable).parent / "creditbridge")
D = Decimal


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300)


def as_json(result: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(result.stdout, parse_float=Decimal)


def copy_of(tmp_path: Path) -> Path:
    folder = tmp_path / "ledger"
    shutil.copytree(CONSISTENT, folder)
    return folder


def append(file: Path, *lines: str) -> None:
    with file.open("a") as handle:
        handle.write("".join(f"{line}\n" for line in lines))


def test_a_consistent_ledger_reports_no_differences_and_exits_0() -> None:
    result = run("reconcile", "--ledger", str(CONSISTENT), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = as_json(result)
    assert data["differences"] == []
    assert data["summary"]["checked"] == {"customers": 2, "documents": 4, "payments": 2, "erp_balances": 2,
                                          "gl_accounts": 1}  # fmt: skip


def test_a_camt053_statement_matches_the_recorded_payments_and_reports_the_unrecorded_credit() -> None:
    result = run("reconcile", "--ledger", str(CONSISTENT), "--statement", str(STATEMENT), "--format", "json")
    assert result.returncode == 1
    data = as_json(result)
    assert data["differences"] == [
        {"class": "bank_unrecorded", "customer_id": "BOLT", "documents": ["E2E-BOLT-1"], "amount": D("640.00"),
         "detail": "statement credit E2E-BOLT-1 of 640.00 booked 2026-11-27 from Bolt Werkzeuge AG has no recorded "
                   "payment"},
    ]  # fmt: skip
    assert data["summary"]["checked"]["statement_matches"] == 2


def test_every_difference_class_appears_on_a_ledger_that_import_refuses(tmp_path: Path) -> None:
    folder = copy_of(tmp_path)
    invoices = (folder / "invoices.csv").read_text().replace(
        "INV-102,INV,ACME,2026-10-15,2026-11-14,EUR,800.00,300.00", "INV-102,INV,ACME,2026-10-15,2026-11-14,EUR,800.00,250.00"
    )
    (folder / "invoices.csv").write_text(invoices)
    append(folder / "payments.csv",
           "PAY-3,BOLT,2026-11-21,EUR,100.00,WIRE 3,",                        # unapplied, not in the bank
           "PAY-4,ACME,2026-11-29,EUR,500.00,RF18539007547034,",              # the same as PAY-2
           "PAY-5,ACME,2026-10-05,EUR,75.00,CHK 5,INV-999:75.00",             # applied to no document
           "PAY-6,BOLT,2026-11-29,EUR,10.00,CHK 6,INV-101:10.00")  # INV-101 was paid the day before
    (folder / "erp_balances.csv").write_text("customer_id,balance\nACME,300.00\nBOLT,2350.00\n")
    (folder / "gl_control.csv").write_text("account,balance\n1400,2690.00\n")

    assert run("import", "--ledger", str(folder), "--store", f"sqlite:///{tmp_path / 'x.db'}").returncode == 2

    result = run("reconcile", "--ledger", str(folder), "--statement", str(STATEMENT), "--format", "json")
    assert result.returncode == 1, result.stderr
    found = {(d["class"], d["customer_id"], tuple(d["documents"]), d["amount"]) for d in as_json(result)["differences"]}
    assert ("open_amount_mismatch", "ACME", ("INV-102", "PAY-2"), D("-50.00")) in found
    assert ("balance_mismatch", "ACME", ("INV-102",), D("50.00")) in found
    assert ("unapplied_cash", "BOLT", ("PAY-3",), D("100.00")) in found
    assert ("duplicate_payment", "ACME", ("PAY-2", "PAY-4"), D("500.00")) in found
    assert ("orphan_application", "ACME", ("PAY-5", "INV-999"), D("75.00")) in found
    assert ("orphan_application", "BOLT", ("PAY-6", "INV-101"), D("10.00")) in found
    assert ("gl_control_difference", None, ("1400",), D("40.00")) in found
    assert ("bank_unrecorded", "BOLT", ("E2E-BOLT-1",), D("640.00")) in found
    assert ("payment_not_in_bank", "BOLT", ("PAY-3",), D("100.00")) in found
    classes = {f[0] for f in found}
    assert classes >= {"balance_mismatch", "open_amount_mismatch", "unapplied_cash", "duplicate_payment",
                       "orphan_application", "gl_control_difference", "bank_unrecorded", "payment_not_in_bank"}  # fmt: skip


def test_differences_within_the_tolerance_exit_0_and_above_it_exit_1(tmp_path: Path) -> None:
    folder = copy_of(tmp_path)
    (folder / "erp_balances.csv").write_text("customer_id,balance\nACME,300.01\nBOLT,2400.00\n")
    over = run("reconcile", "--ledger", str(folder), "--format", "csv")
    assert over.returncode == 1
    rows = list(csv.DictReader(io.StringIO(over.stdout)))
    assert [(r["class"], r["customer_id"], r["documents"], r["amount"]) for r in rows] == [
        ("balance_mismatch", "ACME", "INV-102", "0.01")
    ]
    within = run("reconcile", "--ledger", str(folder), "--tolerance", "0.01", "--format", "json")
    assert within.returncode == 0
    assert as_json(within)["summary"]["within_tolerance"] == 1


def test_an_unreadable_amount_exits_2_naming_file_line_and_column(tmp_path: Path) -> None:
    folder = copy_of(tmp_path)
    (folder / "erp_balances.csv").write_text("customer_id,balance\nACME,300.00\nBOLT,\"2,400.00\"\n")
    result = run("reconcile", "--ledger", str(folder), "--format", "json")
    assert result.returncode == 2
    assert "erp_balances.csv line 3, column balance" in result.stderr
    assert result.stdout == ""
    append(folder / "invoices.csv", "INV-9,INV,ACME,2026-13-01,2026-11-30,EUR,5.00,5.00,,,")
    result = run("reconcile", "--ledger", str(folder))
    assert result.returncode == 2 and "invoices.csv line 6, column invoice_date" in result.stderr


def test_the_table_names_each_difference_and_what_was_checked(tmp_path: Path) -> None:
    folder = copy_of(tmp_path)
    (folder / "gl_control.csv").write_text("account,balance\n1400,2000.00\n")
    result = run("reconcile", "--ledger", str(folder))
    assert result.returncode == 1
    assert "gl_control_difference" in result.stdout and "-700.00 EUR" in result.stdout
    assert "Checked: customers 2" in result.stdout


def test_store_mode_reconciles_the_pulled_replica_against_the_folder_erp_and_gates_on_tolerance(tmp_path: Path) -> None:
    assert run("init", "--erp", "files", "--dir", str(tmp_path)).returncode == 0
    shutil.rmtree(tmp_path / "ledger", ignore_errors=True)
    shutil.copytree(CONSISTENT, tmp_path / "ledger")
    config = str(tmp_path / "creditbridge.toml")
    assert run("pull", "--config", config).returncode == 0
    agreed = run("reconcile", "--config", config, "--format", "json")
    assert agreed.returncode == 0, agreed.stderr
    assert "ledger: customer balances as the ERP reports them (2)" in as_json(agreed)["summary"]["notes"]

    (tmp_path / "ledger" / "erp_balances.csv").write_text("customer_id,balance\nACME,300.00\nBOLT,2400.04\n")
    differs = run("reconcile", "--config", config, "--connection", "ledger", "--format", "json")
    assert differs.returncode == 1
    assert [(d["class"], d["customer_id"], d["amount"]) for d in as_json(differs)["differences"]] == [
        ("balance_mismatch", "BOLT", D("0.04"))
    ]
    toml = Path(config).read_text().replace("tolerance = 0 ", "tolerance = 0.05 ")
    Path(config).write_text(toml)
    assert run("reconcile", "--config", config).returncode == 0
    assert run("reconcile", "--config", config, "--connection", "nope").returncode == 2

    store = f"sqlite:///{tmp_path / 'creditbridge.db'}"
    result = run("statements", "--customer", "BOLT", "--from", "2026-10-01", "--to", "2026-11-30", "--out",
                 str(tmp_path / "st"), "--store", store)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Amount due: 2,400.00 EUR" in (tmp_path / "st" / "statement_BOLT_2026-10-01_2026-11-30.html").read_text()


def test_a_statement_that_cannot_be_read_exits_2_and_says_which_file(tmp_path: Path) -> None:
    bad = tmp_path / "bank.xml"
    bad.write_text("<Document><BkToCstmrStmt><Stmt><Ntry><Amt Ccy='EUR'>12,50</Amt>")
    result = run("reconcile", "--ledger", str(CONSISTENT), "--statement", str(bad), "--format", "json")
    assert result.returncode == 2
    assert "the bank statement cannot be read" in result.stderr and "bank.xml" in result.stderr
    assert result.stdout == ""


def test_the_xlsx_report_gets_a_reconciliation_sheet_with_the_differences(tmp_path: Path) -> None:
    import openpyxl

    folder = copy_of(tmp_path)
    (folder / "erp_balances.csv").write_text("customer_id,balance\nACME,310.00\nBOLT,2400.00\n")
    out = tmp_path / "ar.xlsx"
    result = run("report", "--ledger", str(folder), "--out", str(out), "--as-of", "2026-11-30", "--reconcile")
    assert result.returncode == 0, result.stderr
    sheet = openpyxl.load_workbook(out)["Reconciliation"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Class", "Customer ID", "Documents", "Currency", "Amount", "Detail"]
    assert rows[1][:5] == ["balance_mismatch", "ACME", "INV-102", "EUR", 10]
    refused = run("report", "--ledger", str(folder), "--out", str(tmp_path / "ar.html"), "--reconcile")
    assert refused.returncode == 2 and not (tmp_path / "ar.html").exists()
