"""`kill -9` a pull anywhere, run it again: nothing missing, nothing twice, at most one page re-read.

Each scenario is a real child process (`sys.executable -c DRIVER`) pulling from an `InMemoryErp`
whose state lives in a file, killed with SIGKILL by `CREDITBRIDGE_CRASH_AT=<point>@N` (the N-th
time the point is reached, pages counted over all entities); then a rerun pulls to
completion in the test's own process (a fresh ERP object and store connection: nothing of the
child survives but its files and database). Both count every `read_changes` call (entity, since,
page token) - the child in a file, before making it - so the test counts the pages fetched again.

Crash points (creditbridge.sync.pull.job): `pull.page_fetched` (page read, nothing written),
`pull.page_written` (rows and cursor written, transaction not committed), `pull.page_committed`,
`pull.sweep_done`. Expected re-fetches: 1 for the first two, 0 for the others.

Scenarios run on one store per database, each as its own connection (source) with its own ERP
file; the children run two at a time. The seeded random choice of points and pages is printed with the figures.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from creditbridge.adapters.memory import InMemoryErp
from creditbridge.core.model import (
    Application,
    CreditProfile,
    Customer,
    DocType,
    Ledger,
    OpenItem,
    Order,
    Payment,
    WriteOff,
)
from creditbridge.core.money import Money
from creditbridge.core.ports import ChangePage, Entity
from creditbridge.sync.crashpoints import CRASH_AT_ENV
from creditbridge.sync.pull import pull
from creditbridge.sync.store import Store, schema
from creditbridge.sync.store.pull_tables import credit_profiles

SEED = 20261123
SCENARIOS_PER_DATABASE = 9
PAGE_SIZE = 7
PAGES = 12  # customers 2, credit_profiles 2, open_items 4, payments 2, orders 1, writeoffs 1
POINTS = ("pull.page_fetched", "pull.page_written", "pull.page_committed", "pull.sweep_done")
REFETCH_EXPECTED = {"pull.page_fetched": 1, "pull.page_written": 1, "pull.page_committed": 0, "pull.sweep_done": 0}

DRIVER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from creditbridge.adapters.memory import InMemoryErp
    from creditbridge.sync.pull import pull
    from creditbridge.sync.store import Store

    state_path, store_url, connection, calls_path, page_size = sys.argv[1:6]
    erp = InMemoryErp(page_size=int(page_size), state_path=Path(state_path))

    class CountingReader:
        capabilities = erp.capabilities
        erp_name = erp.erp_name

        def read_changes(self, entity, since, page_token=None):
            with open(calls_path, "a", encoding="utf-8") as log:
                log.write(json.dumps([entity.value, since and since.isoformat(), page_token]) + "\\n")
            return erp.read_changes(entity, since, page_token)

    with Store.open(store_url) as store:
        pull(store, connection, CountingReader())
    """
)


def company() -> Ledger:
    """54 records: 8 customers and profiles, 24 items, 8 payments (16 applications), 4 orders, 2 write-offs."""
    customers, profiles, items, payments, orders, writeoffs = [], [], [], [], [], []
    for c in range(1, 9):
        cid, cur = f"C{c:03d}", ("EUR" if c % 3 == 0 else "USD")
        customers.append(Customer(cid, f"Customer {c}", cur))
        profiles.append(CreditProfile(cid, Money(Decimal(f"{c * 1000}.50"), cur), on_hold=c == 2))
        for i in range(1, 4):
            amount = Money(Decimal(f"{c * 100 + i}.{i:02d}"), cur)
            items.append(
                OpenItem(f"INV-{c:03d}-{i}", DocType.INVOICE, cid, date(2026, 1, i), date(2026, 2, i), amount, amount)
            )
        half = Money(Decimal(f"{c * 5}.005"), cur)
        payments.append(
            Payment(f"PAY-{c:03d}", cid, date(2026, 1, 20), Money(Decimal(f"{c * 10}.01"), cur), None, (
                Application(f"PAY-{c:03d}", f"INV-{c:03d}-1", half, date(2026, 1, 20)),
                Application(f"PAY-{c:03d}", f"INV-{c:03d}-2", half, date(2026, 1, 20)),
            ))
        )  # fmt: skip
        if c % 2:
            orders.append(Order(f"SO-{c:03d}", cid, date(2026, 1, 25), Money(Decimal("99.99"), cur)))
        if c % 4 == 0:
            writeoffs.append(WriteOff(f"INV-{c:03d}-3", date(2026, 1, 30), Money(Decimal("1.23"), cur)))
    return Ledger(tuple(customers), tuple(profiles), tuple(items), tuple(payments), tuple(writeoffs), tuple(orders))


@dataclass
class Scenario:
    connection: str
    point: str
    nth: int
    folder: Path
    crash_returncode: int | None = None
    crash_calls: list[tuple[Any, ...]] | None = None
    resume_calls: list[tuple[Any, ...]] | None = None
    stderr: str = ""

    @property
    def erp_file(self) -> Path:
        return self.folder / "erp.json"

    @property
    def refetched(self) -> int:
        assert self.crash_calls is not None and self.resume_calls is not None
        return len(set(self.crash_calls) & set(self.resume_calls))


def scenarios(tmp_path: Path, rng: random.Random, n: int) -> list[Scenario]:
    found = []
    for i in range(n):
        point = POINTS[i % len(POINTS)] if i < len(POINTS) else rng.choice(POINTS)
        nth = rng.randint(1, 6 if point == "pull.sweep_done" else PAGES)
        folder = tmp_path / f"erp{i:02d}"
        folder.mkdir()
        found.append(Scenario(f"erp{i:02d}", point, nth, folder))
    return found


def run_child(
    scenario: Scenario, store_url: str, calls: Path, crash_at: str | None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != CRASH_AT_ENV}
    if crash_at:
        env[CRASH_AT_ENV] = crash_at
    args = [str(scenario.erp_file), store_url, scenario.connection, str(calls), str(PAGE_SIZE)]
    return subprocess.run([sys.executable, "-c", DRIVER, *args], env=env, capture_output=True, text=True, timeout=120)


def read_calls(path: Path) -> list[tuple[Any, ...]]:
    if not path.exists():
        return []
    return [tuple(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]


def crash(scenario: Scenario, store_url: str) -> Scenario:
    crashed = run_child(scenario, store_url, scenario.folder / "crash.jsonl", f"{scenario.point}@{scenario.nth}")
    scenario.crash_returncode = crashed.returncode
    scenario.stderr = crashed.stderr[-3000:]
    scenario.crash_calls = read_calls(scenario.folder / "crash.jsonl")
    return scenario


class CountingReader:
    """The ERP of a scenario, reopened from its file, with its read_changes calls counted."""

    def __init__(self, scenario: Scenario) -> None:
        self.erp = InMemoryErp(page_size=PAGE_SIZE, state_path=scenario.erp_file)
        self.capabilities = self.erp.capabilities
        self.erp_name = self.erp.erp_name
        self.calls: list[tuple[Any, ...]] = []

    def read_changes(self, entity: Entity, since: datetime | None, page_token: str | None = None) -> ChangePage:
        self.calls.append((entity.value, since and since.isoformat(), page_token))
        return self.erp.read_changes(entity, since, page_token)


def replica_state(store: Store, source: str) -> dict[str, Any]:
    ledger = store.load_ledger(source)
    return {
        "customers": set(ledger.customers),
        "profiles": set(ledger.profiles),
        "items": set(ledger.items),
        "payments": {(p.payment_id, p.amount, frozenset(Counter(p.applications).items())) for p in ledger.payments},
        "orders": set(ledger.orders),
        "writeoffs": Counter(ledger.writeoffs),
    }


def erp_state(erp: InMemoryErp) -> dict[str, Any]:
    def live(entity: Entity) -> list[Any]:
        return list(erp.records(entity).values())

    return {
        "customers": set(live(Entity.CUSTOMERS)),
        "profiles": set(live(Entity.CREDIT_PROFILES)),
        "items": set(live(Entity.OPEN_ITEMS)),
        "payments": {
            (p.payment_id, p.amount, frozenset(Counter(p.applications).items())) for p in live(Entity.PAYMENTS)
        },
        "orders": set(live(Entity.ORDERS)),
        "writeoffs": Counter(live(Entity.WRITEOFFS)),
    }


def version_counts(store: Store, source: str) -> dict[str, tuple[int, int]]:
    """Per table: (all version rows, current rows) of the source."""
    with store.engine.connect() as conn:
        return {
            t.name: (
                conn.execute(sa.select(sa.func.count()).where(t.c.source == source)).scalar_one(),
                conn.execute(
                    sa.select(sa.func.count()).where(t.c.source == source, t.c.valid_to.is_(None))
                ).scalar_one(),
            )
            for t in (*schema.REPLICA_TABLES, credit_profiles)
        }


EXPECTED_ROWS = {
    "customers": 8, "credit_profiles": 8, "open_items": 24, "payments": 8, "applications": 16, "orders": 4, "writeoffs": 2,
}  # fmt: skip


def test_a_pull_killed_anywhere_resumes_with_nothing_missing_nothing_twice_and_one_page_refetched(
    store_url: str, tmp_path: Path
) -> None:
    started = time.perf_counter()
    rng = random.Random(SEED + (0 if store_url.startswith("sqlite") else 1))
    with Store.open(store_url):
        pass  # migrate once, before the children race to
    plan = scenarios(tmp_path, rng, SCENARIOS_PER_DATABASE)
    for scenario in plan:
        InMemoryErp.from_ledger(company(), page_size=PAGE_SIZE, state_path=scenario.erp_file)

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(lambda s: crash(s, store_url), plan))

    with Store.open(store_url) as store:
        for s in done:
            reader = CountingReader(s)
            pull(store, s.connection, reader)
            s.resume_calls = reader.calls
        figures = [(s.connection, f"{s.point}@{s.nth}", s.refetched) for s in done]
        print(f"\n{store_url.split(':')[0]}: {len(done)} crashes in {time.perf_counter() - started:.1f} s; "
              f"(connection, crash, re-fetched pages): {figures}")  # fmt: skip
        for s in done:
            context = f"{s.connection} killed at {s.point}@{s.nth}:\n{s.stderr}"
            assert s.crash_returncode == -signal.SIGKILL, context
            erp = InMemoryErp(page_size=PAGE_SIZE, state_path=s.erp_file)
            assert replica_state(store, s.connection) == erp_state(erp), context  # nothing missing or extra
            # Nothing twice: the ERP never changed, so every record has exactly one version, current.
            assert version_counts(store, s.connection) == {t: (n, n) for t, n in EXPECTED_ROWS.items()}, context
            assert s.refetched == REFETCH_EXPECTED[s.point], (context, s.crash_calls, s.resume_calls)

        before = {s.connection: version_counts(store, s.connection) for s in done[:3]}
        for s in done[:3]:  # and a further run writes nothing
            again = pull(store, s.connection, InMemoryErp(page_size=PAGE_SIZE, state_path=s.erp_file))
            assert again.rows_written == 0
            assert version_counts(store, s.connection) == before[s.connection]
