"""`creditbridge serve` as a real process: a signed webhook in, the pull it asked for done.

The server listens on a free loopback port; the test waits for /health (bounded), posts a
webhook signed as Intuit would, and watches the queue in the store until the request is
finished; the server is always stopped. The ERP is the in-memory ERP with a state file,
standing in for QuickBooks: the receiver is per connection, not per ERP kind.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from creditbridge.sync.service.queue import requests
from creditbridge.sync.service.signatures import webhook_signature
from creditbridge.sync.store import Store

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_kpi"
VERIFIER = "e2e-verifier-s3ntinel"

CLI = str(Path(sys.executable).parent / "creditbridge")

CONFIG = f"""
store_url = "sqlite:///store.db"
log_format = "json"

[[connections]]
name = "qbo-acme"
erp = "memory"
options = {{ state_path = "erp.json", seed_ledger = "{SEED.as_posix()}", webhook_verifier = "env:QBO_VERIFIER" }}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITBRIDGE_")}
    env["QBO_VERIFIER"] = VERIFIER
    return env


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [CLI, *args, "--config", str(folder / "creditbridge.toml")]
    return subprocess.run(command, capture_output=True, text=True, cwd=folder, env=environment(), timeout=60)


def wait_for(check: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.1)
    pytest.fail(f"timed out after {seconds} s waiting for {what}")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "creditbridge.toml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


@pytest.fixture
def server(folder: Path) -> Iterator[str]:
    port = free_port()
    command = [CLI, "serve", "--config", str(folder / "creditbridge.toml")]
    command += ["--port", str(port), "--drain-interval", "0.5"]
    log = (folder / "server.log").open("w")
    process = subprocess.Popen(command, cwd=folder, env=environment(), stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:

        def healthy() -> bool:
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n{(folder / 'server.log').read_text()}")
            try:
                return httpx.get(f"{base}/health", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(healthy, 15, "GET /health to answer 200")
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()


def test_a_signed_webhook_is_queued_and_pulled_by_the_server(server: str, folder: Path) -> None:
    body = json.dumps(
        [{"specversion": "1.0", "id": "ev-1", "type": "qbo.invoice.created.v1", "intuitentityid": "I1",
          "intuitaccountid": "4620816365", "time": "2026-11-23T07:00:00Z"}]
    ).encode()  # fmt: skip
    url = f"{server}/webhooks/quickbooks/qbo-acme"
    assert httpx.post(url, content=body, headers={"intuit-signature": "bad"}, timeout=5).status_code == 401

    response = httpx.post(url, content=body, headers={"intuit-signature": webhook_signature(body, VERIFIER)}, timeout=5)
    assert response.status_code == 200, response.text
    assert response.json()["entities"] == ["open_items"]

    with Store.open(f"sqlite:///{folder / 'store.db'}") as store:
        [done] = wait_for(
            lambda: [r for r in requests(store.engine) if r.finished_at is not None], 15, "the request to be drained"
        )
        assert done.status == "finished", done.error
        assert store.load_ledger("qbo-acme").items

    listed = cli(folder, "webhooks", "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert [(r["status"], r["event_ids"]) for r in json.loads(listed.stdout)] == [("finished", ["ev-1"])]
    drained = cli(folder, "webhooks", "drain")
    assert drained.returncode == 0 and "nothing queued" in drained.stdout
    assert VERIFIER not in (folder / "server.log").read_text()


def test_webhooks_drain_exits_non_zero_when_a_pull_fails(folder: Path) -> None:
    with Store.open(f"sqlite:///{folder / 'store.db'}") as store:
        from creditbridge.sync.service.events import WebhookEvent
        from creditbridge.sync.service.queue import enqueue

        enqueue(store.engine, "removed", [WebhookEvent("ev-1", None, "Invoice", "1")])
    drained = cli(folder, "webhooks", "drain", "--format", "json")
    assert drained.returncode == 4, drained.stderr
    assert json.loads(drained.stdout)["ok"] is False
    assert "removed" in drained.stderr
