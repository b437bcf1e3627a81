"""S/4HANA over OData against the Gateway simulator: CSRF, ETags, paging, Gateway errors."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests

from creditbridge.adapters.sap.odata import wire
from creditbridge.adapters.sap.odata.client import ODataClient
from creditbridge.adapters.sap.odata.erp import S4Erp
from creditbridge.adapters.sap.odata.simulator import GatewayFault, S4Simulator
from creditbridge.adapters.sap.odata.simulator.gateway import in_process_session
from creditbridge.adapters.sap.settings import CompanyCode, SapSettings
from creditbridge.core.model import CreditProfile, Customer, DocType, Ledger, OpenItem
from creditbridge.core.money import Money
from creditbridge.core.ports import (
    Entity,
    ErpAuthError,
    ErpUnavailable,
    ProfileValues,
    ProfileWrite,
    WriteOutcome,
)

SETTINGS = SapSettings(company_codes=(CompanyCode("1000", "EUR", "1000", "1000"),))
ACCOUNT = "CreditManagementAccount(BusinessPartner='17100001',CreditSegment='1000')"


def company(items: int = 0) -> Ledger:
    from datetime import date, timedelta

    customers = (Customer("17100001", "Inlandskunde DE 1", "EUR"), Customer("17100002", "Inlandskunde DE 2", "EUR"))
    profiles = (CreditProfile("17100001", Money.of("5000", "EUR")), CreditProfile("17100002", Money.of("900", "EUR")))
    day = date(2026, 9, 1)
    invoices = tuple(
        OpenItem(f"9{n:07d}", DocType.INVOICE, "17100001", day + timedelta(n), day + timedelta(n + 30),
                 Money.of("100.00", "EUR"), Money.of("100.00", "EUR"))
        for n in range(items)
    )  # fmt: skip
    return Ledger(customers=customers, profiles=profiles, items=invoices)


@pytest.fixture
def sim() -> S4Simulator:
    simulator = S4Simulator(SETTINGS, server_page=3)
    simulator.seed_ledger(company(items=8))
    return simulator


def adapter(sim: S4Simulator, **kwargs: object) -> S4Erp:
    options = {"user": sim.user, "password": sim.password, "sap_client": sim.client, **kwargs}
    client = ODataClient("http://s4", http=in_process_session(sim), **options)  # type: ignore[arg-type]
    return S4Erp(client, SETTINGS)


def set_limit(erp: S4Erp, customer: str, limit: str, key: str) -> ProfileWrite:
    current = erp.read_credit_profile(customer)
    assert current is not None and current.credit_limit is not None
    seen = ProfileValues(current.credit_limit.amount, current.on_hold, "EUR")
    return ProfileWrite(customer, current.source_version, seen, ProfileValues(Decimal(limit), True, "EUR"), key)


def test_a_write_fetches_a_csrf_token_once_and_fetches_again_after_gateway_forgot_it(sim: S4Simulator):
    erp = adapter(sim)
    assert erp.write_credit_profile(set_limit(erp, "17100001", "6000", "w-1")).outcome is WriteOutcome.APPLIED
    assert erp.client.csrf_fetches == 1
    assert erp.write_credit_profile(set_limit(erp, "17100002", "950", "w-2")).outcome is WriteOutcome.APPLIED
    assert erp.client.csrf_fetches == 1, "the token is reused in its session"

    sim.expire_csrf_tokens()
    assert erp.write_credit_profile(set_limit(erp, "17100001", "6500", "w-3")).outcome is WriteOutcome.APPLIED
    assert erp.client.csrf_fetches == 2 and sim.writes == 3
    account = sim.account("17100001")
    assert account is not None and account["CreditLimitAmount"] == Decimal("6500.00") and account["CreditAccountIsBlocked"]


def test_gateway_refuses_a_write_without_a_token_and_one_from_another_session(sim: S4Simulator):
    http = in_process_session(sim)
    url = f"http://s4/sap/opu/odata/sap/API_CRDTMBUSINESSPARTNER/{ACCOUNT}"
    auth = (sim.user, sim.password)
    refused = http.patch(url, json={"CreditLimitAmount": "1.00"}, auth=auth, headers={"If-Match": "*"})
    assert refused.status_code == 403 and refused.text == "CSRF token validation failed"
    assert refused.headers["x-csrf-token"] == "Required"
    token = http.get("http://s4/sap/opu/odata/sap/API_CRDTMBUSINESSPARTNER/", auth=auth,
                     headers={"x-csrf-token": "Fetch"}).headers["x-csrf-token"]  # fmt: skip
    stranger = in_process_session(sim)
    other = stranger.patch(url, json={"CreditLimitAmount": "1.00"}, auth=auth,
                           headers={"x-csrf-token": token, "If-Match": "*"})  # fmt: skip
    assert other.status_code == 403
    ok = http.patch(url, json={"CreditLimitAmount": "1.00"}, headers={"x-csrf-token": token, "If-Match": "*"})
    assert ok.status_code == 204 and ok.headers["ETag"]


def test_a_patch_needs_the_current_etag(sim: S4Simulator):
    http = in_process_session(sim)
    base = "http://s4/sap/opu/odata/sap/API_CRDTMBUSINESSPARTNER/"
    token = http.get(base, auth=(sim.user, sim.password), headers={"x-csrf-token": "Fetch"}).headers["x-csrf-token"]
    body = {"CreditLimitAmount": "4000.00"}
    assert http.patch(base + ACCOUNT, json=body, headers={"x-csrf-token": token}).status_code == 428
    etag = http.get(base + ACCOUNT).headers["ETag"]
    sim.edit_account("17100001", critical=True)
    stale = http.patch(base + ACCOUNT, json=body, headers={"x-csrf-token": token, "If-Match": etag})
    assert stale.status_code == 412 and wire.error_message(stale.json()).startswith("/IWBEP/CM_MGW_RT/022: ")


def test_a_stale_etag_from_an_edit_of_another_field_is_retried_once_and_applied(sim: S4Simulator):
    erp = adapter(sim)
    write = set_limit(erp, "17100001", "6000", "w-1")
    handle = sim.handle
    edits = []

    def edit_first(method, url, headers, body):  # type: ignore[no-untyped-def]
        if method == "PATCH" and not edits:
            edits.append(1)
            sim.edit_account("17100001", critical=True)  # someone flags the account meanwhile
        return handle(method, url, headers, body)

    sim.handle = edit_first  # type: ignore[method-assign]
    assert erp.write_credit_profile(write).outcome is WriteOutcome.APPLIED
    account = sim.account("17100001")
    assert account is not None and account["CreditLimitAmount"] == Decimal("6000") and account["BusinessPartnerIsCritical"]


def test_gateway_errors_become_the_erp_error_tree(sim: S4Simulator):
    erp = adapter(sim)
    sim.arm(GatewayFault.REJECT_NEXT_WRITE)
    rejected = erp.write_credit_profile(set_limit(erp, "17100001", "6000", "w-1"))
    assert rejected.outcome is WriteOutcome.REJECTED
    assert rejected.message == ("SAP refused the change: UKM_BP/105: No authorization to change credit limits in "
                                "this credit segment")  # fmt: skip
    sim.arm(GatewayFault.SERVER_ERROR)
    with pytest.raises(ErpUnavailable):
        erp.read_changes(Entity.CREDIT_PROFILES, None)
    with pytest.raises(ErpAuthError, match="check user, password and sap-client"):
        adapter(sim, password="wrong").read_changes(Entity.CREDIT_PROFILES, None)
    with pytest.raises(ErpAuthError):
        adapter(sim, sap_client="200").read_changes(Entity.CREDIT_PROFILES, None)


def test_line_items_are_read_across_skip_windows_and_next_links_with_decimal_amounts(sim: S4Simulator):
    erp = adapter(sim)
    erp.client.window = 5
    sim.requests.clear()
    changes = erp.read_changes(Entity.OPEN_ITEMS, None).changes
    assert len(changes) == 8 and {c.record.amount for c in changes} == {Money.of("100.00", "EUR")}  # type: ignore[union-attr]
    cube = [path for method, path in sim.requests if path.endswith("A_OperationalAcctgDocItemCube")]
    assert len(cube) == 3, "$skip windows of 5 served 3 rows a page: 3, its __next 2, then the window at 5: 3"
    raw = json.loads(sim.handle("GET", "/sap/opu/odata/sap/API_OPLACCTGDOCITEMCUBE_SRV/A_OperationalAcctgDocItemCube"
                                "?$inlinecount=allpages", {"Authorization": requests.auth._basic_auth_str(sim.user,
                                sim.password)}, None)[2])  # fmt: skip
    assert raw["d"]["__count"] == "8" and "$skiptoken=3" in raw["d"]["__next"]
    assert raw["d"]["results"][0]["AmountInTransactionCurrency"] == "100.00"
    assert raw["d"]["results"][0]["PostingDate"].startswith("/Date(")
