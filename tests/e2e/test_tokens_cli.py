"""`creditbridge tokens add|list|revoke` as an administrator runs them, against a real `creditbridge serve`.

The server and its folder are test_serve.py's (a memory ERP seeded with ledger_kpi; `creditbridge
pull` brings customer A, limit 5,000 USD, into the store). A token added on the command line works
at once against the running server; revoked, it is refused at once; `POST /credit/check`, open
before the first token, needs one after.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import httpx
import sqlalchemy as sa

from creditbridge.sync.store import Store
from creditbridge.sync.store.web_tables import api_tokens
from creditbridge.sync.store.writeback_tables import audit_log

from . import test_serve
from .test_serve import cli

folder = test_serve.folder
server = test_serve.server
CHECK = {"customer_id": "A", "amount": "2700", "as_of": "2026-01-30"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_admin_adds_lists_and_revokes_tokens_that_the_running_server_honours(server: str, folder: Path) -> None:
    assert cli(folder, "pull").returncode == 0
    assert httpx.post(f"{server}/credit/check", json=CHECK).status_code == 200  # no token yet: open, as before

    added = cli(folder, "tokens", "add", "erp-orders", "--role", "viewer")
    assert added.returncode == 0, added.stderr
    erp_token = added.stdout.strip()
    assert re.fullmatch(r"cb_[A-Za-z0-9_-]{43}", erp_token), added.stdout  # stdout is the token alone (for scripts)
    assert "shown only now" in added.stderr and "viewer" in added.stderr
    ops_token = cli(folder, "tokens", "add", "ops", "--role", "admin").stdout.strip()

    listed = json.loads(cli(folder, "tokens", "list", "--format", "json").stdout)
    assert [(t["name"], t["role"], t["revoked_at"]) for t in listed] == [
        ("erp-orders", "viewer", None),
        ("ops", "admin", None),
    ]
    assert erp_token not in json.dumps(listed) and "erp-orders" in cli(folder, "tokens", "list").stdout

    assert httpx.post(f"{server}/credit/check", json=CHECK).status_code == 401  # a token exists: now it needs one
    checked = httpx.post(f"{server}/credit/check", json=CHECK, headers=bearer(erp_token))
    assert checked.status_code == 200 and checked.json()["decision"] == "warn"
    assert httpx.get(f"{server}/api/v1/approvals", headers=bearer(erp_token)).status_code == 403  # viewer
    customers = httpx.get(f"{server}/api/v1/customers?as_of=2026-03-31", headers=bearer(ops_token))
    assert customers.status_code == 200 and {r["customer_id"] for r in customers.json()["rows"]} == {"A", "B", "C"}

    revoked = cli(folder, "tokens", "revoke", "erp-orders")
    assert revoked.returncode == 0 and "revoked token erp-orders" in revoked.stdout
    assert httpx.post(f"{server}/credit/check", json=CHECK, headers=bearer(erp_token)).status_code == 401
    assert httpx.get(f"{server}/api/v1/customers", headers=bearer(ops_token)).status_code == 200

    again = cli(folder, "tokens", "add", "erp-orders", "--role", "viewer")
    twice = cli(folder, "tokens", "revoke", "erp-orders")
    unknown = cli(folder, "tokens", "revoke", "nobody")
    wrong_role = cli(folder, "tokens", "add", "x", "--role", "root")
    assert (again.returncode, twice.returncode, unknown.returncode, wrong_role.returncode) == (2, 2, 2, 2)
    assert "never reused" in again.stderr and "was revoked" in twice.stderr
    assert "no token 'nobody'" in unknown.stderr and "unknown role 'root'" in wrong_role.stderr

    with Store.open(f"sqlite:///{folder / 'store.db'}") as store, store.engine.connect() as conn:
        hashes = dict(conn.execute(sa.select(api_tokens.c.name, api_tokens.c.token_hash)).all())
        events = conn.execute(sa.select(audit_log.c.actor, audit_log.c.action).order_by(audit_log.c.seq)).all()
    assert hashes["erp-orders"] == hashlib.sha256(erp_token.encode()).hexdigest()  # the hash, never the token
    token_events = [(actor.split(":")[0], action) for actor, action in events if action.startswith("token_")]
    assert token_events == [("cli", "token_added"), ("cli", "token_added"), ("cli", "token_revoked")]
