"""Reconciliation and statements at size: `creditbridge reconcile --ledger` and one statement.

Run from the repository root:
    .venv/bin/python tests/bench/reconcile_bench.py --invoices 100000
It generates a sample company (cached in tests/bench/data/reconcile-<n>/, gitignored), writes an
erp_balances.csv and gl_control.csv that agree with it, and times: the lenient read, the checks
(core.reconcile), the whole command end to end (a subprocess, as a user runs it), and one
customer's statement (HTML + PDF) of the largest customer over three months.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

from creditbridge.core.reconcile import reconcile
from creditbridge.core.statement import account_statement
from creditbridge.sync.reconcile_job import ledger_folder_input
from creditbridge.sync.reports.statement_document import write_statement
from creditbridge.sync.sample_company import generate_sample_company

DATA = Path(__file__).resolve().parent / "data"
AS_OF = date(2025, 6, 30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=100_000)
    args = parser.parse_args()
    folder = DATA / f"reconcile-{args.invoices}"
    if not (folder / "invoices.csv").exists():
        generate_sample_company(folder, customers=max(args.invoices // 100, 10), invoices=args.invoices, as_of=AS_OF)
    started = time.perf_counter()
    inputs = ledger_folder_input(folder, None)
    read_s = time.perf_counter() - started
    ledger = inputs.ledger
    if not (folder / "erp_balances.csv").exists():
        per_customer: dict[str, Decimal] = defaultdict(Decimal)
        for item in ledger.items:
            per_customer[item.customer_id] += item.open_amount.amount
        (folder / "erp_balances.csv").write_text(
            "customer_id,balance\n" + "".join(f"{c},{b}\n" for c, b in per_customer.items())
        )
    inputs = ledger_folder_input(folder, None)
    started = time.perf_counter()
    result = reconcile(inputs)
    check_s = time.perf_counter() - started
    cli = str(Path(sys.executable).parent / "creditbridge")
    started = time.perf_counter()
    subprocess.run([cli, "reconcile", "--ledger", str(folder), "--format", "json"], capture_output=True, check=False)
    e2e_s = time.perf_counter() - started
    counts: dict[str, int] = defaultdict(int)
    for item in ledger.items:
        counts[item.customer_id] += 1
    biggest = max(counts, key=lambda c: counts[c])
    started = time.perf_counter()
    statement = account_statement(ledger, biggest, date(2025, 4, 1), AS_OF)
    write_statement(statement, "Bench Co.", DATA / "statements")
    statement_s = time.perf_counter() - started
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"ledger: {len(ledger.items):,} documents, {len(ledger.payments):,} payments, {len(ledger.customers):,} customers")
    print(f"differences: {result.summary()['by_class']}")
    print(f"lenient read + records: {read_s:.2f} s")
    print(f"checks (core.reconcile): {check_s:.2f} s")
    print(f"reconcile --ledger --format json, end to end: {e2e_s:.2f} s")
    print(f"one statement ({len(statement.lines)} lines), HTML + PDF: {statement_s:.2f} s")
    print(f"peak memory of this process: {peak_gb:.2f} GB")


if __name__ == "__main__":
    main()
