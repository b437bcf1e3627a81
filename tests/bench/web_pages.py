"""Benchmark of the web workspace's pages on the demo company (issue 13: "pages under 300 ms server time").

    .venv/bin/python tests/bench/web_pages.py                    # 300 customers, 30,000 invoices (the demo)
    .venv/bin/python tests/bench/web_pages.py --customers 20000 --invoices 200000 --repeat 5 --keep /tmp/cb20k

Writes the demo company (`generate_sample_company`, as `creditbridge demo` does) into a tmp folder
(or `--keep DIR`, reused when it already holds the store), imports it into a SQLite store, adds one
admin, signs in, stores one credit application through `POST /credit/apply`, and then asks every
page `--repeat` times in process through FastAPI's TestClient (no network). Prints, per page, the
first request (the KPI cache is cold for the first page that needs the KPIs), the median and the
maximum wall time of the others and their process CPU time. A page answering 404 (not built on
the branch being measured) or 403 (a store kept from a run whose user was not an admin) is listed
as skipped. Figures depend on the machine: the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

from creditbridge.adapters.files import read_ledger
from creditbridge.sync.config import Config
from creditbridge.sync.sample_company import generate_sample_company
from creditbridge.sync.service.app import create_app
from creditbridge.sync.store import Store
from creditbridge.sync.web.users import add_user, list_users

AS_OF = date(2026, 3, 31)
APPLICATION = {
    "applicant.name": "Bench Works Ltd", "applicant.type": "private_manufacturer",
    "applicant.years_in_business": "12", "requested_limit.amount": "50000.00", "requested_limit.currency": "USD",
    "financials.period_end": "2025-12-31", "financials.current_assets": "1200000",
    "financials.current_liabilities": "700000", "financials.total_assets": "3000000",
    "financials.total_liabilities": "1500000", "financials.retained_earnings": "900000", "financials.ebit": "450000",
    "financials.sales": "4800000", "financials.book_equity": "1500000",
}  # fmt: skip


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html[:500]
    return found.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--invoices", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--keep", type=Path, help="Keep the ledger and store in DIR (reused when present).")
    args = parser.parse_args()
    with ExitStack() as stack:
        folder = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        folder.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{folder / 'store.db'}"
        fresh = not (folder / "store.db").exists()
        if fresh:
            generate_sample_company(folder / "ledger", customers=args.customers, invoices=args.invoices, as_of=AS_OF)
        store = stack.enter_context(Store.open(url))
        if fresh:
            store.import_ledger(read_ledger(folder / "ledger"), source="files")
        if "bench" not in {u.username for u in list_users(store.engine)}:
            add_user(store.engine, "bench", "bench-password", "admin", actor="bench")
        client = TestClient(create_app(Config(store_url=url), store=store))
        client.post("/login", data={"username": "bench", "password": "bench-password",
                                    "csrf": csrf_of(client.get("/login").text)})  # fmt: skip
        applied = client.post("/credit/apply", data={**APPLICATION, "csrf": csrf_of(client.get("/credit/apply").text)})
        decision = re.search(r'href="/credit/decisions/(\d+)"', applied.text)
        customer = store.load_ledger("files").customers[0].customer_id
        pages = {
            "dashboard": f"/dashboard?as_of={AS_OF}",
            "customers": f"/customers?as_of={AS_OF}",
            "customers q=": f"/customers?as_of={AS_OF}&q=a&sort=name",
            "customers p.9": f"/customers?as_of={AS_OF}&page=9",
            "customers.csv": f"/customers.csv?as_of={AS_OF}",
            "customers.xlsx": f"/customers.xlsx?as_of={AS_OF}",
            "customer 360": f"/customers/{customer}?as_of={AS_OF}",
            "approvals": "/approvals",
            "approvals.xlsx": "/approvals.xlsx",
            "cashapp": "/cashapp",
            "credit/apply": "/credit/apply",
            "credit/decisions": "/credit/decisions",
            "credit/decisions.xlsx": "/credit/decisions.xlsx",
            "credit/decision": f"/credit/decisions/{decision.group(1) if decision else 'none'}",
            "collections": f"/collections?as_of={AS_OF}",
            "collections.xlsx": f"/collections.xlsx?as_of={AS_OF}",
            "conflicts": "/conflicts",
            "conflicts.xlsx": "/conflicts.xlsx",
            "admin/users": "/admin/users",
        }
        print(f"{store.load_columns().n_items:,} open items; load average {os.getloadavg()[0]:.2f}")
        print(f"{'page':<24}{'first ms':>9}{'median ms':>11}{'max ms':>9}{'CPU ms':>9}")
        for name, path in pages.items():
            walls, cpus = [], []
            for _ in range(args.repeat + 1):
                cpu, wall = time.process_time(), time.perf_counter()
                response = client.get(path)
                walls.append((time.perf_counter() - wall) * 1000)
                cpus.append((time.process_time() - cpu) * 1000)
                if response.status_code in (403, 404):
                    break
                assert response.status_code == 200, (path, response.status_code, response.text[:300])
            if response.status_code in (403, 404):
                why = "not built on this branch" if response.status_code == 404 else "not allowed to this user"
                print(f"{name:<24}  skipped: {path} answers {response.status_code} ({why})")
                continue
            first, rest = walls[0], walls[1:]
            print(f"{name:<24}{first:>9.0f}{statistics.median(rest):>11.0f}{max(rest):>9.0f}"
                  f"{statistics.median(cpus[1:]):>9.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
