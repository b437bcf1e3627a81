"""Benchmark (not in CI): rows per second through the Oracle adapter against the EBS simulator.

Seeds the simulator (a SQLite file) with a sample company, then times, per entity, a full sweep
(the first load) and an incremental sweep after 1 % of the open items and receipts changed,
through `OracleErp.read_changes` — the adapter's own SQL, keyset pages, row → record translation.
Prints a markdown table. The ledger is cached in tests/bench/data/ like run.py's.

    .venv/bin/python tests/bench/oracle_read.py --customers 2000 --invoices 200000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from creditbridge.adapters.files import read_ledger
from creditbridge.adapters.oracle.erp import OracleErp
from creditbridge.adapters.oracle.options import OracleOptions
from creditbridge.adapters.oracle.simulator import EbsSimulator
from creditbridge.core.ports import Entity
from creditbridge.sync.sample_company import generate_sample_company

DATA = Path(__file__).resolve().parent / "data"
AS_OF = date(2026, 9, 30)


def sweep(erp: OracleErp, entity: Entity, since: datetime | None) -> tuple[int, int, float]:
    started = time.perf_counter()
    records = pages = 0
    token = None
    while True:
        page = erp.read_changes(entity, since, token)
        records += len(page.changes)
        pages += 1
        token = page.next_page_token
        if token is None:
            return records, pages, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--invoices", type=int, default=200_000)
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()
    folder = DATA / f"oracle-{args.customers}-{args.invoices}"
    if not (folder / "customers.csv").exists():
        generate_sample_company(folder, customers=args.customers, invoices=args.invoices, as_of=AS_OF, seed=7)
    ledger = read_ledger(folder).to_ledger()
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        sim = EbsSimulator(Path(tmp) / "ebs.db", org_id=204)
        started = time.perf_counter()
        sim.seed_ledger(ledger, age=timedelta(days=2))
        seeded = time.perf_counter() - started
        options = OracleOptions(org_id=204, page_size=args.page_size, arraysize=args.page_size, commit_lag=timedelta(0))
        erp = OracleErp(sim, options)
        print(f"seeded {len(ledger.items):,} items, {len(ledger.payments):,} receipts, {len(ledger.orders):,} orders "
              f"of {len(ledger.customers):,} customers in {seeded:.1f} s\n")  # fmt: skip
        print("| entity | sweep | records | pages | DB rows fetched | seconds | records/s |")
        print("|---|---|---|---|---|---|---|")
        total_records, total_seconds = 0, 0.0
        for entity in (Entity.CUSTOMERS, Entity.CREDIT_PROFILES, Entity.OPEN_ITEMS, Entity.PAYMENTS, Entity.ORDERS):
            erp.reader.rows_fetched = 0
            records, pages, seconds = sweep(erp, entity, None)
            total_records, total_seconds = total_records + records, total_seconds + seconds
            print(f"| {entity} | full | {records:,} | {pages:,} | {erp.reader.rows_fetched:,} | {seconds:.2f} | "
                  f"{records / seconds:,.0f} |")  # fmt: skip
        cursor = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
        stamp = sim.stamp()
        sim.db.execute("UPDATE AR_PAYMENT_SCHEDULES_ALL SET LAST_UPDATE_DATE = ? WHERE PAYMENT_SCHEDULE_ID % 100 = 0",
                       (stamp,))  # fmt: skip
        sim.db.execute("UPDATE AR_CASH_RECEIPTS_ALL SET LAST_UPDATE_DATE = ? WHERE CASH_RECEIPT_ID % 100 = 0", (stamp,))
        sim.db.commit()
        for entity in (Entity.OPEN_ITEMS, Entity.PAYMENTS):
            erp.reader.rows_fetched = 0
            records, pages, seconds = sweep(erp, entity, cursor)
            print(f"| {entity} | changes (1 %) | {records:,} | {pages:,} | {erp.reader.rows_fetched:,} | "
                  f"{seconds:.2f} | {records / seconds:,.0f} |")  # fmt: skip
        print(f"\nfull load: {total_records:,} records in {total_seconds:.1f} s, {total_records / total_seconds:,.0f}/s")
        sim.close()


if __name__ == "__main__":
    main()
