"""Resolving a write-back conflict, and the users page, in a real headless Chromium against `creditbridge serve`.

The served store (tests/e2e/test_web_browser's `served`: ledger of customers A, B, C; alice analyst,
bob approver) gets two stopped writes made with the in-memory ERP: customer A's limit lowered to
4,000 by alice while someone set 4,500 in the ERP (a CONFLICT), and customer B's new hold that could
not be sent while the ERP was down (FAILED). `bob` follows the dashboard's conflicts tile to
/conflicts and keeps the ERP's value for A; the store must then say the conflict was resolved by bob
in the ERP's favour and alice's request closed. Then `ada` (admin) opens /admin/users. Screenshots
of both pages go to the test's tmp folder (`screenshots/`).
"""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from creditbridge.adapters.files import read_ledger
from creditbridge.adapters.memory import Fault, InMemoryErp
from creditbridge.core.writeback import WritebackPolicy
from creditbridge.sync import writeback as wb
from creditbridge.sync.store import Store
from creditbridge.sync.writeback import OutboxStatus, RequestStatus

from .test_serve import CLI, environment
from .test_web_browser import SEED, browser_page, served

__all__ = ["browser_page", "served"]  # fixtures, imported so that pytest finds them here

pytestmark = pytest.mark.slow


def stop_two_writes(store: Store) -> tuple[str, str]:
    """A's lowered limit stops as a CONFLICT, B's new hold as FAILED; their outbox ids."""
    erp = InMemoryErp.from_ledger(read_ledger(SEED).to_ledger(), name="erp1")
    policy = WritebackPolicy()
    lower = wb.request_profile_change(store, "erp1", erp, "A", policy, requested_by="alice", reason="slower payer",
                                      credit_limit=Decimal("4000"))  # fmt: skip
    erp.edit_profile("A", credit_limit=Decimal("4500"))
    wb.dispatch(store, "erp1", erp, "run-conflict")
    hold = wb.request_profile_change(store, "erp1", erp, "B", policy, requested_by="alice", reason="90 days late",
                                     on_hold=True)  # fmt: skip
    erp.fail_next("write_credit_profile", Fault.UNAVAILABLE)
    wb.dispatch(store, "erp1", erp, "run-failed", settings=wb.DispatchSettings(max_attempts=1))
    assert lower.outbox_row is not None and hold.outbox_row is not None
    return lower.outbox_row.id, hold.outbox_row.id


def sign_in(page: Any, base: str, name: str, password: str) -> None:
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard*")


def test_an_approver_keeps_the_erps_value_and_an_admin_sees_the_users(
    browser_page: Any, served: tuple[str, str], tmp_path: Path
) -> None:
    base, store_url = served
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with Store.open(store_url) as store:
        conflict_id, stopped_id = stop_two_writes(store)
    added = subprocess.run([CLI, "users", "add", "ada", "--role", "admin", "--password-stdin", "--config",
                            str(tmp_path / "creditbridge.toml")], input="ada-password-1\n", text=True,
                           capture_output=True, env=environment(), timeout=60)  # fmt: skip
    assert added.returncode == 0, added.stderr
    page = browser_page

    page.goto(f"{base}/dashboard")
    sign_in(page, base, "bob", "bob-password-1")
    tile = page.locator("a.tile[href='/conflicts']", has_text="write-back conflicts")
    assert tile.inner_text().startswith("1")  # one conflict waiting
    tile.click()
    page.wait_for_url(f"{base}/conflicts")
    row = page.locator("table.data tr", has_text=conflict_id[:8])
    assert "4,500.00 USD" in row.inner_text() and "4,000.00 USD" in row.inner_text()
    assert "Retry" in page.locator("table.data tr", has_text=stopped_id[:8]).inner_text()
    page.screenshot(path=str(shots / "01-conflicts.png"), full_page=True)

    row.locator("button[name=keep][value=erp]").click()
    page.wait_for_url(f"{base}/conflicts?done=erp-{conflict_id[:8]}")
    assert "the ERP's values are kept" in page.inner_text("[role=status]")
    assert page.locator("table.data tr", has_text=conflict_id[:8]).count() == 0  # no longer waiting
    page.screenshot(path=str(shots / "02-conflict-resolved.png"), full_page=True)

    with Store.open(store_url) as store:
        resolved = wb.find(store.engine, conflict_id)
        request = wb.get_request(store, resolved.request_id)
        stopped = wb.find(store.engine, stopped_id)
    assert (resolved.status, resolved.resolution, resolved.resolved_by) == (OutboxStatus.CONFLICT, "erp", "bob")
    assert request.status is RequestStatus.SUPERSEDED and request.requested_by == "alice"
    assert stopped.status is OutboxStatus.FAILED  # untouched

    page.click("form[action='/logout'] button")
    page.wait_for_url(f"{base}/login*")
    page.goto(f"{base}/admin/users")
    sign_in_target = f"{base}/admin/users"
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", "ada-password-1")
    page.click("button[type=submit]")
    page.wait_for_url(sign_in_target)
    assert page.locator("table.data tr", has_text="bob").count() == 1
    page.screenshot(path=str(shots / "03-admin-users.png"), full_page=True)
    assert sorted(p.name for p in shots.iterdir()) == ["01-conflicts.png", "02-conflict-resolved.png",
                                                       "03-admin-users.png"]  # fmt: skip
