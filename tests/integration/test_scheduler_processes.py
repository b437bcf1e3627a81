"""The in-process scheduler as finance IT runs it: real `creditbridge schedule` processes on one store.

Two schedulers at once (a shared SQLite file, and PostgreSQL) run each job once per cron slot;
a scheduler killed with SIGKILL mid-job leaves a lease that expires, after which the run is
taken over exactly once (by one of two contenders) and its effect is applied once. The job is
`scheduling_support/scheduling_probe.py`, loaded by the processes through `[schedule.extra_jobs]`:
it sleeps and writes one effect row per execution, so a slot run twice would show as two rows.
Slots are fast: a sixth, leading seconds field (`seconds_field = true`), every 2 and 3 seconds.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

SUPPORT = Path(__file__).parent / "scheduling_support"
sys.path.insert(0, str(SUPPORT))
import scheduling_probe  # noqa: E402

CREDITBRIDGE = str(Path(sys.executable).parent / "creditbridge")

pytestmark = pytest.mark.slow


def write_config(folder: Path, store_url: str, schedule: str) -> Path:
    path = folder / "creditbridge.toml"
    path.write_text(
        f'store_url = "{store_url}"\n'
        '[[connections]]\nname = "north"\nerp = "memory"\n'
        '[[connections]]\nname = "south"\nerp = "memory"\n'
        "[schedule]\n" + schedule
        + '\n[schedule.extra_jobs]\nprobe = "scheduling_probe:probe_job"\nprobe-b = "scheduling_probe:probe_job"\n',
        encoding="utf-8",
    )  # fmt: skip
    return path


def start(config: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "PYTHONPATH": str(SUPPORT), "CREDITBRIDGE_LOG_LEVEL": "warning", **env}
    return subprocess.Popen([CREDITBRIDGE, *args, "--config", str(config)], env=environment, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    try:
        _, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return process.returncode, err


def rows(url: str, query: str) -> list[dict[str, Any]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.text(query)).mappings()]
    finally:
        engine.dispose()


def wait_for(url: str, query: str, timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = rows(url, query)
        except sa.exc.SQLAlchemyError:
            found = []  # the store is still being created
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for: {query}")


def prepare(store_url: str) -> None:
    from creditbridge.sync.store import Store

    Store.open(store_url).close()  # migrated once, before the processes race for it
    scheduling_probe.create_table(store_url)


def test_two_schedulers_run_each_job_once_per_slot(store_url: str, tmp_path: Path) -> None:
    prepare(store_url)
    config = write_config(tmp_path, store_url, "seconds_field = true\npoll_seconds = 0.2\nlease_seconds = 5\n"
                          'heartbeat_seconds = 1\n[schedule.jobs]\nprobe = "*/2 * * * * *"\nprobe-b = "*/3 * * * * *"')
    schedulers = [start(config, "schedule", CB_PROBE_SLEEP="0.4") for _ in range(2)]
    wait_for(store_url, "SELECT id FROM probe_effects", 60)  # the processes are up (a loaded machine is slow)
    time.sleep(8)
    ended = [stop(s) for s in schedulers]
    assert [code for code, _ in ended] == [0, 0], [err for _, err in ended]  # SIGTERM: a clean stop

    effects = rows(store_url, "SELECT * FROM probe_effects")
    runs = rows(store_url, "SELECT * FROM job_runs")
    per_slot = Counter((e["connection"], e["job"], e["slot"]) for e in effects)
    assert per_slot and max(per_slot.values()) == 1, [k for k, n in per_slot.items() if n > 1]
    assert {r["status"] for r in runs} == {"ok"}
    assert len(runs) == len(effects)
    slots: dict[tuple[str, str], int] = Counter((c, j) for c, j, _ in per_slot)
    assert set(slots) == {("north", "probe"), ("south", "probe"), ("north", "probe-b"), ("south", "probe-b")}
    assert min(slots.values()) >= 2, slots  # 8 s of 2 s and 3 s slots
    by_job = defaultdict(list)
    for e in effects:
        by_job[e["connection"], e["job"]].append((e["started"], e["finished"]))
    for spans in by_job.values():  # one job per connection at a time: the executions never overlap
        spans.sort()
        assert all(later[0] >= earlier[1] for earlier, later in itertools.pairwise(spans))


def test_a_killed_holders_run_is_taken_over_once_after_its_lease_expires(store_url: str, tmp_path: Path) -> None:
    prepare(store_url)
    config = write_config(tmp_path, store_url, "poll_seconds = 0.3\nlease_seconds = 3\nheartbeat_seconds = 1\n"
                          'catch_up_seconds = 90000\n[schedule.jobs]\nprobe = "0 0 * * *"'  # today's 00:00 UTC slot
                          # north only: a south run the killed scheduler never started would be a first attempt,
                          # sleeping 120 s in a contender, which then could not stop on SIGTERM in time
                          '\n[schedule.connections.south]\nprobe = "off"')
    first = start(config, "schedule", CB_PROBE_SLEEP="120")
    try:
        running = wait_for(store_url, "SELECT * FROM job_runs WHERE status = 'running' AND connection = 'north'", 40)
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # mid-job: no cleanup, the lease stays until it expires
        first.communicate()
    run_id, dead_holder = running[0]["id"], running[0]["holder"]
    lease = rows(store_url, "SELECT * FROM job_leases WHERE connection = 'north' AND job = 'probe'")[0]
    assert lease["holder"] == dead_holder

    contenders = [start(config, "schedule", CB_PROBE_SLEEP="120", CB_PROBE_RETRY_SLEEP="0.3") for _ in range(2)]
    try:
        wait_for(store_url, f"SELECT * FROM job_runs WHERE id = '{run_id}' AND status = 'ok'", 40)
        time.sleep(1.5)  # a second take-over, if there were one, would have started by now
    finally:
        codes = [stop(c) for c in contenders]
    assert [code for code, _ in codes] == [0, 0], codes

    run = rows(store_url, f"SELECT * FROM job_runs WHERE id = '{run_id}'")[0]
    assert run["attempts"] == 2 and run["holder"] != dead_holder
    assert run["started_at"] >= lease["expires_at"]  # not before the dead holder's lease ran out
    effects = rows(store_url, f"SELECT * FROM probe_effects WHERE run_id = '{run_id}'")
    assert [(e["attempt"], e["holder"]) for e in effects] == [(2, run["holder"])]
    slot_runs = rows(store_url, "SELECT * FROM job_runs WHERE connection = 'north' AND job = 'probe'")
    assert len(slot_runs) == 1
