"""`creditbridge pull` as finance IT runs it: a config file, an ERP, a SQLite store, real processes.

The ERP is the in-memory ERP with its state in a file (`erp = "memory"`, `options.state_path`),
so the test edits it as a person would between runs, and a killed pull leaves it intact.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from creditbridge.adapters.files import read_ledger
from creditbridge.adapters.memory import Fault, InMemoryErp
from creditbridge.core.ports import Entity
from creditbridge.sync.crashpoints import CRASH_AT_ENV
from creditbridge.sync.store import Store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_small"
CLI = str(Path(sys.executable).parent / "creditbridge")

CONFIG = """
store_url = "sqlite:///store.db"
log_format = "json"
log_level = "info"

[[connections]]
name = "acme-erp"
erp = "memory"
options = { state_path = "erp.json" }
"""


def run(folder: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CREDITBRIDGE_")}
    environment.update(env or {})
    return subprocess.run(
        [CLI, "pull", "--config", str(folder / "creditbridge.toml"), *args],
        capture_output=True, text=True, cwd=folder, env=environment, timeout=120,
    )  # fmt: skip


def pulled(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def log_lines(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "creditbridge.toml").write_text(CONFIG, encoding="utf-8")
    InMemoryErp.from_ledger(read_ledger(FIXTURE).to_ledger(), state_path=tmp_path / "erp.json")
    return tmp_path


def erp(folder: Path) -> InMemoryErp:
    return InMemoryErp(state_path=folder / "erp.json")


def test_pull_loads_the_erp_then_picks_up_only_a_persons_edit_with_a_run_id_on_every_log_line(folder: Path) -> None:
    first = run(folder, "--format", "json")
    document = pulled(first)

    assert document["ok"] and document["errors"] == []
    (summary,) = document["pulls"]
    counts = {e["entity"]: (e["records_seen"], e["inserted"]) for e in summary["entities"]}
    assert counts == {
        "customers": (4, 4), "credit_profiles": (4, 4), "open_items": (10, 10), "payments": (5, 5),
        "orders": (4, 4), "writeoffs": (1, 1),
    }  # fmt: skip
    lines = [line for line in log_lines(first) if line["event"].startswith("pull.")]
    assert lines and {line["run_id"] for line in lines} == {summary["run_id"]}
    assert {line["connection"] for line in lines} == {"acme-erp"} and lines[-1]["event"] == "pull.finished"

    erp(folder).edit_profile("C1", credit_limit=Decimal("75000.25"))
    second = run(folder, "--entity", "credit_profiles", "--entity", "orders")  # the table, for people

    assert second.returncode == 0, second.stderr
    rows = {line.split("│")[1].strip(): line for line in second.stdout.splitlines() if line.count("│") > 8}
    assert set(rows) == {"credit_profiles", "orders"}
    # pages, seen, inserted, updated, deleted, unchanged: the edit is one update; orders write nothing
    assert [cell.strip() for cell in rows["credit_profiles"].split("│")[2:8]] == ["1", "4", "0", "1", "0", "3"]
    assert [cell.strip() for cell in rows["orders"].split("│")[2:8]] == ["1", "4", "0", "0", "0", "4"]
    with Store.open(f"sqlite:///{folder / 'store.db'}") as store:
        profile = next(p for p in store.load_ledger("acme-erp").profiles if p.customer_id == "C1")
    assert profile.credit_limit is not None and profile.credit_limit.amount == Decimal("75000.25")


def test_an_erp_failure_exits_non_zero_and_the_rerun_completes(folder: Path) -> None:
    erp(folder).fail_next("read_changes", Fault.REJECT)  # a refusal is not retried
    failed = run(folder, "--format", "json")

    assert failed.returncode == 4
    document = json.loads(failed.stdout)
    assert not document["ok"] and document["errors"][0]["kind"] == "erp"
    assert "refused" in failed.stderr

    erp(folder).fail_next("read_changes", Fault.UNAVAILABLE)  # a short outage is retried
    rerun = run(folder, "--format", "json")
    assert pulled(rerun)["ok"]
    assert any(line["event"] == "pull.retry" for line in log_lines(rerun))


def test_a_pull_killed_mid_run_resumes_where_it_stopped(folder: Path) -> None:
    killed = run(folder, env={CRASH_AT_ENV: "pull.page_committed@3"})
    assert killed.returncode == -signal.SIGKILL

    resumed = pulled(run(folder, "--format", "json"))
    entities = {e["entity"]: e for e in resumed["pulls"][0]["entities"]}
    assert [entities[name]["inserted"] for name in ("customers", "credit_profiles", "open_items")] == [0, 0, 0]
    assert entities["payments"]["inserted"] == 5 and entities["writeoffs"]["inserted"] == 1
    with Store.open(f"sqlite:///{folder / 'store.db'}") as store:
        ledger = store.load_ledger("acme-erp")
    assert len(ledger.items) == len(erp(folder).records(Entity.OPEN_ITEMS)) == 10


def test_unknown_entities_and_connections_are_refused_with_a_clear_message(folder: Path) -> None:
    bad_entity = run(folder, "--entity", "invoices")
    assert bad_entity.returncode == 2 and "unknown --entity invoices" in bad_entity.stderr
    bad_connection = run(folder, "--connection", "nope")
    assert bad_connection.returncode == 2 and "no connection named 'nope'" in bad_connection.stderr
