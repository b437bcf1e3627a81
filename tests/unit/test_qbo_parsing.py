"""Every real QuickBooks sample payload parses into exact core records (Decimal money, no floats)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from quickbooks import exceptions as qbx

from creditbridge.adapters.quickbooks import translate as tr
from creditbridge.adapters.quickbooks.client import QuickBooksFault, translate
from creditbridge.adapters.quickbooks.storage import Storage
from creditbridge.adapters.quickbooks.transport import is_throttle
from creditbridge.core.model import DocType
from creditbridge.core.money import Money
from creditbridge.core.ports import ErpUnavailable

_BESIDE = Path(__file__).resolve().parents[3] / "shared"  # where CI lays shared/, else the dev machines' copy
SAMPLES = (_BESIDE if _BESIDE.is_dir() else Path("/work/shared")) / "samples" / "quickbooks"


def load(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text(), parse_float=Decimal)


def test_every_sample_is_covered_by_a_test():
    covered = {
        "README.md",
        "customer_query_response.json",
        "customer_sparse_update_request.json",
        "customer_sparse_update_response.json",
        "fault_envelope_template.json",
        "invoice_query_response.json",
        "payment_read_response.json",
        "throttle_429_body.xml",
    }
    assert {p.name for p in SAMPLES.iterdir()} <= covered


def test_customer_query_rows_become_customers_and_blank_profiles():
    rows = load("customer_query_response.json")["QueryResponse"]["Customer"]
    customers = [tr.customer(r, default_currency="USD") for r in rows]
    assert [(c.customer_id, c.name, c.currency) for c in customers] == [
        ("1", "Amy's Bird Sanctuary", "USD"),
        ("29", "Weiskopf Consulting", "USD"),
    ]
    profile = Storage().profile(rows[0])
    assert profile.credit_limit is None and not profile.on_hold and profile.source_version == "5"
    assert tr.stamp(rows[0]) == datetime(2015, 7, 1, 17, 14, 15, tzinfo=UTC)


def test_sparse_update_request_and_response_shapes():
    request = load("customer_sparse_update_request.json")
    assert request["sparse"] is True and {"Id", "SyncToken"} <= set(request)
    saved = load("customer_sparse_update_response.json")["Customer"]
    assert Storage().profile(saved).source_version == "1"
    assert tr.customer(saved, default_currency="USD").name == "Bill's Windsurf Shop"


def test_invoice_becomes_an_open_item_with_decimal_amounts():
    invoice = load("invoice_query_response.json")["QueryResponse"]["Invoice"][0]
    item = tr.open_item(invoice, "Invoice", default_currency="USD")
    assert item.item_id == "239" and item.doc_type is DocType.INVOICE and item.customer_id == "1"
    assert item.amount == Money(Decimal("150.0"), "USD") == item.open_amount
    assert (item.invoice_date, item.due_date) == (date(2015, 7, 24), date(2015, 8, 23))


def test_credit_memo_amounts_are_negative_and_keyed_apart_from_invoices():
    memo = {
        "Id": "239",
        "TxnDate": "2015-07-24",
        "TotalAmt": Decimal("40.00"),
        "RemainingCredit": Decimal("15.50"),
        "CustomerRef": {"value": "1"},
        "MetaData": {"LastUpdatedTime": "2015-07-24T10:35:08-07:00"},
    }
    item = tr.open_item(memo, "CreditMemo", default_currency="USD")
    assert item.item_id == "CM-239" and item.doc_type is DocType.CREDIT_MEMO
    assert item.amount.amount == Decimal("-40.00") and item.open_amount.amount == Decimal("-15.50")


def test_payment_with_linked_invoice_and_unapplied_rest():
    payment = tr.payment(load("payment_read_response.json")["Payment"], default_currency="USD")
    assert payment.payment_id == "163" and payment.customer_id == "20"
    assert [(a.item_id, a.amount.amount) for a in payment.applications] == [("70", Decimal("55.0"))]
    assert payment.unapplied == Money(Decimal("10.0"), "USD")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        tr.amount(150.0)


def test_fault_envelope_codes_translate():
    fault = load("fault_envelope_template.json")["Fault"]
    fault["Error"][0].update(code="5010", Message="Stale Object Error")
    with pytest.raises(qbx.QuickbooksException) as caught:
        from quickbooks import QuickBooks

        QuickBooks.handle_exceptions(fault)
    mapped = translate(caught.value)
    assert isinstance(mapped, QuickBooksFault) and mapped.code == 5010


def test_xml_throttle_body_is_recognised_and_maps_to_unavailable_with_60_seconds():
    body = (SAMPLES / "throttle_429_body.xml").read_text()
    assert is_throttle(429, body) and is_throttle(403, body) and not is_throttle(400, "{}")
    as_library_reports_it = qbx.QuickbooksException(f"Error reading json response: {body}", 10000)
    mapped = translate(as_library_reports_it)
    assert isinstance(mapped, ErpUnavailable) and mapped.retry_after == 60
