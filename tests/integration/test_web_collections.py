"""The collections side of the web workspace as a collector meets it, through FastAPI's TestClient.

The store holds tests/fixtures/ledger_collections (customers C1..C7, see its README), as of
2026-10-01, and one user per role. The worklist must be `creditbridge collections worklist`'s —
same rows, same order — and each action (log a call, record a promise, open a dispute) must land
in the store and in the audit log with the user, or be refused with nothing written.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from creditbridge.adapters.files import read_ledger
from creditbridge.core.money import Money
from creditbridge.mappings.credit_policy import policy_from_environment
from creditbridge.sync.collections.policy_file import builtin_policy
from creditbridge.sync.collections.repository import (
    add_note,
    add_promise,
    collections_data,
    load_disputes,
    load_notes,
    load_promises,
    queue_message,
)
from creditbridge.sync.credit_review_job import review_source
from creditbridge.sync.store import Store
from creditbridge.sync.store.collections_tables import disputes, promises
from creditbridge.sync.web import roles
from creditbridge.sync.web.users import add_user

from .test_web_workspace import audit_actions, browser, cheap_hashes, csrf_on, password_of, sign_in

__all__ = ["cheap_hashes"]  # argon2 at test strength (an autouse fixture of the workspace tests)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_collections"
CLI = str(Path(sys.executable).parent / "creditbridge")
AS_OF = "2026-10-01"
SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store.open(store_url) as opened:
        opened.import_ledger(read_ledger(FIXTURE), source="erp1")
        for role in roles.ROLES:
            add_user(opened.engine, f"{role}1", password_of(f"{role}1"), role, actor="test")
        yield opened


def collector(store: Store, name: str = "collector1") -> tuple[TestClient, str]:
    client = sign_in(browser(store), name)
    return client, csrf_on(client.get(f"/collections?as_of={AS_OF}").text)


def cli_worklist(store: Store, tmp_path: Path) -> list[list[str]]:
    done = subprocess.run([CLI, "collections", "worklist", "--store", store.url, "--as-of", AS_OF, "--format", "csv"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return list(csv.reader(io.StringIO(done.stdout)))


def page_order(html: str) -> list[str]:
    return re.findall(r'<tr class="entry" id="c-([^"]+)"', html)


def promise_rows(store: Store) -> list[tuple[str, str, Decimal, str, date]]:
    with store.engine.connect() as conn:
        return [(p.customer_id, p.promise_id or "", p.amount.amount, p.amount.currency, p.promise_date)
                for p in load_promises(conn)]  # fmt: skip


def table_count(store: Store, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


# ---------------------------------------------------------------------------------------- the worklist


def test_the_worklist_is_the_clis_worklist_row_for_row_in_its_order(store: Store, tmp_path: Path) -> None:
    with store.engine.begin() as conn:  # a promise holds C2's I4, as `promises add` would record it
        add_promise(conn, "C2", date(2026, 10, 15), Money.of("300", "USD"), ("I4",), date(2026, 9, 26))
        add_note(conn, "C7", "call", "AP clerk on holiday until Monday")
    expected = cli_worklist(store, tmp_path)
    assert len(expected) > 4  # a header and several customers, so the order means something
    client, _csrf = collector(store)

    html = client.get(f"/collections?as_of={AS_OF}").text
    assert page_order(html) == [row[0] for row in expected[1:]]
    exported = list(csv.reader(io.StringIO(client.get(f"/collections.csv?as_of={AS_OF}").text)))
    assert [row[1:] for row in exported] == expected
    assert [row[0] for row in exported[1:]] == [str(n) for n in range(1, len(expected))]
    assert "AP clerk on holiday" in html  # the last contact, as the CLI shows it


@SQLITE_ONLY
def test_the_xlsx_export_opens_and_holds_the_worklist(store: Store, tmp_path: Path) -> None:
    expected = cli_worklist(store, tmp_path)
    client, _csrf = collector(store)
    response = client.get(f"/collections.xlsx?as_of={AS_OF}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Rank", "Customer", "Name")
    assert [r[1] for r in rows[1:]] == [row[0] for row in expected[1:]]
    overdue = {r[1]: r[5] for r in rows[1:]}
    assert Decimal(str(overdue["C5"])) == Decimal("900")  # a number in the sheet, not text


@SQLITE_ONLY
def test_the_worklist_filters_sorts_and_pages_on_the_server(store: Store) -> None:
    client, _csrf = collector(store)
    assert page_order(client.get(f"/collections?as_of={AS_OF}&q=zeta").text) == ["C6"]
    by_name = page_order(client.get(f"/collections?as_of={AS_OF}&sort=customer_name&dir=asc").text)
    alphabetical = ["C1", "C2", "C4", "C5", "C7", "C3", "C6"]  # Alpha, Beta, Delta, Epsilon, Eta, Gamma, Zeta
    assert len(by_name) > 4 and by_name == [c for c in alphabetical if c in by_name]
    assert client.get("/collections.pdf").status_code == 404
    assert "C6" in client.get(f"/collections.csv?as_of={AS_OF}&q=zeta").text
    assert "C5" not in client.get(f"/collections.csv?as_of={AS_OF}&q=zeta").text


# ---------------------------------------------------------------------------------------- the actions


def test_a_collector_logs_a_call_records_a_promise_and_opens_a_dispute(store: Store) -> None:
    client, csrf = collector(store)

    called = client.post("/collections/C1/call", data={"csrf": csrf, "as_of": AS_OF, "text": "AP says Friday",
                                                       "list": f"?as_of={AS_OF}&q=alpha"}, follow_redirects=False)  # fmt: skip
    assert called.status_code == 303
    assert called.headers["location"] == f"/collections?as_of={AS_OF}&q=alpha&done=call&customer=C1"
    assert "Call logged for C1." in client.get(called.headers["location"]).text
    with store.engine.connect() as conn:
        assert [(n.kind, n.status, n.owner, n.text) for n in load_notes(conn, "C1")] == [
            ("call", "done", "collector1", "AP says Friday")]  # fmt: skip

    promised = client.post("/collections/C1/promise", data={"csrf": csrf, "as_of": AS_OF, "amount": "100.00",
                                                            "date": "2026-10-09"}, follow_redirects=False)  # fmt: skip
    assert promised.status_code == 303
    assert promise_rows(store) == [("C1", "1", Decimal("100.00"), "USD", date(2026, 10, 9))]
    with store.engine.connect() as conn:
        assert load_promises(conn)[0].made_on == date(2026, 10, 1)  # the day the page was looked at

    disputed = client.post("/collections/C1/dispute", data={"csrf": csrf, "as_of": AS_OF, "item": "I2",
                                                            "reason": "damaged", "note": "box crushed",
                                                            "back": "customer"}, follow_redirects=False)  # fmt: skip
    assert disputed.status_code == 303
    assert disputed.headers["location"] == f"/customers/C1?as_of={AS_OF}#collections"
    with store.engine.connect() as conn:
        found = load_disputes(conn, "C1")
        assert [(d.item_id, d.reason, d.owner, d.status.value) for d in found] == [
            ("I2", "damaged", "collector1", "open")]  # fmt: skip
        assert load_notes(conn, "C1")[-1].text == "dispute #1 opened on I2: damaged (box crushed)"

    actions = [a for a in audit_actions(store) if a[0] == "collector1" and a[1] != "login"]
    assert actions == [("collector1", "call_logged", "ok"), ("collector1", "promise_recorded", "ok"),
                       ("collector1", "dispute_opened", "ok")]  # fmt: skip

    page = client.get(f"/customers/C1?as_of={AS_OF}").text
    assert re.search(r"100\.00 USD</td>\s*<td class=\"num\">0\.00</td><td>any</td>\s*<td><span class=\"badge warn\">open",
                     page)  # fmt: skip
    assert "box crushed" in page and "damaged" in page
    worklist = client.get(f"/collections?as_of={AS_OF}").text
    assert page_order(worklist)[-1] == "C1"  # promised and disputed: nothing left to chase, as the CLI says
    assert "wait (disputed or promised)" in worklist


@SQLITE_ONLY
@pytest.mark.parametrize("role", ["viewer"])
@pytest.mark.parametrize("path", ["/collections/C1/call", "/collections/C1/promise", "/collections/C1/dispute"])
def test_a_viewer_is_refused_every_collections_action(store: Store, role: str, path: str) -> None:
    client, csrf = collector(store, f"{role}1")
    form = {"csrf": csrf, "as_of": AS_OF, "text": "x", "amount": "10", "date": "2026-10-09", "item": "I1",
            "reason": "pricing"}  # fmt: skip
    response = client.post(path, data=form, follow_redirects=False)
    assert response.status_code == 403
    assert table_count(store, promises) == 0 and table_count(store, disputes) == 0
    with store.engine.connect() as conn:
        assert load_notes(conn) == []
    assert "Record promise" not in client.get(f"/collections?as_of={AS_OF}").text  # and no form is offered


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"amount": "abc", "date": "2026-10-09"}, "Amount"),
        ({"amount": "-5", "date": "2026-10-09"}, "Amount"),
        ({"amount": "0", "date": "2026-10-09"}, "Amount"),
        ({"amount": "1.23456", "date": "2026-10-09"}, "Amount"),
        ({"amount": "1e3", "date": "2026-10-09"}, "Amount"),
        ({"amount": "", "date": "2026-10-09"}, "Amount"),
        ({"amount": "99999999999999999999", "date": "2026-10-09"}, "Amount"),
        ({"amount": "100", "date": "2026-13-01"}, "Date"),
        ({"amount": "100", "date": ""}, "Date"),
        ({"amount": "100", "date": "next friday"}, "Date"),
        ({"amount": "100", "date": "2026-10-09", "invoice": "I3"}, "Invoice"),
    ],
)
def test_a_bad_promise_is_refused_naming_the_field_and_nothing_is_written(store: Store, form: dict[str, str],
                                                                          field: str) -> None:  # fmt: skip
    client, csrf = collector(store)
    response = client.post("/collections/C1/promise", data={"csrf": csrf, **form}, follow_redirects=False)
    assert response.status_code == 400
    assert "Promise not recorded" in response.text and f"{field}:" in response.text
    assert table_count(store, promises) == 0
    with store.engine.connect() as conn:
        assert load_notes(conn) == []
    assert not any(a[1] == "promise_recorded" for a in audit_actions(store))


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("path", "form", "status", "says"),
    [
        (
            "/collections/C1/dispute",
            {"item": "I1", "reason": "bogus"},
            400,
            "Reason: &#39;bogus&#39; is not a reason code",
        ),
        ("/collections/C1/dispute", {"item": "", "reason": "pricing"}, 400, "Item: is required"),
        ("/collections/C1/dispute", {"item": "I1", "reason": "pricing", "amount": "x"}, 400, "Amount:"),
        ("/collections/C1/dispute", {"item": "NO-SUCH", "reason": "pricing"}, 404, "no invoice &#39;NO-SUCH&#39;"),
        ("/collections/C1/dispute", {"item": "I7", "reason": "pricing"}, 404, "no invoice &#39;I7&#39; of C1"),
        ("/collections/NOPE/dispute", {"item": "I1", "reason": "pricing"}, 404, "no customer &#39;NOPE&#39;"),
        ("/collections/NOPE/promise", {"amount": "10", "date": "2026-10-09"}, 404, "no customer &#39;NOPE&#39;"),
        ("/collections/NOPE/call", {"text": "hello"}, 404, "no customer &#39;NOPE&#39;"),
        ("/collections/C1/call", {"text": "  "}, 400, "Text: is required"),
        ("/collections/C1/call", {"text": "x" * 501}, 400, "Text: is longer than 500 characters"),
    ],
)
def test_bad_or_unknown_input_is_refused_and_nothing_is_written(store: Store, path: str, form: dict[str, str],
                                                                status: int, says: str) -> None:  # fmt: skip
    client, csrf = collector(store)
    response = client.post(path, data={"csrf": csrf, **form}, follow_redirects=False)
    assert response.status_code == status, response.text
    assert says in response.text
    assert table_count(store, promises) == 0 and table_count(store, disputes) == 0
    with store.engine.connect() as conn:
        assert load_notes(conn) == []


# ---------------------------------------------------------------------------------------- dashboard and customer 360


@SQLITE_ONLY
def test_the_dashboard_counts_broken_promises_and_due_calls_and_links_to_them(store: Store) -> None:
    with store.engine.begin() as conn:
        add_promise(conn, "C6", date(2026, 9, 25), Money.of("80", "USD"), ("I9",), date(2026, 9, 20))  # broken
        add_promise(conn, "C1", date(2026, 10, 20), Money.of("100", "USD"), (), date(2026, 9, 30))  # still open
        add_note(conn, "C7", "call", "call about I10", status="open", follow_up_on=date(2026, 9, 30))  # due
        add_note(conn, "C5", "call", "call after the agency", status="open", follow_up_on=date(2026, 10, 5))  # later
    client, _csrf = collector(store, "viewer1")
    page = client.get(f"/dashboard?as_of={AS_OF}").text
    assert re.search(r'href="/collections\?show=broken_promises&amp;as_of=2026-10-01"><b>1</b><span>broken promises',
                     page)  # fmt: skip
    assert re.search(r'href="/collections\?show=calls_due&amp;as_of=2026-10-01"><b>1</b><span>call tasks due', page)
    assert page_order(client.get(f"/collections?show=broken_promises&as_of={AS_OF}").text) == ["C6"]
    assert page_order(client.get(f"/collections?show=calls_due&as_of={AS_OF}").text) == ["C7"]
    later = client.get("/dashboard?as_of=2026-10-06").text
    assert re.search(r"<b>2</b><span>call tasks due", later)


@SQLITE_ONLY
def test_the_customer_page_shows_dunning_history_promises_disputes_and_the_review_score(store: Store) -> None:
    day = date.fromisoformat(AS_OF)
    review_source(store, "erp1", policy_from_environment(None), day, "analyst1", customers=["C5"])
    with store.engine.begin() as conn:
        data = collections_data(conn, store.load_ledger(), builtin_policy(), store.url)
        message = next(m for m in data.plan(day).messages if m.customer_id == "C5")
        queue_message(conn, message, day, "letter", None, None)
        add_promise(conn, "C5", date(2026, 9, 25), Money.of("900", "USD"), (), date(2026, 9, 20))
    client, csrf = collector(store, "analyst1")
    page = client.get(f"/customers/C5?as_of={AS_OF}").text
    assert "Risk class and behaviour score" in page and "from credit review #1" in page
    assert "payment_index" in page and "<td>base</td>" in page
    assert re.search(r"<td>2026-10-01</td><td class=\"num\">\d</td><td>letter</td>\s*<td><span class=\"badge warn\">"
                     r"queued", page)  # fmt: skip
    assert re.search(r'<span class="badge bad">broken</span>', page)
    assert "No disputes." in page
    response = client.post("/collections/C5/dispute", data={"csrf": csrf, "as_of": AS_OF, "item": "I7",
                                                            "reason": "not_received", "back": "customer"})  # fmt: skip
    assert response.status_code == 200 and response.url.path == "/customers/C5"
    assert re.search(r"<td>I7</td><td>not_received</td><td>2026-10-01</td>\s*<td class=\"num\">0</td>"
                     r"<td>analyst1</td>\s*<td><span class=\"badge warn\">open", response.text)  # fmt: skip
    assert client.get("/customers/C4").status_code == 200  # no review, no promises: the page still stands


def test_a_collector_resolves_a_dispute_and_marks_a_call_task_done_on_the_customer_page(store: Store) -> None:
    with store.engine.begin() as conn:
        task = add_note(conn, "C7", "call", "call about I10", status="open", follow_up_on=date(2026, 9, 30))
        other = add_note(conn, "C6", "call", "call about I9", status="open", follow_up_on=date(2026, 9, 30))
    client, csrf = collector(store)
    assert client.post("/collections/C7/dispute", data={"csrf": csrf, "as_of": AS_OF, "item": "I10",
                                                        "reason": "pricing"}).status_code == 200  # fmt: skip
    page = client.get(f"/customers/C7?as_of={AS_OF}").text
    assert 'action="/collections/C7/disputes/1/resolve"' in page and f'action="/collections/C7/tasks/{task}/done"' in page

    bad = client.post("/collections/C7/disputes/1/resolve", data={"csrf": csrf, "resolution": "forgiven"})
    assert bad.status_code == 400 and "credit_memo, write_off, rejected, paid" in bad.text
    wrong_customer = client.post("/collections/C6/disputes/1/resolve", data={"csrf": csrf, "resolution": "paid"})
    assert wrong_customer.status_code == 404
    resolved = client.post("/collections/C7/disputes/1/resolve", data={"csrf": csrf, "as_of": AS_OF, "back": "customer",
                                                                       "resolution": "credit_memo",
                                                                       "note": "price agreed at 100"},
                           follow_redirects=False)  # fmt: skip
    assert resolved.status_code == 303
    again = client.post("/collections/C7/disputes/1/resolve", data={"csrf": csrf, "resolution": "paid"})
    assert again.status_code == 404 and "no open dispute #1" in again.text

    assert client.post(f"/collections/C7/tasks/{other}/done", data={"csrf": csrf}).status_code == 404
    done = client.post(f"/collections/C7/tasks/{task}/done", data={"csrf": csrf, "as_of": AS_OF, "back": "customer"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303

    with store.engine.connect() as conn:
        dispute = load_disputes(conn, "C7")[0]
        statuses = {n.id: n.status for n in load_notes(conn)}
    assert (dispute.status.value, dispute.resolution, dispute.resolved_on) == ("resolved", "credit_memo", date(2026, 10, 1))
    assert (statuses[task], statuses[other]) == ("done", "open")
    mine = [a for a in audit_actions(store) if a[0] == "collector1" and a[1] in ("dispute_resolved", "task_done")]
    assert mine == [("collector1", "dispute_resolved", "ok"), ("collector1", "task_done", "ok")]
