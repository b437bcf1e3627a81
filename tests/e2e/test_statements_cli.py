"""`creditbridge statements` as a user runs it, on tests/fixtures/reconcile/consistent (EUR).

ACME for 2026-11-01..30, worked out by hand: opening balance at 2026-10-31 = INV-101 1,190.00 +
INV-102 800.00 = 1,990.00; payments PAY-1 1,190.00 (11-28) and PAY-2 500.00 (11-29); closing
300.00, which is INV-102's open 300.00, due 2026-11-14: 16 days past due at 11-30 (1–30 days).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader

LEDGER = Path(__file__).resolve().parents[1] / "fixtures" / "reconcile" / "consistent"
CLI = str(Path(sys.executable).parent / "creditbridge")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300)


def test_a_statement_shows_opening_payments_closing_and_aging_in_html_and_pdf(tmp_path: Path) -> None:
    result = run("statements", "--customer", "ACME", "--from", "2026-11-01", "--to", "2026-11-30",
                 "--out", str(tmp_path), "--ledger", str(LEDGER), "--company", "Northwind Supply Co.")  # fmt: skip
    assert result.returncode == 0, result.stderr
    pdf = tmp_path / "statement_ACME_2026-11-01_2026-11-30.pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    for expected in ("Statement of account", "Northwind Supply Co.", "Acme Industrie GmbH", "EUR",
                     "Opening balance", "1,990.00", "PAY-1", "1,190.00", "PAY-2", "500.00",
                     "Closing balance", "300.00", "Amount due: 300.00 EUR", "1-30 days"):  # fmt: skip
        assert expected in text, expected
    assert "INV-201" not in text  # another customer's invoice
    page = (tmp_path / "statement_ACME_2026-11-01_2026-11-30.html").read_text()
    assert "1,990.00" in page and "Amount due: 300.00 EUR" in page and "Acme Industrie GmbH" in page


def test_all_writes_one_statement_per_customer_with_activity(tmp_path: Path) -> None:
    result = run("statements", "--all", "--from", "2026-10-01", "--to", "2026-11-30", "--out", str(tmp_path),
                 "--ledger", str(LEDGER))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.glob("*.pdf")) == [
        "statement_ACME_2026-10-01_2026-11-30.pdf", "statement_BOLT_2026-10-01_2026-11-30.pdf"
    ]
    bolt = "\n".join(p.extract_text() for p in PdfReader(tmp_path / "statement_BOLT_2026-10-01_2026-11-30.pdf").pages)
    assert "Opening balance" in bolt and "0.00" in bolt and "Amount due: 2,400.00 EUR" in bolt


def test_an_unknown_customer_or_reversed_dates_exit_2_and_write_nothing(tmp_path: Path) -> None:
    result = run("statements", "--customer", "NOPE", "--from", "2026-11-01", "--to", "2026-11-30",
                 "--out", str(tmp_path / "out"), "--ledger", str(LEDGER))  # fmt: skip
    assert result.returncode == 2 and "'NOPE' is not in the ledger" in result.stderr
    result = run("statements", "--all", "--from", "2026-12-01", "--to", "2026-11-30",
                 "--out", str(tmp_path / "out"), "--ledger", str(LEDGER))  # fmt: skip
    assert result.returncode == 2
    assert not (tmp_path / "out").exists()
