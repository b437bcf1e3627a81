"""`creditbridge jobs run` and `creditbridge status` as cron, an orchestrator and monitoring use them.

The ERP is the in-memory simulator seeded from tests/fixtures/ledger_kpi (see test_run_cli.py):
the scheduled `run` job holds A and B and asks a second person to release C.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from creditbridge.sync.scheduling import leases
from creditbridge.sync.store import Store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_kpi"
CLI = str(Path(sys.executable).parent / "creditbridge")


def write_config(folder: Path, schedule: str = "") -> Path:
    config = folder / "creditbridge.toml"
    config.write_text(f"""
store_url = "sqlite:///creditbridge.db"

[[connections]]
name = "sim"
erp = "memory"

[connections.options]
state_path = "erp.json"
seed_ledger = "{FIXTURE}"
{schedule}
""")
    return config


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args, "--config", str(folder / "creditbridge.toml")], capture_output=True, text=True,
                          cwd=folder, timeout=120, check=False)  # fmt: skip


def test_a_scheduled_run_left_an_approval_waiting_so_status_asks_for_a_person(tmp_path: Path) -> None:
    write_config(tmp_path)
    ran = cli(tmp_path, "jobs", "run", "run", "--connection", "sim", "--format", "json")
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["outcome"] == "ok"

    status = cli(tmp_path, "status", "--format", "json")
    assert status.returncode == 1, status.stderr
    found = json.loads(status.stdout)
    [sim] = found["connections"]
    assert sim["approvals_waiting"] == 1 and sim["conflicts"] == 0
    assert sim["outbox"] == {"APPLIED": 2}
    assert [(r["job"], r["outcome"], r["attempts"]) for r in sim["last_runs"]] == [("run", "ok", 1)]
    assert sim["last_runs"][0]["duration_seconds"] > 0
    assert sim["cursor_age_hours"] < 1 and not sim["cursor_stale"]
    assert any("waiting for approval" in line for line in found["needs_a_person"])
    assert found["leases"] == []


def test_a_job_running_elsewhere_is_not_started_twice(tmp_path: Path) -> None:
    write_config(tmp_path)
    with Store.open(f"sqlite:///{tmp_path / 'creditbridge.db'}") as store:
        held = leases.claim(store.engine, "sim", "pull", holder="scheduler@elsewhere:1:abc", ttl=600,
                            now=datetime.now(UTC), trigger="schedule")  # fmt: skip
    assert isinstance(held, leases.Claim)
    busy = cli(tmp_path, "jobs", "run", "pull", "--connection", "sim")
    assert busy.returncode == 5
    assert "running elsewhere" in busy.stderr and "scheduler@elsewhere" in busy.stderr
    status = json.loads(cli(tmp_path, "status", "--format", "json").stdout)
    assert [(lease["job"], lease["holder"], lease["expired"]) for lease in status["leases"]] == [
        ("pull", "scheduler@elsewhere:1:abc", False)
    ]
    other = cli(tmp_path, "jobs", "run", "report", "--connection", "sim")  # another job of the connection may run
    assert other.returncode == 0, other.stderr
    assert list((tmp_path / "reports").glob("sim-*.html"))


def test_an_unknown_job_or_a_bad_cron_expression_is_a_configuration_error(tmp_path: Path) -> None:
    write_config(tmp_path)
    unknown = cli(tmp_path, "jobs", "run", "pul", "--connection", "sim")
    assert unknown.returncode == 2 and "there is no job 'pul'" in unknown.stderr
    write_config(tmp_path, '[schedule.jobs]\npull = "*/15 * * *"\n')
    bad = cli(tmp_path, "schedule", "--once")
    assert bad.returncode == 2
    said = "".join(bad.stderr.split())  # rich wraps long lines
    assert "creditbridge.toml:12:schedule.jobs.pull:acronexpressionhas5fields" in said


def test_the_credit_reconcile_and_collections_jobs_run_for_a_connection_and_are_recorded(tmp_path: Path) -> None:
    write_config(tmp_path)
    assert cli(tmp_path, "jobs", "run", "pull", "--connection", "sim").returncode == 0
    outcomes = {}
    for job in ("credit-review", "reconcile", "collections"):
        ran = cli(tmp_path, "jobs", "run", job, "--connection", "sim", "--format", "json")
        assert ran.returncode in (0, 1), ran.stderr
        outcomes[job] = json.loads(ran.stdout)
    assert "customer(s) reviewed" in outcomes["credit-review"]["detail"]
    assert outcomes["reconcile"]["outcome"] in ("ok", "attention")
    assert "delivered" in outcomes["collections"]["detail"]
    status = json.loads(cli(tmp_path, "status", "--format", "json").stdout)
    [sim] = status["connections"]
    assert {r["job"] for r in sim["last_runs"]} == {"pull", "credit-review", "reconcile", "collections"}
    decisions = subprocess.run([CLI, "credit", "decisions", "list", "--store", f"sqlite:///{tmp_path / 'creditbridge.db'}",
                                "--format", "json"], capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert decisions.returncode == 0, decisions.stderr
    assert json.loads(decisions.stdout), "the scheduled review stored its decisions"


def test_the_cashapp_job_matches_new_statements_in_the_inbox_once_and_skips_an_unreadable_one(tmp_path: Path) -> None:
    import shutil

    fixtures = FIXTURE.parent / "cashapp"
    shutil.copytree(fixtures / "ledger", tmp_path / "ledger")
    inbox = tmp_path / "bank"
    inbox.mkdir()
    shutil.copy(fixtures / "statement.xml", inbox / "2026-11-30.xml")
    (inbox / "broken.xml").write_text("<Document><BkToCstmrStmt>")
    (tmp_path / "creditbridge.toml").write_text("""
store_url = "sqlite:///creditbridge.db"

[cashapp]
inbox = "bank"

[[connections]]
name = "ledger"
erp = "files"

[connections.options]
folder = "ledger"
""")
    assert cli(tmp_path, "jobs", "run", "pull", "--connection", "ledger").returncode == 0
    first = cli(tmp_path, "jobs", "run", "cashapp", "--connection", "ledger", "--format", "json")
    assert first.returncode == 1, first.stderr  # finished, with exceptions for a person
    detail = json.loads(first.stdout)["detail"]
    assert "2 statement file(s)" in detail and "1 new" in detail and "1 unreadable: " in detail and "broken.xml" in detail
    assert "creditbridge cashapp exceptions" in detail
    again = json.loads(cli(tmp_path, "jobs", "run", "cashapp", "--connection", "ledger", "--format", "json").stdout)
    assert "0 new" in again["detail"]
    exceptions = subprocess.run([CLI, "cashapp", "exceptions", "--format", "json", "--config",
                                 str(tmp_path / "creditbridge.toml")], capture_output=True, text=True, cwd=tmp_path,
                                timeout=120, check=False)  # fmt: skip
    assert exceptions.returncode == 0, exceptions.stderr
    assert json.loads(exceptions.stdout), "the unapplied payment of the statement waits for a person"
