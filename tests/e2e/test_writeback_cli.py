"""Write-back from the command line, as credit staff and a scheduled job run it: real processes.

The ERP is the in-memory ERP with its state in a file (config `erp = "memory"`,
`options.state_path`), so the test can play a person editing the ERP and see what the commands did.
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
import sqlalchemy as sa

from creditbridge.adapters.memory import InMemoryErp
from creditbridge.core.model import CreditProfile, Customer, Ledger
from creditbridge.core.money import Money

CLI = str(Path(sys.executable).parent / "creditbridge")
CONFIG = """\
store_url = "sqlite:///store.db"
log_level = "warning"

[[connections]]
name = "acme-erp"
erp = "memory"
options = { state_path = "erp.json" }

[policy]
increase_approval_threshold = "1000"
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "creditbridge.toml").write_text(CONFIG)
    names = ("Acme", "Beta GmbH", "Gamma [Ltd]")
    customers = tuple(Customer(f"C1000{i}", name, "USD") for i, name in enumerate(names, 1))
    profiles = tuple(CreditProfile(c.customer_id, Money.of("5000", "USD")) for c in customers)
    InMemoryErp.from_ledger(Ledger(customers=customers, profiles=profiles), state_path=tmp_path / "erp.json")
    return tmp_path


def erp_of(folder: Path) -> InMemoryErp:
    return InMemoryErp(state_path=folder / "erp.json")


def start(folder: Path, *args: str, user: str = "alice", crash_at: str | None = None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITBRIDGE_")}
    env["CREDITBRIDGE_USER"] = user
    if crash_at:
        env["CREDITBRIDGE_CRASH_AT"] = crash_at
    return subprocess.Popen([CLI, *args, "--config", str(folder / "creditbridge.toml")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=folder, env=env)  # fmt: skip


def finish(process: subprocess.Popen[str], code: int = 0) -> subprocess.CompletedProcess[str]:
    stdout, stderr = process.communicate(timeout=120)
    args = " ".join(str(a) for a in process.args[1:-2])  # type: ignore[index]
    assert process.returncode == code, f"creditbridge {args}: exit {process.returncode}\n{stdout}\n{stderr}"
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def run(folder: Path, *args: str, user: str = "alice", crash_at: str | None = None,
        code: int = 0) -> subprocess.CompletedProcess[str]:  # fmt: skip
    return finish(start(folder, *args, user=user, crash_at=crash_at), code)


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(result.stdout)


def limit_of(folder: Path, customer_id: str) -> Decimal | None:
    profile = erp_of(folder).profile(customer_id)
    assert profile is not None
    return None if profile.credit_limit is None else profile.credit_limit.amount


def test_a_raise_waits_for_a_second_person_and_a_dry_run_shows_exactly_what_the_push_writes(folder: Path) -> None:
    raising = start(folder, "limits", "set", "C10001", "--limit", "7,500", "--reason", "annual review",
                    "--format", "json")  # fmt: skip
    holding = start(folder, "limits", "hold", "C10003")  # two people at once
    raised, held = as_json(finish(raising)), finish(holding)
    assert raised["status"] == "PROPOSED" and raised["change"] == (
        "C10001: credit limit 5,000.00 → 7,500.00 USD (needs approval)")  # fmt: skip
    assert "C10003: put on hold" in held.stdout and "queued as outbox row" in held.stdout

    refused = run(folder, "approvals", "approve", str(raised["request_id"]), code=2)
    assert "four eyes" in refused.stderr
    approved = as_json(run(folder, "approvals", "approve", str(raised["request_id"]), "--user", "bob", "--format",
                           "json"))  # fmt: skip
    assert approved["status"] == "APPROVED" and approved["outbox_id"]

    dry = as_json(run(folder, "push", "--dry-run", "--format", "json"))
    assert erp_of(folder).applied_writes == [] and limit_of(folder, "C10001") == Decimal("5000")
    assert dry["dry_run"] and sorted(dry["will_apply"]) == ["C10001", "C10003"]
    assert any(line.startswith("C10003: put on hold [outbox ") for line in dry["lines"])  # brackets shown as is

    pushed = as_json(run(folder, "push", "--format", "json"))

    assert pushed["ok"] and pushed["counts"] == {"APPLIED": 2}
    erp = erp_of(folder)
    assert len(erp.applied_writes) == 2
    for customer_id, wanted in dry["will_apply"].items():
        profile = erp.profile(customer_id)
        assert profile is not None and profile.on_hold == wanted["on_hold"]
        assert profile.credit_limit is not None and profile.credit_limit.amount == Decimal(wanted["credit_limit"])
    showing, verifying = start(folder, "outbox", "show", approved["outbox_id"][:8]), start(folder, "audit", "verify")
    shown = finish(showing).stdout
    assert "created" in shown and "claimed" in shown and "APPLIED" in shown
    assert "audit log OK" in finish(verifying).stdout

    with sa.create_engine(f"sqlite:///{folder / 'store.db'}").begin() as conn:  # someone edits the log by hand
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        conn.exec_driver_sql("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
    broken = run(folder, "audit", "verify", code=1)
    assert "BROKEN at row 2" in broken.stdout


def test_a_push_killed_mid_send_is_rerun_and_a_persons_erp_edit_stops_as_a_conflict(folder: Path) -> None:
    finish(start(folder, "limits", "set", "C10002", "--limit", "4000"))  # a decrease: queued at once
    finish(start(folder, "limits", "hold", "C10001"))
    erp_of(folder).edit_profile("C10002", credit_limit=Decimal("4500"))  # a person, in the ERP, meanwhile

    # killed right after the ERP applied the hold (the 2nd write), before recording it
    run(folder, "push", "--lease-seconds", "0", crash_at="outbox.after_send@2", code=-signal.SIGKILL)

    rerun = as_json(run(folder, "push", "--lease-seconds", "0", "--format", "json"))

    statuses = {r["customer_id"]: r["status"] for r in rerun["results"]}
    assert statuses == {"C10001": "APPLIED"}  # read back and recorded, not sent again
    erp = erp_of(folder)
    assert len(erp.applied_writes) == 1 and erp.profile("C10001").on_hold  # type: ignore[union-attr]
    assert limit_of(folder, "C10002") == Decimal("4500")  # the person's edit stands
    (conflict,) = as_json(run(folder, "conflicts", "list", "--format", "json"))
    assert conflict["customer_id"] == "C10002" and conflict["erp"]["credit_limit"] == "4500"
    resolved = run(folder, "conflicts", "resolve", conflict["id"][:8], "--keep", "erp", "--user", "bob")
    assert "the ERP's values are kept" in resolved.stdout
