"""A write-back job killed with SIGKILL at every outbox crash point loses nothing and applies nothing twice.

The story: finance IT schedules the push job; credit staff request limits, approve, retry, cancel
and resolve conflicts. The machine dies (`kill -9`: no cleanup, no finally) at any point. After it
comes back, the interrupted step runs again, the job runs until nothing is on its way, and the
ERP (an in-memory ERP whose state is a file, so it outlives the killed process) must show every
change applied exactly once, none lost, no person's edit overwritten.

How the processes are real and still fast: one helper process is started with `sys.executable -c`
and imports creditbridge once; for each crash point it forks a child (a real process) that sets
CREDITBRIDGE_CRASH_AT and runs the scenario until `crash_point` kills it with SIGKILL. The test
checks the child died by SIGKILL (so the point was really reached), then recovers in-process.
Each case starts from a copy of one migrated store and one seeded ERP state file.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from creditbridge.adapters.memory import Fault, InMemoryErp
from creditbridge.core.model import CreditProfile, Customer, Ledger
from creditbridge.core.money import Money
from creditbridge.core.writeback import WritebackPolicy
from creditbridge.sync import writeback as wb
from creditbridge.sync.store import Store
from creditbridge.sync.store.engine import create_store_engine
from creditbridge.sync.store.writeback_tables import change_requests, outbox
from creditbridge.sync.writeback.records import OutboxStatus

CONNECTION = "main"
POLICY = WritebackPolicy(increase_approval_threshold=Decimal("1000"))
SETTINGS = wb.DispatchSettings(lease_seconds=0, max_attempts=2, backoff_base_seconds=0)
"""A crashed run's claim is over at once (the next run is 'later'); no waiting between attempts."""

WANTED: dict[str, dict[str, object]] = {
    "C1": {"credit_limit": Decimal("800")},  # a decrease: goes out on its own
    "C2": {"credit_limit": Decimal("1500")},
    "C3": {"on_hold": True},  # a new hold
    "C4": {"credit_limit": Decimal("4500")},  # +500: within the threshold
    "C5": {"credit_limit": Decimal("4000")},  # a person edits C5 in the ERP after the request: conflict
    "C6": {"on_hold": True},  # requested late, then cancelled by a person
}
PERSONS_EDIT = ("C5", Decimal("5200"))
FAULTS = (Fault.UNAVAILABLE, Fault.UNAVAILABLE, Fault.REJECT, Fault.TIMEOUT_AFTER_APPLY, Fault.TIMEOUT_BEFORE_APPLY)
"""The ERP's next writes: down twice (C1 fails for a person, who retries), C1 refused, C2's answer
lost after applying, C3's lost before applying (resent with the same key)."""

STEPS: tuple[tuple[str, ...], ...] = (
    ("request", "C1", "C2", "C3", "C4", "C5"),
    ("person_edits",),
    ("push",),
    ("push",),
    ("retry_failed",),
    ("push",),
    ("request", "C6"),
    ("cancel", "C6"),
    ("resolve", "C5"),
)
"""The day, step by step; every step can run again after a crash (it looks before it acts)."""


def open_world(folder: Path) -> tuple[Store, InMemoryErp]:
    """The case's store (already migrated: the template was) and its ERP."""
    store = Store(create_store_engine(f"sqlite:///{folder / 'store.db'}"))
    return store, InMemoryErp(state_path=folder / "erp.json")


def run_steps(folder: Path, start: int = 0, world: tuple[Store, InMemoryErp] | None = None) -> None:
    """Run the day from step `start`, writing which step is under way before starting it."""
    store, erp = world or open_world(folder)
    try:
        for index in range(start, len(STEPS)):
            (folder / "step").write_text(str(index))
            run_step(store, erp, STEPS[index])
        (folder / "step").write_text(str(len(STEPS)))
    finally:
        if world is None:
            store.close()


def run_step(store: Store, erp: InMemoryErp, step: tuple[str, ...]) -> None:
    action, *customers = step
    rows = {r.customer_id: r for r in wb.list_rows(store.engine, CONNECTION)}
    if action == "request":
        requested = {r.customer_id for r in wb.list_requests(store, CONNECTION, ())}
        for customer in customers:
            if customer not in requested:
                wb.request_profile_change(store, CONNECTION, erp, customer, POLICY, requested_by="alice",
                                          reason="credit review", **WANTED[customer])  # type: ignore[arg-type]  # fmt: skip
    elif action == "person_edits":
        customer, limit = PERSONS_EDIT
        profile = erp.profile(customer)
        if profile is not None and profile.credit_limit == Money.of("5000", "USD"):
            erp.edit_profile(customer, credit_limit=limit)
    elif action == "push":
        wb.dispatch(store, CONNECTION, erp, "push", settings=SETTINGS)
    elif action == "retry_failed":
        for row in wb.list_rows(store.engine, CONNECTION, (OutboxStatus.FAILED,)):
            wb.retry(store.engine, row.id, "carol")
    elif action == "cancel":
        row = rows.get(customers[0])
        if row is not None and row.status is OutboxStatus.PENDING:
            wb.cancel(store.engine, row.id, "carol", reason="paid meanwhile")
    elif action == "resolve":
        row = rows.get(customers[0])
        if row is not None and row.status is OutboxStatus.CONFLICT and row.resolution is None:
            wb.resolve(store, row.id, "erp", "carol")


def recover(folder: Path, world: tuple[Store, InMemoryErp]) -> None:
    """After the crash: the interrupted step runs again, then the job runs until nothing is on its way."""
    start = int((folder / "step").read_text()) if (folder / "step").exists() else 0
    run_steps(folder, start, world)
    store, erp = world
    for _ in range(10):
        active = wb.list_rows(store.engine, CONNECTION, (OutboxStatus.PENDING, OutboxStatus.SENDING,
                                                         OutboxStatus.UNKNOWN, OutboxStatus.FAILED))  # fmt: skip
        if not active:
            return
        run_step(store, erp, ("retry_failed",))
        run_step(store, erp, ("push",))
    raise AssertionError(f"not quiescent after 10 runs: {[(r.customer_id, r.status) for r in active]}")


ZYGOTE = r"""
import importlib.util, json, os, sys, traceback
spec = importlib.util.spec_from_file_location("writeback_crash_scenario", sys.argv[1])
scenario = importlib.util.module_from_spec(spec)
spec.loader.exec_module(scenario)  # imports creditbridge once; every child is a fork of this process
from pathlib import Path
from creditbridge.sync import crashpoints
results = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)  # the children's own output goes to stderr, never into the answers
for line in sys.stdin:
    case = json.loads(line)
    pid = os.fork()
    if pid == 0:
        os.environ[crashpoints.CRASH_AT_ENV] = case["crash_at"]
        try:
            scenario.run_steps(Path(case["folder"]), case["start"])
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    signal = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    results.write(json.dumps({"signal": signal, "exit": os.WEXITSTATUS(status) if signal is None else None}) + "\n")
    results.flush()
"""


class KillingRunner:
    """Runs the scenario in a forked child of one helper process, with a crash point armed."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", ZYGOTE, __file__], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)  # fmt: skip

    def run_until_killed(self, folder: Path, crash_at: str) -> dict[str, int | None]:
        assert self.process.stdin is not None and self.process.stdout is not None
        start = int((folder / "step").read_text()) if (folder / "step").exists() else 0
        self.process.stdin.write(json.dumps({"folder": str(folder), "crash_at": crash_at, "start": start}) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer, "the helper process died"
        result: dict[str, int | None] = json.loads(answer)
        return result

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def runner() -> Iterator[KillingRunner]:
    started = KillingRunner()
    yield started
    started.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty store and the seeded ERP with its faults armed, copied for every case."""
    folder = tmp_path_factory.mktemp("template")
    customers = tuple(Customer(f"C{i}", f"Customer {i}", "USD") for i in range(1, 7))
    profiles = tuple(CreditProfile(f"C{i}", Money.of(f"{i * 1000}", "USD")) for i in range(1, 7))
    erp = InMemoryErp.from_ledger(Ledger(customers=customers, profiles=profiles), state_path=folder / "erp.json")
    for fault in FAULTS:
        erp.fail_next("write_credit_profile", fault)
    Store.open(f"sqlite:///{folder / 'store.db'}").close()
    return folder


def fresh_case(template: Path, folder: Path) -> Path:
    folder.mkdir()
    for name in ("store.db", "erp.json"):
        shutil.copy(template / name, folder / name)
    return folder


def test_the_day_runs_as_planned_without_a_crash(template: Path, tmp_path: Path) -> None:
    folder = fresh_case(template, tmp_path / "calm")
    with world_of(folder) as world:
        run_steps(folder, 0, world)
        recover(folder, world)
        statuses = assert_nothing_lost_nothing_doubled(world)
    assert statuses == {"C1": "REJECTED", "C2": "APPLIED", "C3": "APPLIED", "C4": "APPLIED", "C5": "CONFLICT",
                        "C6": "CANCELLED"}  # fmt: skip


CRASH_CASES = [(point,) for point in wb.CRASH_POINTS if not point.startswith("outbox.expired")] + [
    ("outbox.claimed", "outbox.expired.committing"),  # the run after a crash mid-send takes the row over …
    ("outbox.before_send", "outbox.expired"),  # … and is killed itself
]


def test_every_crash_point_is_covered() -> None:
    covered = {point for case in CRASH_CASES for point in case}
    assert covered == set(wb.CRASH_POINTS)


@pytest.mark.parametrize("crash_at", CRASH_CASES, ids=["+".join(case) for case in CRASH_CASES])
def test_a_job_killed_at_a_crash_point_loses_nothing_and_applies_nothing_twice(
    crash_at: tuple[str, ...], runner: KillingRunner, template: Path, tmp_path: Path
) -> None:
    folder = fresh_case(template, tmp_path / "case")
    for point in crash_at:
        outcome = runner.run_until_killed(folder, point)
        assert outcome["signal"] == signal.SIGKILL, f"{point} was never reached: {outcome}"
    with world_of(folder) as world:
        if crash_at == ("outbox.created.committing",):
            assert_killed_before_the_first_commit_left_nothing(world)

        recover(folder, world)

        assert_nothing_lost_nothing_doubled(world)


@contextmanager
def world_of(folder: Path) -> Iterator[tuple[Store, InMemoryErp]]:
    world = open_world(folder)
    try:
        yield world
    finally:
        world[0].close()


def assert_killed_before_the_first_commit_left_nothing(world: tuple[Store, InMemoryErp]) -> None:
    store, erp = world
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(change_requests)).scalar_one() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one() == 0
    assert erp.applied_writes == []


def assert_nothing_lost_nothing_doubled(world: tuple[Store, InMemoryErp]) -> dict[str, str]:
    """Every change applied exactly once, none lost, the person's edit kept; the statuses by customer."""
    store, erp = world
    rows = wb.list_rows(store.engine, CONNECTION)
    check = wb.verify_chain(store.engine)
    applied = Counter(erp.applied_writes)
    assert all(n == 1 for n in applied.values()), applied
    by_customer = {r.customer_id: r for r in rows}
    assert sorted(by_customer) == sorted(WANTED) and len(rows) == len(WANTED)  # one row per change, none lost
    assert set(applied) == {r.idempotency_key for r in rows if r.status is OutboxStatus.APPLIED}
    # The ERP refuses one write (the armed REJECT). Which row takes it depends on where the crash
    # moved the ERP's faults; a refusal right before a crash may be forgotten by the in-memory ERP
    # (it does not remember refusals it was told to fake), and the resend then applies. Either way:
    # every other change of C1-C4 is APPLIED, and nothing refused was applied.
    refused = [c for c in ("C1", "C2", "C3", "C4") if by_customer[c].status is OutboxStatus.REJECTED]
    assert len(refused) <= 1
    for customer in {"C1", "C2", "C3", "C4"} - set(refused):
        assert by_customer[customer].status is OutboxStatus.APPLIED, (customer, by_customer[customer])
    assert by_customer["C5"].status is OutboxStatus.CONFLICT and by_customer["C5"].resolution == "erp"
    assert by_customer["C6"].status is OutboxStatus.CANCELLED
    assert len(erp.applied_writes) == sum(r.status is OutboxStatus.APPLIED for r in rows)
    for row in rows:
        profile = erp.profile(row.customer_id)
        assert profile is not None
        if row.status is OutboxStatus.APPLIED:
            limit = row.wanted.credit_limit
            assert profile.on_hold == row.wanted.on_hold
            assert (profile.credit_limit.amount if profile.credit_limit else None) == limit
    c5 = erp.profile("C5")
    assert c5 is not None and c5.credit_limit == Money.of(PERSONS_EDIT[1], "USD")  # the person's edit stands
    assert check.ok
    return {c: r.status.value for c, r in by_customer.items()}
