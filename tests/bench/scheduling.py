"""Jobs per minute on Celery workers over PostgreSQL + Redis, for many simulated companies.

Each company is a connection to a simulated ERP (`erp = "memory"`, its state in a file) seeded
from one sample company (`generate_sample_company`, cached in tests/bench/data/). Real
`creditbridge worker` processes take run ids from Redis and claim runs and leases in a fresh
PostgreSQL database; the benchmark enqueues one run per company, the way `creditbridge schedule
--celery` does (`leases.enqueue` + `send`), and times each round until every run has ended:

    0. noop                   a job doing nothing: what claiming, leasing and recording cost
    1. plan, first use        reads only; each simulated ERP seeds itself from the ledger
    2. pull, first load       every company's customers, items, payments, orders into the store
    3. run (the whole cycle)  pull (no changes) → review holds → plan → push the holds to the ERP
    4. pull, nothing changed  the steady state of a frequent schedule

    .venv/bin/python tests/bench/scheduling.py                       # 50 companies, 2 workers
    .venv/bin/python tests/bench/scheduling.py --rounds noop,pull        # some rounds only
    .venv/bin/python tests/bench/scheduling.py --companies 200 --workers 4 --customers 100 --invoices 2000

Needs PostgreSQL (127.0.0.1:5432, trust auth, database `test`) and Redis (127.0.0.1:6379).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from creditbridge.sync.config import load_config
from creditbridge.sync.sample_company import generate_sample_company
from creditbridge.sync.scheduling import leases
from creditbridge.sync.scheduling.celery_app import make_app, send
from creditbridge.sync.scheduling.registry import JobContext, JobResult
from creditbridge.sync.store import Store

DATA = Path(__file__).parent / "data"
CREDITBRIDGE = str(Path(sys.executable).parent / "creditbridge")
ROUNDS = {
    "noop": ("a job that does nothing: claim, lease, heartbeat, record", "noop"),
    "plan": ("plan, first use (builds each simulated ERP from the ledger)", "plan"),
    "pull": ("pull, first load", "pull"),
    "run": ("run: pull, review, plan, push", "run"),
    "pull-again": ("pull, nothing changed", "pull"),
}


def noop_job(ctx: JobContext) -> JobResult:
    """The benchmark's empty job (run by the workers as `[schedule.extra_jobs] noop`)."""
    return JobResult("ok", "nothing")


def ledger(customers: int, invoices: int) -> Path:
    folder = DATA / f"scheduling-{customers}c-{invoices}i"
    if not (folder / "invoices.csv").exists():
        folder.mkdir(parents=True, exist_ok=True)
        generate_sample_company(folder, customers=customers, invoices=invoices, as_of=date(2026, 11, 30), seed=11)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--companies", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="worker processes (each --concurrency 1)")
    parser.add_argument("--customers", type=int, default=40, help="customers per company")
    parser.add_argument("--invoices", type=int, default=400, help="invoices per company")
    parser.add_argument("--admin-url", default="postgresql+psycopg://root@127.0.0.1:5432/test")
    parser.add_argument("--broker", default=f"redis://127.0.0.1:6379/{random.randint(1, 15)}")
    parser.add_argument("--rounds", default=",".join(ROUNDS), help=f"some of {', '.join(ROUNDS)}, in order")
    args = parser.parse_args()

    seed = ledger(args.customers, args.invoices)
    database = f"cb_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
    store_url = sa.make_url(args.admin_url).set(database=database).render_as_string(hide_password=False)
    folder = Path(tempfile.mkdtemp(prefix="cb-bench-scheduling-", dir=DATA))
    queue = f"cb-bench-{uuid.uuid4().hex[:8]}"
    config_path = folder / "creditbridge.toml"
    connections = "".join(
        f'[[connections]]\nname = "co{n:03d}"\nerp = "memory"\n[connections.options]\nstate_path = "erp-{n:03d}.json"\n'
        f'seed_ledger = "{seed}"\n'
        for n in range(args.companies)
    )
    config_path.write_text(
        f'store_url = "{store_url}"\n{connections}[schedule]\nbroker_url = "{args.broker}"\nqueue = "{queue}"\n'
        "lease_seconds = 60\ntask_time_limit = 600\n[schedule.extra_jobs]\nnoop = \"scheduling:noop_job\"\n",
        encoding="utf-8",
    )
    config = load_config(config_path)
    Store.open(store_url).close()
    app = make_app(config)
    workers = [
        subprocess.Popen([CREDITBRIDGE, "worker", "--config", str(config_path), "--concurrency", "1", "--loglevel",
                          "error"], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)})
        for _ in range(args.workers)
    ]  # fmt: skip
    engine = sa.create_engine(store_url)
    print(f"{args.companies} companies ({args.customers} customers, {args.invoices} invoices each), "
          f"{args.workers} workers, broker {args.broker.split('://')[0]}, store PostgreSQL; load {os.getloadavg()[0]:.1f}")
    print("| round | jobs | wall s | jobs/min | job s (median) | job s (p95) |\n|---|---|---|---|---|---|")
    try:
        rounds = [("warm-up", "noop", args.workers), *((*ROUNDS[name], args.companies)
                                                        for name in args.rounds.split(","))]  # fmt: skip
        for number, (label, job, companies) in enumerate(rounds):
            slot = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=number)
            started = time.monotonic()
            ids = []
            for n in range(companies):
                run_id = leases.enqueue(engine, f"co{n:03d}", job, slot, datetime.now(UTC))
                assert run_id is not None
                ids.append(run_id)
                send(app, run_id)
            while True:
                with engine.connect() as conn:
                    rows = conn.execute(sa.text("SELECT status, duration_seconds FROM job_runs WHERE slot = :s"),
                                        {"s": slot.replace(tzinfo=None)}).all()  # fmt: skip
                if all(status in leases.FINISHED for status, _ in rows) and len(rows) == len(ids):
                    break
                time.sleep(0.1)
            wall = time.monotonic() - started
            if label == "warm-up":  # the workers are up and connected: time the rounds from here
                continue
            durations = sorted(d for _, d in rows)
            outcomes = {s for s, _ in rows}
            p95 = durations[int(0.95 * (len(durations) - 1))]
            print(f"| {label} | {len(ids)} | {wall:.1f} | {len(ids) / wall * 60:.0f} | "
                  f"{statistics.median(durations):.2f} | {p95:.2f} |" + ("" if outcomes <= {"ok", "attention"}
                                                                         else f" outcomes {sorted(outcomes)}"))
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)
        with app.connection_for_write() as connection:
            connection.default_channel.queue_delete(queue)
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
