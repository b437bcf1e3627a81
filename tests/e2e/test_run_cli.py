"""`creditbridge run` as finance IT schedules it: pull → review holds → plan → push, against a simulated ERP.

The ERP is the in-memory simulator seeded from tests/fixtures/ledger_kpi, its state in a file so the
test can look at what the command did to it. Reviewed as of 2026-06-30 with the default hold rules
(hold past 90 days overdue; release when clear, which needs a second person):
  A: A1 (due 2025-12-31) is 181 days overdue -> hold;  B: B1 (due 2026-03-31) 91 days -> hold;
  C: on hold in the ERP, nothing owed -> release, waiting for approval.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from creditbridge.adapters.memory import InMemoryErp

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_kpi"
CLI = str(Path(sys.executable).parent / "creditbridge")


def write_config(folder: Path) -> Path:
    config = folder / "creditbridge.toml"
    config.write_text(f"""
store_url = "sqlite:///creditbridge.db"
log_level = "warning"

[[connections]]
name = "sim"
erp = "memory"

[connections.options]
state_path = "erp.json"
seed_ledger = "{FIXTURE}"
""")
    return config


def run(folder: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([CLI, *args, "--config", str(folder / "creditbridge.toml")], capture_output=True,
                            text=True, cwd=folder, timeout=120)  # fmt: skip
    if check and result.returncode != 0:
        raise AssertionError(f"creditbridge {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result


def erp(folder: Path) -> InMemoryErp:
    return InMemoryErp(state_path=folder / "erp.json")


def test_a_dry_run_reviews_and_plans_but_writes_nothing(tmp_path: Path):
    write_config(tmp_path)
    out = run(tmp_path, "run", "--dry-run", "--as-of", "2026-06-30", "--user", "alice", "--format", "json").stdout
    report = json.loads(out)
    assert {(r["customer_id"], r["hold"]) for r in report["review"]} == {("A", True), ("B", True), ("C", False)}
    assert report["dry_run"] is True
    assert erp(tmp_path).applied_writes == []


def test_run_holds_overdue_customers_and_waits_for_a_second_person_to_release(tmp_path: Path):
    write_config(tmp_path)
    run(tmp_path, "run", "--as-of", "2026-06-30", "--user", "alice")
    simulated = erp(tmp_path)
    assert simulated.profile("A").on_hold and simulated.profile("B").on_hold
    assert simulated.profile("C").on_hold, "the release waits for approval"
    assert len(simulated.applied_writes) == 2

    pending = json.loads(run(tmp_path, "approvals", "list", "--format", "json", "--user", "bob").stdout)
    [release] = [r for r in pending if r["customer_id"] == "C"]
    refused = run(tmp_path, "approvals", "approve", str(release["id"]), "--user", "creditbridge-review", check=False)
    assert refused.returncode == 2 and "four eyes" in refused.stderr.replace("\n", " ")
    run(tmp_path, "approvals", "approve", str(release["id"]), "--user", "bob")
    run(tmp_path, "run", "--as-of", "2026-06-30", "--user", "alice")
    assert not erp(tmp_path).profile("C").on_hold

    again = run(tmp_path, "run", "--as-of", "2026-06-30", "--user", "alice").stdout
    assert "every hold is as the rules want it" in again
    assert len(erp(tmp_path).applied_writes) == 3, "nothing is written twice"
    assert run(tmp_path, "audit", "verify").returncode == 0


def test_kpis_from_pulled_data_equal_kpis_from_the_ledger_the_erp_was_seeded_with(tmp_path: Path):
    write_config(tmp_path)
    run(tmp_path, "pull")
    args = ("kpis", "--as-of", "2026-03-31", "--format", "json", "--by-customer")
    pulled = subprocess.run([CLI, *args, "--store", f"sqlite:///{tmp_path / 'creditbridge.db'}", "--source", "sim"],
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    folder = subprocess.run([CLI, *args, "--ledger", str(FIXTURE)], capture_output=True, text=True, check=True).stdout
    assert json.loads(pulled) == json.loads(folder)
