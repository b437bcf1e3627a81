"""Celery workers as a company running many ERP connections deploys them: real brokers, real kills.

Two `creditbridge worker` processes over PostgreSQL take jobs from Redis (127.0.0.1:6379, a
random database) or RabbitMQ (127.0.0.1:5672, guest/guest), each test on a queue of its own.
`creditbridge schedule --celery --once` enqueues the slot's run (twice: the second finds the slot
taken), the worker holding the run is killed with SIGKILL mid-task, the broker delivers the
message again, and the surviving worker takes the run over once the dead holder's lease expired:
one execution's effect, two attempts. A duplicate message sent afterwards does nothing.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

SUPPORT = Path(__file__).parent / "scheduling_support"
sys.path.insert(0, str(SUPPORT))
import scheduling_probe  # noqa: E402

CREDITBRIDGE = str(Path(sys.executable).parent / "creditbridge")

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def broker(kind: str) -> str:
    if kind == "redis":
        return f"redis://127.0.0.1:6379/{random.randint(1, 15)}"
    return "amqp://guest:guest@127.0.0.1:5672//"


def rows(url: str, query: str) -> list[dict[str, object]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.text(query)).mappings()]
    finally:
        engine.dispose()


def wait_for(url: str, query: str, timeout: float) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = rows(url, query)
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for: {query}")


def run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SUPPORT)}
    return subprocess.run([CREDITBRIDGE, *args, "--config", str(config)], env=env, text=True, capture_output=True,
                          timeout=60, check=False)  # fmt: skip


@pytest.mark.parametrize("kind", ["redis", "rabbitmq"])
def test_a_worker_killed_mid_task_has_its_run_redelivered_and_applied_once(
    kind: str, postgres_url: str, tmp_path: Path
) -> None:
    from creditbridge.sync.config import load_config
    from creditbridge.sync.scheduling.celery_app import make_app, send
    from creditbridge.sync.store import Store

    Store.open(postgres_url).close()
    scheduling_probe.create_table(postgres_url)
    queue = f"cb-test-{uuid.uuid4().hex[:12]}"
    config = tmp_path / "creditbridge.toml"
    config.write_text(
        f'store_url = "{postgres_url}"\nlog_level = "info"\n[[connections]]\nname = "north"\nerp = "memory"\n'
        f'[schedule]\nbroker_url = "{broker(kind)}"\nqueue = "{queue}"\nlease_seconds = 3\nheartbeat_seconds = 1\n'
        "task_time_limit = 120\nvisibility_timeout = 4\ncatch_up_seconds = 90000\n"
        '[schedule.jobs]\nprobe = "0 0 * * *"\n[schedule.extra_jobs]\nprobe = "scheduling_probe:probe_job"\n',
        encoding="utf-8",
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(SUPPORT), "CB_PROBE_SLEEP": "120", "CB_PROBE_RETRY_SLEEP": "0.3"}
    logs = [tmp_path / f"worker-{n}.log" for n in range(2)]
    command = [CREDITBRIDGE, "worker", "--config", str(config), "--concurrency", "1", "--loglevel", "warning"]
    workers = [
        subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=log.open("w"))
        for log in logs
    ]
    app = make_app(load_config(config))
    try:
        first = run(config, "schedule", "--celery", "--once")
        assert first.returncode == 0, first.stderr
        again = run(config, "schedule", "--celery", "--once")  # the same slot: nothing more is enqueued
        assert again.returncode == 0, again.stderr
        queued = rows(postgres_url, "SELECT id FROM job_runs")
        assert len(queued) == 1
        run_id = str(queued[0]["id"])

        running = wait_for(postgres_url, f"SELECT * FROM job_runs WHERE id = '{run_id}' AND status = 'running'", 60)
        holder = str(running[0]["holder"])
        pid = int(holder.split(":")[1])
        victim = next(w for w in workers if os.getpgid(pid) == w.pid)
        os.killpg(victim.pid, signal.SIGKILL)  # the worker and its pool process, mid-task
        victim.wait()

        wait_for(postgres_url, f"SELECT * FROM job_runs WHERE id = '{run_id}' AND status = 'ok'", 90)
        survivor = next(w for w in workers if w is not victim)
        log = logs[workers.index(survivor)]
        seen = log.read_text(encoding="utf-8").count("task.nothing_to_do")
        send(app, run_id)  # a duplicate delivery of the finished run, as a broker may make
        deadline = time.monotonic() + 30
        while log.read_text(encoding="utf-8").count("task.nothing_to_do") == seen and time.monotonic() < deadline:
            time.sleep(0.2)
        assert log.read_text(encoding="utf-8").count("task.nothing_to_do") > seen, "the duplicate was not consumed"
        final = rows(postgres_url, f"SELECT * FROM job_runs WHERE id = '{run_id}'")[0]
        effects = rows(postgres_url, "SELECT * FROM probe_effects")
        assert final["attempts"] == 2 and final["holder"] != holder
        assert [(e["run_id"], e["attempt"]) for e in effects] == [(run_id, 2)]
        assert len(rows(postgres_url, "SELECT * FROM job_runs")) == 1
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
        with app.connection_for_write() as connection:
            connection.default_channel.queue_delete(queue)
