"""How long the dunning plan and the worklist take on a sample company (not a timed test).

    .venv/bin/python tests/bench/collections_plan.py --invoices 100000 --customers 1000

Steps: read and validate the ledger folder, turn it into core records (`to_ledger`), the plan
(`plan_dunning`, default policy), the worklist. The sample company is generated once into
tests/bench/data/ (gitignored).
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

from creditbridge.adapters.files import read_ledger
from creditbridge.core.collections import build_worklist, default_policy, plan_dunning
from creditbridge.sync.sample_company import generate_sample_company

AS_OF = date(2026, 9, 30)
DATA = Path(__file__).resolve().parent / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=1_000)
    args = parser.parse_args()
    folder = DATA / f"collections-{args.invoices}-c{args.customers}-{AS_OF}"
    if not (folder / "invoices.csv").exists():
        generate_sample_company(folder, customers=args.customers, invoices=args.invoices, as_of=AS_OF)

    start = time.perf_counter()
    tables = read_ledger(folder)
    read = time.perf_counter()
    ledger = tables.to_ledger()
    records = time.perf_counter()
    policy = default_policy()
    plan = plan_dunning(ledger, AS_OF, policy)
    planned = time.perf_counter()
    worklist = build_worklist(ledger, AS_OF, policy, plan)
    done = time.perf_counter()
    print(f"{len(ledger.items):,} invoices, {len(ledger.payments):,} payments, {len(ledger.customers):,} customers")
    print(f"read ledger      {read - start:7.2f} s")
    print(f"to records       {records - read:7.2f} s")
    print(
        f"plan             {planned - records:7.2f} s  ({len(plan.messages):,} messages, {len(plan.skipped):,} skipped)"
    )
    print(f"worklist         {done - planned:7.2f} s  ({len(worklist):,} rows)")


if __name__ == "__main__":
    main()
