"""The conflicts page as an approver uses it: see the ERP's value against ours, keep one, retry a stopped row.

The ERP is the in-memory fake kept in a file (connection `erp1`, erp = "memory"), so the app reads
the same ERP the test edits. Customer A (limit 5,000 USD) was asked down to 4,000 by analyst1; someone
then set 4,500 in the ERP, so the push stopped as a CONFLICT. Customer B's new hold could not be
sent while the ERP was unavailable and its one attempt ran out (FAILED: a stopped row to retry).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from creditbridge.adapters.files import read_ledger
from creditbridge.adapters.memory import Fault, InMemoryErp
from creditbridge.core.writeback import WritebackPolicy
from creditbridge.sync import writeback as wb
from creditbridge.sync.config import Config, ConnectionConfig
from creditbridge.sync.service.app import create_app
from creditbridge.sync.store import Store
from creditbridge.sync.web import roles
from creditbridge.sync.web.users import add_user
from creditbridge.sync.writeback import OutboxStatus, RequestStatus

from .test_web_workspace import FIXTURE, audit_actions, cheap_hashes, csrf_on, password_of, sign_in

__all__ = ["cheap_hashes"]  # the autouse fixture, imported so it applies here too

SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
POLICY = WritebackPolicy(increase_approval_threshold=Decimal("1000"))


@dataclass
class World:
    store: Store
    erp: InMemoryErp
    config: Config
    conflict: wb.OutboxRow
    stopped: wb.OutboxRow

    def client(self, username: str) -> TestClient:
        return sign_in(TestClient(create_app(self.config, store=self.store)), username)

    def row(self, row_id: str) -> wb.OutboxRow:
        return wb.find(self.store.engine, row_id)


@pytest.fixture
def world(store_url: str, tmp_path: Path) -> Iterator[World]:
    ledger = read_ledger(FIXTURE)
    state = tmp_path / "erp.json"
    erp = InMemoryErp.from_ledger(ledger.to_ledger(), state_path=state, name="erp1")
    config = Config(store_url=store_url,
                    connections=[ConnectionConfig(name="erp1", erp="memory", options={"state_path": str(state)})])  # fmt: skip
    with Store.open(store_url) as store:
        store.import_ledger(ledger, source="erp1")
        for role in roles.ROLES:
            add_user(store.engine, f"{role}1", password_of(f"{role}1"), role, actor="test")
        lower = wb.request_profile_change(store, "erp1", erp, "A", POLICY, requested_by="analyst1",
                                          reason="slower payer", credit_limit=Decimal("4000"))  # fmt: skip
        assert lower.outbox_row is not None  # a decrease goes out without a second person
        erp.edit_profile("A", credit_limit=Decimal("4500"))  # someone in the ERP, after we asked
        wb.dispatch(store, "erp1", erp, "run-conflict")
        hold = wb.request_profile_change(store, "erp1", erp, "B", POLICY, requested_by="analyst1",
                                         reason="90 days late", on_hold=True)  # fmt: skip
        assert hold.outbox_row is not None
        erp.fail_next("write_credit_profile", Fault.UNAVAILABLE)
        wb.dispatch(store, "erp1", erp, "run-failed", settings=wb.DispatchSettings(max_attempts=1))
        world = World(store, erp, config, wb.find(store.engine, lower.outbox_row.id),
                      wb.find(store.engine, hold.outbox_row.id))  # fmt: skip
        assert world.conflict.status is OutboxStatus.CONFLICT and world.stopped.status is OutboxStatus.FAILED
        yield world


def post(client: TestClient, path: str, **form: str) -> object:
    csrf = csrf_on(client.get("/conflicts").text)
    return client.post(path, data={"csrf": csrf, **form}, follow_redirects=False)


def test_the_page_shows_the_erps_value_ours_and_what_we_last_knew(world: World) -> None:
    page = world.client("approver1").get("/conflicts")
    assert page.status_code == 200
    html = page.text
    conflict = html.split(world.conflict.id[:8], 1)[1].split("</tr>", 1)[0]
    assert "credit limit" in conflict
    # the ERP has 4,500, we want 4,000, we last knew 5,000 — in that order of the columns
    assert conflict.index("4,500.00 USD") < conflict.index("4,000.00 USD") < conflict.index("5,000.00 USD")
    assert "Keep the ERP" in conflict and "Keep ours" in conflict
    stopped = html.split(world.stopped.id[:8], 1)[1].split("</tr>", 1)[0]
    assert "stopped" in stopped and "hold" in stopped and "Retry" in stopped
    assert world.stopped.last_error and world.stopped.last_error[:30] in stopped.replace("&#39;", "'")


def test_the_list_filters_and_sorts_on_the_server(world: World) -> None:
    client = world.client("analyst1")
    only_a = client.get("/conflicts?q=conflict").text
    assert world.conflict.id[:8] in only_a and world.stopped.id[:8] not in only_a
    b_first = client.get("/conflicts?sort=customer_id&dir=desc").text
    assert b_first.index(world.stopped.id[:8]) < b_first.index(world.conflict.id[:8])
    a_first = client.get("/conflicts?sort=customer_id&dir=asc").text
    assert a_first.index(world.conflict.id[:8]) < a_first.index(world.stopped.id[:8])
    assert "Keep ours" not in client.get("/conflicts").text  # an analyst sees, approvers decide


def test_keeping_the_erps_value_closes_the_request_as_the_cli_does(world: World) -> None:
    client = world.client("approver1")
    response = post(client, f"/conflicts/{world.conflict.id}/resolve", keep="erp")
    assert response.status_code == 303  # type: ignore[attr-defined]
    row = world.row(world.conflict.id)
    assert (row.status, row.resolution, row.resolved_by) == (OutboxStatus.CONFLICT, "erp", "approver1")
    assert wb.get_request(world.store, row.request_id).status is RequestStatus.SUPERSEDED
    assert ("approver1", "resolved", "KEPT_ERP") in audit_actions(world.store)
    assert world.erp.profile("A").credit_limit.amount == Decimal("4500")  # type: ignore[union-attr]
    assert "the ERP&#39;s values are kept" in client.get(response.headers["location"]).text  # type: ignore[attr-defined]
    assert wb.audit.verify_chain(world.store.engine).ok


def test_keeping_ours_requests_our_value_again_against_the_erps_value_now(world: World) -> None:
    client = world.client("admin1")
    response = post(client, f"/conflicts/{world.conflict.id[:8]}/resolve", keep="ours")
    assert response.status_code == 303  # type: ignore[attr-defined]
    row = world.row(world.conflict.id)
    assert (row.resolution, row.resolved_by) == ("ours", "admin1")
    old = wb.get_request(world.store, row.request_id)
    assert old.status is RequestStatus.SUPERSEDED and old.superseded_by is not None
    new = wb.get_request(world.store, old.superseded_by)
    assert new.before.credit_limit == Decimal("4500") and new.wanted.credit_limit == Decimal("4000")
    assert new.requested_by == "admin1"
    # 4,500 -> 4,000 is a decrease: queued at once, and the next push applies it
    (queued,) = [r for r in wb.list_rows(world.store.engine, "erp1") if r.status is OutboxStatus.PENDING]
    assert queued.request_id == new.id and queued.expected.credit_limit == Decimal("4500")
    wb.dispatch(world.store, "erp1", world.erp, "run-after")
    assert world.erp.profile("A").credit_limit.amount == Decimal("4000")  # type: ignore[union-attr]
    assert ("admin1", "resolved", "KEPT_OURS") in audit_actions(world.store)


def test_retry_puts_a_stopped_row_back_in_the_queue_and_the_next_push_sends_it(world: World) -> None:
    client = world.client("approver1")
    response = post(client, f"/conflicts/{world.stopped.id}/retry")
    assert response.status_code == 303  # type: ignore[attr-defined]
    row = world.row(world.stopped.id)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)
    assert ("approver1", "retried", "PENDING") in audit_actions(world.store)
    again = post(client, f"/conflicts/{world.stopped.id}/retry")
    assert again.status_code == 409 and "nothing to retry" in again.text  # type: ignore[attr-defined]
    wb.dispatch(world.store, "erp1", world.erp, "run-after")
    assert world.erp.profile("B").on_hold  # type: ignore[union-attr]


def test_a_conflict_already_resolved_is_refused_with_409_and_nothing_changes(world: World) -> None:
    client = world.client("approver1")
    assert post(client, f"/conflicts/{world.conflict.id}/resolve", keep="erp").status_code == 303  # type: ignore[attr-defined]
    before = audit_actions(world.store)
    again = post(client, f"/conflicts/{world.conflict.id}/resolve", keep="ours")
    assert again.status_code == 409 and "already resolved" in again.text  # type: ignore[attr-defined]
    assert world.row(world.conflict.id).resolution == "erp"
    assert audit_actions(world.store) == before
    assert post(client, f"/conflicts/{world.conflict.id}/retry").status_code == 409  # type: ignore[attr-defined]


@SQLITE_ONLY
def test_an_unknown_row_is_404_and_a_missing_choice_400(world: World) -> None:
    client = world.client("approver1")
    assert post(client, "/conflicts/ffffffff-0000/resolve", keep="erp").status_code == 404  # type: ignore[attr-defined]
    assert post(client, "/conflicts/ffffffff-0000/retry").status_code == 404  # type: ignore[attr-defined]
    assert post(client, f"/conflicts/{world.conflict.id}/resolve", keep="both").status_code == 400  # type: ignore[attr-defined]
    assert world.row(world.conflict.id).resolution is None


@SQLITE_ONLY
def test_keeping_ours_without_the_connection_configured_changes_nothing(world: World) -> None:
    world.config = Config(store_url=world.store.url)  # the server no longer knows connection erp1
    response = post(world.client("approver1"), f"/conflicts/{world.conflict.id}/resolve", keep="ours")
    assert response.status_code == 409 and "erp1" in response.text  # type: ignore[attr-defined]
    assert world.row(world.conflict.id).resolution is None


@SQLITE_ONLY
@pytest.mark.parametrize("username", ["viewer1", "collector1"])
def test_viewers_and_collectors_neither_see_nor_decide_conflicts(world: World, username: str) -> None:
    client = world.client(username)
    assert client.get("/conflicts").status_code == 403
    assert client.get("/conflicts.csv").status_code == 403
    csrf = csrf_on(client.get("/dashboard").text)
    for path, form in ((f"/conflicts/{world.conflict.id}/resolve", {"keep": "erp"}),
                       (f"/conflicts/{world.stopped.id}/retry", {})):  # fmt: skip
        assert client.post(path, data={"csrf": csrf, **form}, follow_redirects=False).status_code == 403
    assert world.row(world.conflict.id).resolution is None
    assert world.row(world.stopped.id).status is OutboxStatus.FAILED
    assert 'href="/conflicts"' not in client.get("/dashboard").text


@SQLITE_ONLY
def test_an_analyst_sees_the_page_but_cannot_decide(world: World) -> None:
    client = world.client("analyst1")
    dashboard = client.get("/dashboard").text
    assert 'href="/conflicts"' in dashboard  # the dashboard's tiles and the nav link
    assert re.search(r"<b>1</b><span>write-back conflicts</span>", dashboard)
    assert re.search(r"<b>1</b><span>stopped writes to retry</span>", dashboard)
    response = post(client, f"/conflicts/{world.conflict.id}/resolve", keep="erp")
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert world.row(world.conflict.id).resolution is None


@SQLITE_ONLY
def test_the_list_exports_as_csv_and_xlsx(world: World) -> None:
    client = world.client("analyst1")
    csv = client.get("/conflicts.csv?q=stopped")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0].startswith("id,connection,customer_id,customer_name,request_id,state,fields,erp_now,ours")
    assert len(lines) == 2 and lines[1].startswith(f"{world.stopped.id},erp1,B,")
    xlsx = client.get("/conflicts.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    cells = {str(c.value) for row in sheet.iter_rows() for c in row}
    assert {world.conflict.id, world.stopped.id, "4,500.00 USD"} <= cells
    assert client.get("/conflicts.pdf").status_code == 404
