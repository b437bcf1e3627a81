"""The cash-application exceptions page as a collector uses it: confirm, pick other invoices, on account.

The statement of tests/fixtures/cashapp matched with an automatic threshold of 1.00, so every match
is only a suggestion and waits for a person: E2E-ACME-1 (1,190.00 EUR, suggested for K100's
RE-2026-10017), BR-2, two payments of the Cobalt group, and BR-4 (512.00 from an unknown payer).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from creditbridge.adapters.files import read_ledger
from creditbridge.core.cashapp import MatchPolicy
from creditbridge.core.money import from_units
from creditbridge.sync.cashapp.job import exceptions as cashapp_exceptions
from creditbridge.sync.cashapp.job import run_cashapp_job
from creditbridge.sync.store import Store
from creditbridge.sync.store.cashapp_tables import cashapp_allocations, cashapp_memory, cashapp_payments
from creditbridge.sync.web.users import add_user

from .test_web_workspace import audit_actions, browser, cheap_hashes, csrf_on, password_of, sign_in

__all__ = ["cheap_hashes"]  # the autouse fixture, imported so it applies here too

CASHAPP = Path(__file__).resolve().parents[1] / "fixtures" / "cashapp"


@pytest.fixture
def client(store_url: str) -> Iterator[tuple[TestClient, Store]]:
    with Store.open(store_url) as store:
        store.import_ledger(read_ledger(CASHAPP / "ledger"))
        run_cashapp_job(store, CASHAPP / "statement.xml", policy=MatchPolicy(auto_threshold=Decimal("1")))
        for name, role in (("collector1", "collector"), ("viewer1", "viewer")):
            add_user(store.engine, name, password_of(name), role, actor="test")
        yield sign_in(browser(store), "collector1"), store


def payment(store: Store, payment_id: str) -> tuple[str, str | None, str | None, list[tuple[str, Decimal]]]:
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(cashapp_payments).where(cashapp_payments.c.payment_id == payment_id)).one()
        applied = conn.execute(sa.select(cashapp_allocations.c.item_id, cashapp_allocations.c.amount)
                               .where(cashapp_allocations.c.payment_row == row.id)
                               .order_by(cashapp_allocations.c.item_id)).all()  # fmt: skip
    return row.status, row.customer_id, row.decided_by, [(i, from_units(a)) for i, a in applied]


def test_the_page_offers_the_open_invoices_of_the_suggested_customer(client: tuple[TestClient, Store]) -> None:
    browser_, _store = client
    page = browser_.get("/cashapp").text
    assert "Open invoices of K100 in EUR" in page
    for invoice in ("RE-2026-10017", "RE-2026-10018", "RE-2026-10022"):
        assert f'name="pay:{invoice}"' in page
    assert "Open invoices of" in page and 'value="K300"' in page


def test_confirming_the_suggestion_applies_it_and_leaves_the_worklist(client: tuple[TestClient, Store]) -> None:
    browser_, store = client
    token = csrf_on(browser_.get("/cashapp").text)
    done = browser_.post("/cashapp/E2E-ACME-1", data={"csrf": token, "action": "confirm"}, follow_redirects=False)
    assert done.status_code == 303
    assert payment(store, "E2E-ACME-1") == ("confirmed", "K100", "collector1", [("RE-2026-10017", Decimal("1190"))])
    assert "E2E-ACME-1" not in [row["payment_id"] for row in cashapp_exceptions(store)]
    assert ("collector1", "cashapp_confirm", "ok") in audit_actions(store)


def test_picking_two_other_invoices_splits_the_payment(client: tuple[TestClient, Store]) -> None:
    browser_, store = client
    token = csrf_on(browser_.get("/cashapp").text)
    form = {"csrf": token, "action": "apply", "pay:RE-2026-10018": "595.00", "pay:RE-2026-10022": "333",
            "pay:RE-2026-10017": ""}  # fmt: skip
    assert browser_.post("/cashapp/E2E-ACME-1", data=form, follow_redirects=False).status_code == 303
    status, customer, _by, applied = payment(store, "E2E-ACME-1")
    assert (status, customer) == ("confirmed", "K100")
    assert applied == [("RE-2026-10018", Decimal("595")), ("RE-2026-10022", Decimal("333"))]
    # the invoices taken are no longer offered in full for the next payment
    page = browser_.get("/cashapp?payment=BR-4&customer=K100").text
    assert 'name="pay:RE-2026-10018"' not in page and 'name="pay:RE-2026-10017"' in page


def test_a_bad_amount_names_the_invoice_and_writes_nothing(client: tuple[TestClient, Store]) -> None:
    browser_, store = client
    token = csrf_on(browser_.get("/cashapp").text)
    bad = browser_.post("/cashapp/E2E-ACME-1", data={"csrf": token, "action": "apply", "pay:RE-2026-10018": "5x"})
    assert bad.status_code == 400 and "RE-2026-10018" in bad.text and "not a number" in bad.text
    too_much = browser_.post("/cashapp/E2E-ACME-1", data={"csrf": token, "action": "apply",
                                                          "pay:RE-2026-10017": "1190", "pay:RE-2026-10018": "595"})  # fmt: skip
    assert too_much.status_code == 400 and "more than the payment" in too_much.text
    assert payment(store, "E2E-ACME-1")[0] == "open"


def test_an_unknown_payer_goes_on_a_named_customers_account_and_is_learned(client: tuple[TestClient, Store]) -> None:
    browser_, store = client
    page = browser_.get("/cashapp?payment=BR-4&customer=K200").text
    assert "Open invoices of K200 in EUR" in page and 'name="pay:RE-2026-10019"' in page
    token = csrf_on(page)
    unknown = browser_.post("/cashapp/BR-4", data={"csrf": token, "action": "on_account", "customer": "K999"})
    assert unknown.status_code == 400 and "no customer &#39;K999&#39;" in unknown.text
    done = browser_.post("/cashapp/BR-4", data={"csrf": token, "action": "on_account", "customer": "K200"},
                         follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert payment(store, "BR-4") == ("on_account", "K200", "collector1", [])
    with store.engine.connect() as conn:
        learned = conn.execute(sa.select(cashapp_memory.c.kind, cashapp_memory.c.customer_id)
                               .where(cashapp_memory.c.learned_by == "collector1")).all()  # fmt: skip
    assert ("name", "K200") in [tuple(r) for r in learned]


def test_a_viewer_sees_the_payments_but_cannot_decide(client: tuple[TestClient, Store]) -> None:
    _browser, store = client
    viewer = sign_in(browser(store), "viewer1")
    page = viewer.get("/cashapp")
    assert page.status_code == 200 and "E2E-ACME-1" in page.text and 'value="confirm"' not in page.text
    refused = viewer.post("/cashapp/E2E-ACME-1", data={"csrf": csrf_on(page.text), "action": "confirm"})
    assert refused.status_code == 403 and payment(store, "E2E-ACME-1")[0] == "open"
