"""The QuickBooks Online simulator behaves, on the wire, the way clients of QuickBooks rely on."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
import simplejson

from creditbridge.adapters.quickbooks.simulator import QuickBooksSimulator, SimulatorFault

_BESIDE = Path(__file__).resolve().parents[3] / "shared"  # where CI lays shared/, else the dev machines' copy
SAMPLES = (_BESIDE if _BESIDE.is_dir() else Path("/work/shared")) / "samples" / "quickbooks"
REALM = "9341453050000000"


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(), parse_float=Decimal)


class Client:
    """Calls `sim.handle` the way an HTTP client would."""

    def __init__(self, sim: QuickBooksSimulator, minorversion: int = 75) -> None:
        self.sim = sim
        self.token = sim.issue_access_token()
        self.minorversion = minorversion

    def call(self, method: str, resource: str, body: Any = None, *, params: str = "",
             content_type: str = "application/json") -> tuple[int, dict[str, str], Any]:
        url = f"/v3/company/{REALM}/{resource}?minorversion={self.minorversion}{params}"
        raw = body.encode() if isinstance(body, str) else (None if body is None else simplejson.dumps(body).encode())
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json", "Content-Type": content_type}
        status, out_headers, payload = self.sim.handle(method, url, headers, raw)
        try:
            parsed = simplejson.loads(payload, use_decimal=True)
        except ValueError:
            parsed = payload.decode()
        return status, out_headers, parsed

    def query(self, text: str) -> tuple[int, Any]:
        status, _, body = self.call("GET", "query", params="&query=" + quote(text))
        return status, body

    def post_query(self, text: str) -> tuple[int, Any]:
        status, _, body = self.call("POST", "query", text, content_type="application/text")
        return status, body


@pytest.fixture
def sim() -> QuickBooksSimulator:
    return QuickBooksSimulator(seed=7, customers=20, rate_limits=False)


@pytest.fixture
def client(sim: QuickBooksSimulator) -> Client:
    return Client(sim)


@pytest.fixture(scope="module")
def big_sim() -> QuickBooksSimulator:
    return QuickBooksSimulator(seed=3, customers=300, rate_limits=False)


def fault_codes(body: dict[str, Any]) -> list[str]:
    return [e["code"] for e in body["Fault"]["Error"]]


# -- query ------------------------------------------------------------------------------------------


def test_query_pages_are_one_based_disjoint_and_cover_everything(client: Client) -> None:
    status, body = client.query("SELECT COUNT(*) FROM Invoice")
    assert status == 200
    total = body["QueryResponse"]["totalCount"]
    assert total == len(client.sim.entities("Invoice")) > 10
    seen: list[str] = []
    start = 1
    while True:
        _, page = client.post_query(f"SELECT * FROM Invoice ORDERBY Id STARTPOSITION {start} MAXRESULTS 10")
        rows = page["QueryResponse"].get("Invoice", [])
        if not rows:
            assert page["QueryResponse"] == {}  # the entity key is absent past the end
            break
        assert page["QueryResponse"]["startPosition"] == start
        assert page["QueryResponse"]["maxResults"] == len(rows)
        seen += [r["Id"] for r in rows]
        start += len(rows)
    assert len(seen) == len(set(seen)) == total


def test_query_default_is_100_and_cap_is_1000(big_sim: QuickBooksSimulator) -> None:
    client = Client(big_sim)
    assert len(big_sim.entities("Invoice")) > 1000
    _, default = client.query("select * from Invoice")
    assert len(default["QueryResponse"]["Invoice"]) == 100
    _, capped = client.query("select * from Invoice MAXRESULTS 5000")
    assert len(capped["QueryResponse"]["Invoice"]) == 1000


def test_query_filters_compare_like_quickbooks(client: Client) -> None:
    _, body = client.query("SELECT * FROM Invoice WHERE Balance > '0' ORDERBY DueDate DESC MAXRESULTS 1000")
    rows = body["QueryResponse"]["Invoice"]
    assert rows and all(r["Balance"] > 0 for r in rows)
    assert [r["DueDate"] for r in rows] == sorted((r["DueDate"] for r in rows), reverse=True)
    since = "2025-12-01T00:00:00-08:00"
    _, body = client.query(f"SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime >= '{since}'")
    for row in body["QueryResponse"].get("Invoice", []):
        assert row["MetaData"]["LastUpdatedTime"] >= "2025-12-01"
    _, body = client.query("SELECT * FROM Customer WHERE Id IN ('1', '2', '3')")
    assert {c["Id"] for c in body["QueryResponse"]["Customer"]} <= {"1", "2", "3"}


def test_or_is_rejected_with_a_parser_fault(client: Client) -> None:
    status, body = client.query("SELECT * FROM Customer WHERE Id = '1' OR Id = '2'")
    assert status == 400
    assert fault_codes(body) == ["4000"]
    assert body["Fault"]["type"] == "ValidationFault"


def test_inactive_customers_are_hidden_unless_asked_for(client: Client) -> None:
    customers = client.sim.entities("Customer")
    inactive = {i for i, c in customers.items() if not c["Active"]}
    assert inactive
    _, default = client.query("SELECT * FROM Customer MAXRESULTS 1000")
    assert {c["Id"] for c in default["QueryResponse"]["Customer"]} == set(customers) - inactive
    _, both = client.query("SELECT * FROM Customer WHERE Active IN (true, false) MAXRESULTS 1000")
    assert {c["Id"] for c in both["QueryResponse"]["Customer"]} == set(customers)
    _, only = client.query("SELECT * FROM Customer WHERE Active = false")
    assert {c["Id"] for c in only["QueryResponse"]["Customer"]} == inactive


def test_minorversion_below_75_is_refused(sim: QuickBooksSimulator) -> None:
    status, _, body = Client(sim, minorversion=65).call("GET", "customer/1")
    assert status == 400 and "Fault" in body


# -- shapes against the real samples ---------------------------------------------------------------


def test_responses_have_the_keys_and_types_of_the_real_samples(client: Client) -> None:
    _, customers = client.query("SELECT * FROM Customer WHERE Job = false")
    real = sample("customer_query_response.json")
    assert customers.keys() == real.keys()
    assert customers["QueryResponse"].keys() == real["QueryResponse"].keys()
    ours, theirs = customers["QueryResponse"]["Customer"][0], real["QueryResponse"]["Customer"][0]
    for key in ("domain", "DisplayName", "GivenName", "FamilyName", "FullyQualifiedName", "BillWithParent", "Job",
                "BalanceWithJobs", "Active", "MetaData", "Balance", "SyncToken", "CompanyName", "sparse", "Id",
                "PrimaryEmailAddr", "BillAddr", "Taxable", "PreferredDeliveryMethod", "PrimaryPhone"):
        assert type(ours[key]) is type(theirs[key]), key
    assert ours["MetaData"].keys() == theirs["MetaData"].keys()
    for stamp in (*ours["MetaData"].values(), customers["time"]):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d", stamp)

    _, invoices = client.query("SELECT * FROM Invoice MAXRESULTS 1")
    real_invoice = sample("invoice_query_response.json")["QueryResponse"]["Invoice"][0]
    invoice = invoices["QueryResponse"]["Invoice"][0]
    optional = {"ProjectRef", "ShipAddr", "BillAddr", "CustomField", "ApplyTaxAfterDiscount"}
    assert real_invoice.keys() - optional <= invoice.keys()
    assert [ln["DetailType"] for ln in invoice["Line"]][-1] == "SubTotalLineDetail"

    payment_id = next(iter(client.sim.entities("Payment")))
    _, _, payment = client.call("GET", f"payment/{payment_id}")
    real_payment = sample("payment_read_response.json")
    assert payment.keys() == real_payment.keys()
    assert real_payment["Payment"].keys() - {"ProjectRef"} <= payment["Payment"].keys()
    assert payment["Payment"]["Line"][0]["LinkedTxn"][0].keys() == {"TxnId", "TxnType"}


# -- updates ------------------------------------------------------------------------------------------


def test_stale_synctoken_is_a_5010_fault_with_a_string_code(client: Client) -> None:
    client.sim.human_edit("Customer", "1", Notes="edited by a person")
    status, _, body = client.call("POST", "customer", {"Id": "1", "SyncToken": "0", "sparse": True, "Notes": "x"})
    assert status == 400
    template = sample("fault_envelope_template.json")
    assert body.keys() == template.keys()
    assert body["Fault"].keys() == template["Fault"].keys()
    assert body["Fault"]["Error"][0].keys() == template["Fault"]["Error"][0].keys()
    assert body["Fault"]["Error"][0]["code"] == "5010"
    assert body["Fault"]["Error"][0]["Message"] == "Stale Object Error"
    assert body["Fault"]["type"] == "ValidationFault"
    assert client.sim.entities("Customer")["1"]["Notes"] == "edited by a person"


def test_armed_stale_update_loses_to_a_person(client: Client) -> None:
    token = client.sim.entities("Customer")["2"]["SyncToken"]
    client.sim.arm(SimulatorFault.STALE_ON_NEXT_UPDATE)
    status, _, body = client.call("POST", "customer", {"Id": "2", "SyncToken": token, "sparse": True, "Notes": "x"})
    assert (status, fault_codes(body)) == (400, ["5010"])


def test_sparse_update_keeps_other_fields_and_full_update_nulls_them(client: Client) -> None:
    before = client.sim.entities("Customer")["1"]
    status, _, body = client.call("POST", "customer", {"Id": "1", "SyncToken": before["SyncToken"], "sparse": True,
                                                       "Notes": "[CREDIT limit=5000]", "CreditLimit": 5000})
    after = body["Customer"]
    assert status == 200
    assert after["Notes"] == "[CREDIT limit=5000]"
    assert "CreditLimit" not in after  # QuickBooks Online has no such field
    assert after["SyncToken"] == str(int(before["SyncToken"]) + 1)
    assert after["PrimaryEmailAddr"] == before["PrimaryEmailAddr"]
    assert after["MetaData"]["LastUpdatedTime"] > before["MetaData"]["LastUpdatedTime"]
    assert after["MetaData"]["CreateTime"] == before["MetaData"]["CreateTime"]

    status, _, body = client.call("POST", "customer", {"Id": "1", "SyncToken": after["SyncToken"],
                                                       "DisplayName": before["DisplayName"]})
    assert status == 200
    assert "Notes" not in body["Customer"] and "PrimaryEmailAddr" not in body["Customer"]
    assert body["Customer"]["Balance"] == before["Balance"]  # derived, not writable


def test_notes_longer_than_2000_characters_are_refused(client: Client) -> None:
    token = client.sim.entities("Customer")["1"]["SyncToken"]
    status, _, body = client.call("POST", "customer", {"Id": "1", "SyncToken": token, "sparse": True,
                                                       "Notes": "x" * 2001})
    assert status == 400 and body["Fault"]["Error"][0]["code"].startswith("20")


def test_custom_fields_only_with_enhanced_include(client: Client) -> None:
    token = client.sim.entities("Customer")["1"]["SyncToken"]
    fields = [{"DefinitionId": "1001", "NumberValue": 50000}, {"DefinitionId": "1002", "StringValue": "Y"}]
    status, _, body = client.call("POST", "customer", {"Id": "1", "SyncToken": token, "sparse": True,
                                                       "CustomField": fields},
                                  params="&include=enhancedAllCustomFields")
    assert status == 200
    assert {f["Name"]: f.get("NumberValue", f.get("StringValue")) for f in body["Customer"]["CustomField"]} == {
        "Credit Limit": 50000, "Credit Hold": "Y"}
    _, _, plain = client.call("GET", "customer/1")
    assert "CustomField" not in plain["Customer"]
    _, _, enhanced = client.call("GET", "customer/1", params="&include=enhancedAllCustomFields")
    assert len(enhanced["Customer"]["CustomField"]) == 2


def test_requestid_replay_returns_the_identical_body_and_applies_once(client: Client) -> None:
    new = {"DisplayName": "Replay Test Ltd", "CompanyName": "Replay Test Ltd"}
    first = client.call("POST", "customer", new, params="&requestid=req-1")
    client.sim.advance(5)
    second = client.call("POST", "customer", new, params="&requestid=req-1")
    assert first[0] == second[0] == 200
    assert first[2] == second[2]
    names = [c["DisplayName"] for c in client.sim.entities("Customer").values()]
    assert names.count("Replay Test Ltd") == 1
    assert client.sim.applied_request_ids == ["req-1"]
    status, _, _body = client.call("POST", "customer", new, params="&requestid=" + "r" * 51)
    assert status == 400


def test_lost_response_then_retry_with_same_requestid_over_http(sim: QuickBooksSimulator) -> None:
    with sim.serve() as running:
        url = f"{running.base_url}/v3/company/{REALM}/customer"
        headers = {"Authorization": f"Bearer {sim.issue_access_token()}", "Accept": "application/json"}
        params = {"minorversion": "75", "requestid": "lost-1"}
        body = {"DisplayName": "Lost Response Inc"}
        sim.arm(SimulatorFault.TIMEOUT_AFTER_APPLY)
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.post(url, params=params, json=body, headers=headers, timeout=5)
        retry = requests.post(url, params=params, json=body, headers=headers, timeout=5)
    assert retry.status_code == 200
    assert retry.json()["Customer"]["DisplayName"] == "Lost Response Inc"
    assert sim.applied_request_ids == ["lost-1"]
    assert [c["DisplayName"] for c in sim.entities("Customer").values()].count("Lost Response Inc") == 1


# -- CDC ----------------------------------------------------------------------------------------------


def test_cdc_reports_changes_and_tombstones(client: Client) -> None:
    since = client.sim.now().isoformat()
    invoice_id = next(iter(client.sim.entities("Invoice")))
    client.sim.human_delete("Invoice", invoice_id)
    client.sim.human_edit("Customer", "1", Notes="changed")
    status, _, body = client.call("GET", "cdc", params=f"&entities=Invoice,Customer,Payment&changedSince={quote(since)}")
    assert status == 200
    responses = body["CDCResponse"][0]["QueryResponse"]
    invoices, customers, payments = responses
    assert invoices["Invoice"] == [{"domain": "QBO", "status": "Deleted", "Id": invoice_id,
                                    "MetaData": invoices["Invoice"][0]["MetaData"]}]
    assert [c["Id"] for c in customers["Customer"]] == ["1"]
    assert payments == {}
    assert "time" in body


def test_cdc_refuses_more_than_30_days_back_and_caps_at_1000(big_sim: QuickBooksSimulator) -> None:
    client = Client(big_sim)
    old = (big_sim.now() - timedelta(days=31)).isoformat()
    status, _, body = client.call("GET", "cdc", params=f"&entities=Invoice&changedSince={quote(old)}")
    assert status == 400 and "Fault" in body
    since = big_sim.now().isoformat()
    for customer_id in list(big_sim.entities("Customer"))[:300]:
        big_sim.human_edit("Customer", customer_id, Notes="bulk")
    for invoice_id in list(big_sim.entities("Invoice"))[:800]:
        big_sim.human_edit("Invoice", invoice_id, PrivateNote="bulk")
    _, _, body = client.call("GET", "cdc", params=f"&entities=Customer,Invoice&changedSince={quote(since)}")
    counts = [len(next(v for v in r.values() if isinstance(v, list))) for r in body["CDCResponse"][0]["QueryResponse"]]
    assert counts == [300, 700]


# -- batch --------------------------------------------------------------------------------------------


def test_batch_answers_each_item_with_its_bid_and_its_own_fault(client: Client) -> None:
    items = [
        {"bId": "b1", "operation": "create", "Customer": {"DisplayName": "Batch Co"}},
        {"bId": "b2", "operation": "update", "Customer": {"Id": "1", "SyncToken": "99", "sparse": True, "Notes": "x"}},
        {"bId": "b3", "Query": "SELECT COUNT(*) FROM Customer"},
    ]
    status, _, body = client.call("POST", "batch", {"BatchItemRequest": items})
    assert status == 200
    by_bid = {item["bId"]: item for item in body["BatchItemResponse"]}
    assert by_bid["b1"]["Customer"]["DisplayName"] == "Batch Co"
    assert fault_codes(by_bid["b2"]) == ["5010"]
    assert by_bid["b3"]["QueryResponse"]["totalCount"] > 0
    status, _, body = client.call("POST", "batch", {"BatchItemRequest": [items[2] | {"bId": str(i)} for i in range(31)]})
    assert status == 400 and "Fault" in body


# -- throttling, auth --------------------------------------------------------------------------------


def test_throttle_answers_429_with_intuits_xml_body(client: Client) -> None:
    client.sim.arm(SimulatorFault.THROTTLE)
    status, _headers, body = client.call("GET", "customer/1")
    assert status == 429
    expected = (SAMPLES / "throttle_429_body.xml").read_text()

    def strip_time(text: str) -> str:
        return re.sub(r'time="[^"]+"', 'time=""', text)

    assert strip_time(body) == strip_time(expected)
    assert client.call("GET", "customer/1")[0] == 200


def test_more_than_10_requests_a_second_are_throttled() -> None:
    sim = QuickBooksSimulator(customers=3)
    client = Client(sim)
    statuses = [client.call("GET", "customer/1")[0] for _ in range(11)]
    assert statuses == [200] * 10 + [429]


def test_server_error_is_an_html_503(client: Client) -> None:
    client.sim.arm(SimulatorFault.SERVER_ERROR)
    status, headers, _body = client.call("GET", "customer/1")
    assert status == 503 and headers["Content-Type"].startswith("text/html")


def _token_request(sim: QuickBooksSimulator, form: str) -> tuple[int, Any]:
    basic = base64.b64encode(f"{sim.client_id}:{sim.client_secret}".encode()).decode()
    status, _, body = sim.handle("POST", "/oauth2/v1/tokens/bearer",
                                 {"Authorization": f"Basic {basic}",
                                  "Content-Type": "application/x-www-form-urlencoded"}, form.encode())
    return status, json.loads(body)


def test_expired_token_401_then_refresh_rotates_the_refresh_token(client: Client) -> None:
    sim = client.sim
    sim.advance(3601)
    status, headers, body = client.call("GET", "customer/1")
    assert status == 401 and headers["Content-Type"] == "text/plain" and isinstance(body, str)
    old_refresh = sim.refresh_token
    status, tokens = _token_request(sim, f"grant_type=refresh_token&refresh_token={old_refresh}")
    assert status == 200
    assert tokens.keys() == {"token_type", "access_token", "expires_in", "refresh_token", "x_refresh_token_expires_in"}
    assert tokens["refresh_token"] != old_refresh
    assert sim.refresh_token == tokens["refresh_token"]
    client.token = tokens["access_token"]
    assert client.call("GET", "customer/1")[0] == 200
    assert _token_request(sim, f"grant_type=refresh_token&refresh_token={old_refresh}") == (
        400, {"error": "invalid_grant"})
    code = sim.authorization_code()
    assert _token_request(sim, f"grant_type=authorization_code&code={code}&redirect_uri=x")[0] == 200
    assert _token_request(sim, f"grant_type=authorization_code&code={code}&redirect_uri=x")[0] == 400
    sim.arm(SimulatorFault.EXPIRE_ACCESS_TOKENS)
    assert client.call("GET", "customer/1")[0] == 401


# -- money ------------------------------------------------------------------------------------------


def _open_invoice(sim: QuickBooksSimulator) -> dict[str, Any]:
    return next(i for i in sim.entities("Invoice").values()
                if i["Balance"] == i["TotalAmt"] and sim.entities("Customer")[i["CustomerRef"]["value"]]["Active"])


def test_payment_application_math(client: Client) -> None:
    sim = client.sim
    invoice = _open_invoice(sim)
    customer_before = sim.entities("Customer")[invoice["CustomerRef"]["value"]]["Balance"]
    part = (invoice["Balance"] / 2).quantize(Decimal("0.01"))
    status, _, body = client.call("POST", "payment", {
        "CustomerRef": invoice["CustomerRef"], "TotalAmt": part + Decimal("10.00"),
        "Line": [{"Amount": part, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]})
    assert status == 200
    payment = body["Payment"]
    assert payment["UnappliedAmt"] == Decimal("10.00")
    after = sim.entities("Invoice")[invoice["Id"]]
    assert after["Balance"] == invoice["Balance"] - part
    assert int(after["SyncToken"]) == int(invoice["SyncToken"]) + 1
    assert {"TxnId": payment["Id"], "TxnType": "Payment"} in after["LinkedTxn"]
    assert sim.entities("Customer")[invoice["CustomerRef"]["value"]]["Balance"] == customer_before - part - 10

    status, _, body = client.call("POST", "payment", {
        "CustomerRef": invoice["CustomerRef"], "TotalAmt": after["Balance"] + 1,
        "Line": [{"Amount": after["Balance"] + 1, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]})
    assert status == 400 and body["Fault"]["Error"][0]["code"].startswith("6")
    assert sim.entities("Invoice")[invoice["Id"]]["Balance"] == after["Balance"]

    status, _, body = client.call("POST", "payment", {"Id": payment["Id"], "SyncToken": payment["SyncToken"]},
                                  params="&operation=delete")
    assert status == 200 and body["Payment"] == {"status": "Deleted", "domain": "QBO", "Id": payment["Id"]}
    assert sim.entities("Invoice")[invoice["Id"]]["Balance"] == invoice["Balance"]


def test_zero_dollar_payment_applies_a_credit_memo(client: Client) -> None:
    sim = client.sim
    invoice = _open_invoice(sim)
    status, _, body = client.call("POST", "creditmemo", {
        "CustomerRef": invoice["CustomerRef"],
        "Line": [{"Amount": Decimal("25.00"), "DetailType": "SalesItemLineDetail",
                  "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}]})
    memo = body["CreditMemo"]
    assert memo["RemainingCredit"] == Decimal("25.00")
    status, _, body = client.call("POST", "payment", {
        "CustomerRef": invoice["CustomerRef"], "TotalAmt": 0,
        "Line": [{"Amount": Decimal("25.00"), "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]},
                 {"Amount": Decimal("25.00"), "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}]}]})
    assert status == 200 and body["Payment"]["UnappliedAmt"] == 0
    assert sim.entities("CreditMemo")[memo["Id"]]["RemainingCredit"] == 0
    assert sim.entities("Invoice")[invoice["Id"]]["Balance"] == invoice["Balance"] - Decimal("25.00")


def test_the_same_seed_gives_the_same_company() -> None:
    a, b = QuickBooksSimulator(seed=11, customers=15), QuickBooksSimulator(seed=11, customers=15)
    assert a.entities("Invoice") == b.entities("Invoice")
    assert a.entities("Customer") == b.entities("Customer")
    assert any("ParentRef" in c for c in a.entities("Customer").values())
    assert a.entities("Estimate") and a.entities("Term")


# -- python-quickbooks itself ---------------------------------------------------------------------------


def test_python_quickbooks_reads_and_writes_through_the_simulator(sim: QuickBooksSimulator) -> None:
    from quickbooks import QuickBooks
    from quickbooks.cdc import change_data_capture
    from quickbooks.exceptions import AuthorizationException, QuickbooksException
    from quickbooks.objects.customer import Customer
    from quickbooks.objects.invoice import Invoice

    with sim.serve() as running:
        qb = QuickBooks(company_id=sim.realm_id, minorversion=75, use_decimal=True)
        qb.api_url_v3 = f"{running.base_url}/v3"
        session = requests.Session()
        session.access_token = sim.issue_access_token()  # type: ignore[attr-defined]
        qb.session = session

        active = Customer.filter(Active=True, qb=qb)
        assert active and all(c.Active for c in active)
        assert isinstance(active[0].Balance, Decimal)
        invoices = Invoice.query("SELECT * FROM Invoice WHERE Balance > '0' MAXRESULTS 5", qb=qb)
        assert len(invoices) == 5 and all(i.Balance > 0 for i in invoices)
        assert invoices[0].CustomerRef.value
        assert Customer.count(qb=qb) == len([c for c in sim.entities("Customer").values() if c["Active"]])

        one = Customer.get(active[0].Id, qb=qb)
        saved = qb.update_object("Customer", json.dumps({"Id": one.Id, "SyncToken": one.SyncToken, "sparse": True,
                                                         "Notes": "credit hold"}), request_id="pq-1")
        assert saved["Customer"]["Notes"] == "credit hold"
        with pytest.raises(QuickbooksException) as stale:
            qb.update_object("Customer", json.dumps({"Id": one.Id, "SyncToken": one.SyncToken, "sparse": True,
                                                     "Notes": "again"}))
        assert stale.value.error_code == 5010

        cdc = change_data_capture([Customer], sim.now().isoformat(), qb=qb)
        assert [c.Id for c in cdc.Customer] == [one.Id]

        sim.arm(SimulatorFault.THROTTLE)
        with pytest.raises(QuickbooksException) as throttled:
            Customer.all(qb=qb)
        assert throttled.value.error_code == 10000 and "ThrottleExceeded" in throttled.value.message
        sim.arm(SimulatorFault.EXPIRE_ACCESS_TOKENS)
        with pytest.raises(AuthorizationException):
            Customer.all(qb=qb)


def test_cli_registers_the_simulator_group() -> None:
    import typer
    from typer.testing import CliRunner

    from creditbridge.sync.commands.simulator_commands import register

    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["simulator", "quickbooks", "--help"])
    assert result.exit_code == 0 and "--customers" in result.output
