"""Benchmark of the order-time credit check on a large SQLite store (issue 7, "Order-time credit check").

    .venv/bin/python tests/bench/credit_check.py                  # 100k customers, 1M open items, 200k orders
    .venv/bin/python tests/bench/credit_check.py --checks 20000 --http-seconds 10 --rate 200

Builds (once; reused from tests/bench/data/credit/) a store of `--customers` customers with a credit
limit, `--items` open items (invoices and some credit memos, all with an open amount, a share past due)
and `--orders` open orders, written straight into the replica tables of a migrated store. Then:
(a) in process: `Store.exposure_view` (indexed sums) + `core.credit.check_order_in`, the
    path of `creditbridge credit check --store` and POST /credit/check, for `--checks` random customers;
    p50 / p99 / max wall time per check, and p50 / p99 of the thread's CPU time (what the check costs when
    the machine is shared and the wall time includes waiting for a core);
(b) over HTTP: `creditbridge serve` on 127.0.0.1 (a subprocess), POST /credit/check paced at `--rate`
    checks/s for `--http-seconds` seconds from 4 keep-alive clients on fixed schedules (an open loop);
    p50 / p99 / max latency (client-measured, request sent to answer read), the rate achieved, and the
    server's CPU time per check.
Bounded loops, loopback only. Figures depend on the machine: the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx

from creditbridge.core.credit import check_order_in
from creditbridge.sync.store import Store

DATA = Path(__file__).parent / "data" / "credit"
AS_OF = date(2025, 6, 30)
SOURCE = "bench"
CLIENTS = 4
"""HTTP clients sending in parallel, each on its own schedule (an open loop: a slow answer does not delay the next)."""


def build(db: Path, customers: int, items: int, orders: int, seed: int) -> None:
    """Write the store: migrate with Store.open, then bulk-insert current rows (valid_from 1, valid_to NULL)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    db.unlink(missing_ok=True)
    Store.open(f"sqlite:///{db}").close()
    rng = random.Random(seed)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    unit = 10_000  # core.money UNITS_PER_MAJOR
    conn.executemany(
        "INSERT INTO customers (source, customer_id, name, parent_id, currency, payment_terms_days, credit_limit, "
        "on_hold, risk_class, content_hash, valid_from) VALUES (?, ?, ?, ?, 'USD', 30, ?, ?, NULL, 0, 1)",
        (
            (SOURCE, f"C{i:06d}", f"Customer {i}", f"C{i - i % 10:06d}" if i % 10 else None,
             rng.randrange(5, 200) * 1000 * unit if i % 50 else None, i % 97 == 0)
            for i in range(customers)
        ),
    )  # fmt: skip

    def item_rows():  # type: ignore[no-untyped-def]
        for n in range(items):
            customer = f"C{rng.randrange(customers):06d}"
            invoiced = AS_OF - timedelta(days=rng.randrange(0, 120))
            due = invoiced + timedelta(days=30)
            amount = rng.randrange(100, 500_000) * 100
            credit_memo = n % 25 == 0
            value = -amount if credit_memo else amount
            yield (SOURCE, f"I{n:07d}", "CM" if credit_memo else "INV", customer, invoiced.isoformat(),
                   due.isoformat(), "USD", value, value)  # fmt: skip

    conn.executemany(
        "INSERT INTO open_items (source, item_id, doc_type, customer_id, invoice_date, due_date, currency, amount, "
        "open_amount, content_hash, valid_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 1)",
        item_rows(),
    )
    conn.executemany(
        "INSERT INTO orders (source, order_number, customer_id, order_date, currency, amount, status, content_hash, "
        "valid_from) VALUES (?, ?, ?, ?, 'USD', ?, 'open', 0, 1)",
        (
            (SOURCE, f"SO{n:07d}", f"C{rng.randrange(customers):06d}",
             (AS_OF - timedelta(days=rng.randrange(0, 30))).isoformat(), rng.randrange(100, 200_000) * 100)
            for n in range(orders)
        ),
    )  # fmt: skip
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def in_process(url: str, customers: int, checks: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed + 1)
    ids = [f"C{rng.randrange(customers):06d}" for _ in range(checks)]
    took: list[float] = []
    cpu: list[float] = []
    decisions: dict[str, int] = {}
    with Store.open(url) as store:
        for cid in ids[:200]:  # warm the pool and the page cache
            check_order_in(store.exposure_view(cid, AS_OF, SOURCE) or _missing(cid), cid, Decimal("1000"), None, AS_OF)
        for cid in ids:
            start, start_cpu = time.perf_counter(), time.thread_time()
            view = store.exposure_view(cid, AS_OF, SOURCE)
            decision = check_order_in(view or _missing(cid), cid, Decimal("1000"), None, AS_OF)
            took.append(time.perf_counter() - start)
            cpu.append(time.thread_time() - start_cpu)
            decisions[decision.decision] = decisions.get(decision.decision, 0) + 1
    ms = [t * 1000 for t in took]
    cpu_ms = [t * 1000 for t in cpu]
    print(f"  decisions: {decisions}")
    return {"p50_ms": statistics.median(ms), "p99_ms": percentile(ms, 99), "max_ms": max(ms), "checks": len(ms),
            "cpu_p50_ms": statistics.median(cpu_ms), "cpu_p99_ms": percentile(cpu_ms, 99)}  # fmt: skip


def _missing(cid: str):  # type: ignore[no-untyped-def]
    raise SystemExit(f"customer {cid} missing from the bench store")


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc; 0 elsewhere), to tell cost from waiting for a core."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def over_http(db: Path, customers: int, seconds: float, rate: float, seed: int) -> dict[str, float]:
    folder = db.parent
    config = folder / "creditbridge.toml"
    config.write_text(f'store_url = "sqlite:///{db}"\nlog_level = "warning"\n')
    port = free_port()
    cli = str(Path(sys.executable).parent / "creditbridge")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITBRIDGE_")}
    server = subprocess.Popen([cli, "serve", "--config", str(config), "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    took: list[float] = []
    failures: list[str] = []
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=5) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if client.get("/health").status_code < 500:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(f"creditbridge serve did not start: {server.stderr.read() if server.stderr else ''}")
                time.sleep(0.1)
            body = {"customer_id": "C000001", "amount": "1000.00", "as_of": AS_OF.isoformat()}
            for _ in range(200):  # warm up
                client.post("/credit/check", json=body)
        # open loop: `CLIENTS` keep-alive clients, each sending on its own fixed schedule of rate / CLIENTS per second
        total = int(seconds * rate)
        interval = CLIENTS / rate
        started = time.perf_counter() + 0.1

        def client_loop(index: int) -> None:
            rng = random.Random(seed + 2 + index)
            with httpx.Client(base_url=base, timeout=5) as client:
                for n in range(index, total, CLIENTS):
                    pause = started + (n // CLIENTS) * interval + index * interval / CLIENTS - time.perf_counter()
                    if pause > 0:
                        time.sleep(pause)
                    body = {"customer_id": f"C{rng.randrange(customers):06d}", "amount": "1000.00",
                            "as_of": AS_OF.isoformat()}  # fmt: skip
                    sent = time.perf_counter()
                    response = client.post("/credit/check", json=body)
                    took.append(time.perf_counter() - sent)
                    if response.status_code != 200:
                        failures.append(f"{response.status_code} {response.text}")

        cpu_before = server_cpu_seconds(server.pid)
        threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        server_cpu = server_cpu_seconds(server.pid) - cpu_before
    finally:
        server.terminate()
        server.wait(30)
    if failures:
        raise SystemExit(f"POST /credit/check failed {len(failures)} times, e.g. {failures[0]}")
    ms = [t * 1000 for t in took]
    return {"p50_ms": statistics.median(ms), "p99_ms": percentile(ms, 99), "max_ms": max(ms),
            "rate_per_s": len(ms) / elapsed, "checks": len(ms),
            "server_cpu_ms_per_check": server_cpu * 1000 / len(ms)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--checks", type=int, default=20_000)
    parser.add_argument("--http-seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--json", type=Path, help="Also save the figures as JSON here.")
    args = parser.parse_args()
    db = DATA / f"credit-{args.customers}-{args.items}-{args.orders}-{args.seed}.db"
    if args.regenerate or not db.exists():
        print(f"building {db.name} ...", flush=True)
        start = time.perf_counter()
        build(db, args.customers, args.items, args.orders, args.seed)
        print(f"  built in {time.perf_counter() - start:.1f} s")
    print(f"machine: {os.cpu_count()} cpus, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results: dict[str, dict[str, float]] = {}
    print(f"(a) in process, {args.checks} checks:", flush=True)
    results["in_process"] = in_process(f"sqlite:///{db}", args.customers, args.checks, args.seed)
    print("  " + ", ".join(f"{k} {v:.3f}" for k, v in results["in_process"].items()))
    if not args.skip_http:
        print(f"(b) over HTTP at {args.rate:g} checks/s for {args.http_seconds:g} s:", flush=True)
        results["http"] = over_http(db, args.customers, args.http_seconds, args.rate, args.seed)
        print("  " + ", ".join(f"{k} {v:.3f}" for k, v in results["http"].items()))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
