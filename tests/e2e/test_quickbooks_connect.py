"""`creditbridge connect quickbooks` as finance IT runs it, against the simulator's OAuth endpoints.

The user opens the printed address, consents, and pastes the redirect back; the refresh token
lands encrypted in the store, and a pull then works with nothing else configured.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from creditbridge.adapters.quickbooks.simulator import QuickBooksSimulator
from creditbridge.sync.secrets import generate_key

CLI = str(Path(sys.executable).parent / "creditbridge")


@pytest.fixture
def simulator() -> Iterator[tuple[QuickBooksSimulator, str]]:
    sim = QuickBooksSimulator(seed=3, customers=6, rate_limits=False)
    with sim.serve() as running:
        yield sim, running.base_url


def test_connect_stores_the_token_encrypted_and_a_pull_then_works(tmp_path: Path, simulator):
    sim, base_url = simulator
    (tmp_path / "creditbridge.toml").write_text(f"""
store_url = "sqlite:///creditbridge.db"
log_level = "warning"

[[connections]]
name = "acme"
erp = "quickbooks"
credentials = "store:acme"

[connections.options]
base_url = "{base_url}"
realm_id = "{sim.realm_id}"
""")
    env = {**os.environ, "CREDITBRIDGE_SECRET_KEY": generate_key(), "CREDITBRIDGE_QBO_CLIENT_ID": sim.client_id,
           "CREDITBRIDGE_QBO_CLIENT_SECRET": sim.client_secret}  # fmt: skip
    redirect = f"https://example.invalid/cb?code={sim.authorization_code()}&state=s1&realmId={sim.realm_id}"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([CLI, *args], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)

    linked = cli("connect", "quickbooks", "--connection", "acme", "--redirect-url", redirect, "--state", "s1")
    assert linked.returncode == 0, linked.stderr
    assert f"company {sim.realm_id}" in linked.stdout
    assert sim.client_secret not in linked.stdout + linked.stderr
    assert sim.client_secret.encode() not in (tmp_path / "creditbridge.db").read_bytes(), "stored encrypted"

    pulled = cli("pull", "--format", "json")
    assert pulled.returncode == 0, pulled.stderr
    summary = json.loads(pulled.stdout)["pulls"][0]
    customers = next(e for e in summary["entities"] if e["entity"] == "customers")
    assert customers["inserted"] == len(sim.entities("Customer"))


def test_a_redirect_from_another_attempt_is_refused(tmp_path: Path, simulator):
    sim, base_url = simulator
    (tmp_path / "creditbridge.toml").write_text(f"""
[[connections]]
name = "acme"
erp = "quickbooks"
credentials = "store:acme"
[connections.options]
base_url = "{base_url}"
""")
    env = {**os.environ, "CREDITBRIDGE_SECRET_KEY": generate_key(), "CREDITBRIDGE_QBO_CLIENT_ID": sim.client_id,
           "CREDITBRIDGE_QBO_CLIENT_SECRET": sim.client_secret}  # fmt: skip
    redirect = f"https://example.invalid/cb?code={sim.authorization_code()}&state=other&realmId={sim.realm_id}"
    result = subprocess.run([CLI, "connect", "quickbooks", "--connection", "acme", "--redirect-url", redirect,
                             "--state", "s1"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)  # fmt: skip
    assert result.returncode != 0 and "state differs" in result.stderr
