"""Benchmark of the web workspace's pages on the demo company (issue 13: "pages under 300 ms server time").

    .venv/bin/python tests/bench/web_pages.py                    # 300 customers, 30,000 invoices (the demo)
    .venv/bin/python tests/bench/web_pages.py --invoices 100000 --customers 2000 --repeat 5

Writes the demo company (`generate_sample_company`, as `creditbridge demo` does) into a tmp folder,
imports it into a SQLite store, adds one approver, signs in, and then asks every page `--repeat`
times in process through FastAPI's TestClient (no network). Prints, per page, the median and the
maximum wall time and the process CPU time per request. Figures depend on the machine: the load
average is printed.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

from creditbridge.adapters.files import read_ledger
from creditbridge.sync.config import Config
from creditbridge.sync.sample_company import generate_sample_company
from creditbridge.sync.service.app import create_app
from creditbridge.sync.store import Store
from creditbridge.sync.web.users import add_user

AS_OF = date(2026, 3, 31)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--invoices", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        generate_sample_company(folder / "ledger", customers=args.customers, invoices=args.invoices, as_of=AS_OF)
        url = f"sqlite:///{folder / 'store.db'}"
        with Store.open(url) as store:
            store.import_ledger(read_ledger(folder / "ledger"), source="files")
            add_user(store.engine, "bench", "bench-password", "approver", actor="bench")
            client = TestClient(create_app(Config(store_url=url), store=store))
            token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
            assert token is not None
            client.post("/login", data={"username": "bench", "password": "bench-password", "csrf": token.group(1)})
            customer = store.load_ledger("files").customers[0].customer_id
            pages = {
                "dashboard": f"/dashboard?as_of={AS_OF}",
                "customers": f"/customers?as_of={AS_OF}",
                "customers.csv": f"/customers.csv?as_of={AS_OF}",
                "customer 360": f"/customers/{customer}?as_of={AS_OF}",
                "approvals": "/approvals",
                "collections": f"/collections?as_of={AS_OF}",
                "collections.xlsx": f"/collections.xlsx?as_of={AS_OF}",
            }
            print(f"{args.customers:,} customers, {args.invoices:,} invoices; load average {os.getloadavg()[0]:.2f}")
            print(f"{'page':<15}{'median ms':>11}{'max ms':>9}{'CPU ms':>9}")
            for name, path in pages.items():
                walls, cpus = [], []
                for _ in range(args.repeat):
                    cpu, wall = time.process_time(), time.perf_counter()
                    response = client.get(path)
                    walls.append((time.perf_counter() - wall) * 1000)
                    cpus.append((time.process_time() - cpu) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
                print(f"{name:<15}{statistics.median(walls):>11.0f}{max(walls):>9.0f}{statistics.median(cpus):>9.0f}")


if __name__ == "__main__":
    main()
