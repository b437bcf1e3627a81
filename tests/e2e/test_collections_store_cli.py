"""The store-mode collections commands as a collector runs them: import, contacts, promises, disputes,
notes, `collections send` through a real SMTP server on loopback, `check` and `escalate`.

The ledger is tests/fixtures/ledger_collections (see its README), as of 2026-10-01.
"""

from __future__ import annotations

import csv
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_collections"
CLI = str(Path(sys.executable).parent / "creditbridge")


class Inbox:
    def __init__(self) -> None:
        self.received: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def ok(cwd: Path, *args: str) -> str:
    result = run(cwd, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def workdir(tmp_path: Path, smtp: tuple[Inbox, int]) -> Path:
    _, port = smtp
    (tmp_path / "creditbridge.toml").write_text(
        'store_url = "sqlite:///creditbridge.db"\n\n[collections]\ncompany_name = "Northwind"\n'
        'from_address = "ar@northwind.example"\nletters_dir = "letters"\n\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\ntimeout_seconds = 5\n'
    )
    ok(tmp_path, "import", "--ledger", str(FIXTURE))
    ok(tmp_path, "collections", "contacts", "--import", str(FIXTURE / "contacts.csv"))
    return tmp_path


@pytest.mark.slow
def test_a_collectors_day_on_the_store(workdir: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, _ = smtp
    ok(workdir, "disputes", "open", "--invoice", "I3", "--reason", "pricing", "--owner", "tom", "--date", "2026-09-25")
    ok(
        workdir,
        "promises",
        "add",
        "--customer",
        "C2",
        "--date",
        "2026-10-15",
        "--amount",
        "300.00",
        "--invoice",
        "I4",
        "--made-on",
        "2026-09-26",
    )
    ok(workdir, "notes", "add", "--customer", "C7", "--text", "AP clerk on holiday until Monday", "--kind", "call")

    plan = json.loads(ok(workdir, "collections", "plan", "--as-of", "2026-10-01", "--format", "json"))
    assert {s["invoice_number"]: s["reason"] for s in plan["skipped"]} == {
        "I3": "disputed", "I4": "promised", "I5": "covered_by_unapplied_cash", "I6": "below_minimum",
    }  # fmt: skip

    dry = run(workdir, "collections", "send", "--as-of", "2026-10-01", "--dry-run", "--format", "json")
    assert dry.returncode == 0 and json.loads(dry.stdout)["queued"] == 0 and inbox.received == []

    sent = json.loads(ok(workdir, "collections", "send", "--as-of", "2026-10-01", "--format", "json"))
    assert sent["sent"] == 4 and sent["still_queued"] == 0
    assert [m["To"] for m in inbox.received] == ["ap@alpha.example"]  # C6 has no e-mail: a letter instead
    assert any("C6 has no e-mail address" in w for w in sent["warnings"])
    assert len(list((workdir / "letters").glob("*.pdf"))) == 1
    again = json.loads(ok(workdir, "collections", "send", "--as-of", "2026-10-01", "--format", "json"))
    assert again["sent"] == 0 and len(inbox.received) == 1

    notes = json.loads(ok(workdir, "notes", "list", "--customer", "C7", "--format", "json"))
    assert [(n["kind"], n["status"]) for n in notes] == [("call", "done"), ("call", "open")]
    ok(workdir, "notes", "done", str(notes[1]["id"]))
    assert run(workdir, "notes", "done", str(notes[1]["id"])).returncode == 2
    promises = list(
        csv.DictReader(ok(workdir, "promises", "list", "--as-of", "2026-10-20", "--format", "csv").splitlines())
    )
    assert [(p["customer_id"], p["status"], p["paid"]) for p in promises] == [("C2", "broken", "0.00")]
    disputes = json.loads(ok(workdir, "disputes", "list", "--as-of", "2026-10-01", "--format", "json"))
    assert [(d["invoice_number"], d["age_days"], d["proposal"]) for d in disputes] == [("I3", 6, "credit_memo")]
    ok(workdir, "disputes", "resolve", "1", "--resolution", "rejected")
    assert run(workdir, "disputes", "resolve", "1", "--resolution", "rejected").returncode == 2

    ok(workdir, "collections", "escalate", "--as-of", "2026-10-01", "--out", "placement.csv")
    rows = list(csv.DictReader((workdir / "placement.csv").read_text().splitlines()))
    assert [(r["customer_id"], r["invoice_number"], r["open_amount"]) for r in rows] == [("C5", "I7", "900.00")]
    assert "level 5 escalation sent" in rows[0]["dunning_history"]
    ok(workdir, "collections", "escalate", "--as-of", "2026-10-01", "--out", "placement.xlsx")
    assert (workdir / "placement.xlsx").stat().st_size > 0


def test_a_template_with_an_unknown_variable_fails_at_check_and_nothing_is_sent(
    workdir: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    templates = workdir / "templates"
    templates.mkdir()
    (templates / "second_reminder.body.txt").write_text("Dear {{ custmer.name }},\n\nPlease pay {{ total }}.\n")
    with (workdir / "creditbridge.toml").open("a") as handle:
        handle.write("")
    toml = (
        (workdir / "creditbridge.toml")
        .read_text()
        .replace("[collections]\n", '[collections]\ntemplates = "templates"\n')
    )
    (workdir / "creditbridge.toml").write_text(toml)
    check = run(workdir, "collections", "check")
    assert check.returncode == 2
    assert "second_reminder.body.txt: 'custmer' is undefined (unknown variable)" in " ".join(check.stderr.split())
    send = run(workdir, "collections", "send", "--as-of", "2026-10-01")
    assert send.returncode == 2 and inbox.received == []
    (templates / "second_reminder.body.txt").write_text("Dear {{ customer.name }},\n\nPlease pay {{ total }}.\n")
    assert run(workdir, "collections", "check").returncode == 0
