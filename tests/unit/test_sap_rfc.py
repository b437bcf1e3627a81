"""ECC over RFC: RETURN tables, the LUW and its commit, transaction ids, padded keys — against the fake ECC."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from creditbridge.adapters.sap.rfc.erp import EccErp
from creditbridge.adapters.sap.rfc.pyrfc_connection import pyrfc_connector
from creditbridge.adapters.sap.rfc.returns import failures, messages
from creditbridge.adapters.sap.rfc.simulator import FakeEcc, RfcFault
from creditbridge.adapters.sap.rfc.writer import transaction_id
from creditbridge.adapters.sap.settings import CompanyCode, SapSettings
from creditbridge.core.model import CreditProfile, Customer, DocType, Ledger, OpenItem
from creditbridge.core.money import Money
from creditbridge.core.ports import (
    Entity,
    ErpConfigError,
    ErpUnavailable,
    ProfileValues,
    ProfileWrite,
    WriteOutcome,
    WriteOutcomeUnknown,
)

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = SapSettings(company_codes=(CompanyCode("1000", "EUR", "1000", "1000"),), payment_terms={"ZB30": 30})
Z = SETTINGS.write_function


def company() -> Ledger:
    customers = (Customer("12345", "Müller GmbH", "EUR", payment_terms_days=30), Customer("KA-1", "Kaiser AG", "EUR"))
    profiles = (CreditProfile("12345", Money.of("5000", "EUR")), CreditProfile("KA-1", Money.of("800", "EUR")))
    items = (
        OpenItem("90000001", DocType.INVOICE, "12345", *_dates("2026-10-01", "2026-10-31"), Money.of("1190.00", "EUR"),
                 Money.of("1190.00", "EUR")),
    )  # fmt: skip
    return Ledger(customers=customers, profiles=profiles, items=items)


def _dates(a: str, b: str) -> tuple:  # type: ignore[type-arg]
    from datetime import date

    return date.fromisoformat(a), date.fromisoformat(b)


@pytest.fixture
def ecc() -> FakeEcc:
    system = FakeEcc(SETTINGS)
    system.seed_ledger(company())
    return system


@pytest.fixture
def erp(ecc: FakeEcc) -> EccErp:
    return EccErp(ecc.connect, SETTINGS, page_size=10, clock=ecc.now)


def raise_to(erp: EccErp, customer: str, limit: str, key: str = "w-1") -> ProfileWrite:
    current = erp.read_credit_profile(customer)
    assert current is not None and current.credit_limit is not None
    values = ProfileValues(current.credit_limit.amount, current.on_hold, "EUR")
    return ProfileWrite(customer, current.source_version, values, ProfileValues(Decimal(limit), False, "EUR"), key)


def klimk(ecc: FakeEcc, customer: str) -> Decimal:
    row = ecc.knkk(customer)
    assert row is not None
    return Decimal(row["KLIMK"])


def test_numeric_customer_numbers_travel_zero_padded_and_read_back_without_zeros(ecc: FakeEcc, erp: EccErp):
    connection = ecc.connect()
    unpadded = connection.call("BAPI_AR_ACC_GETOPENITEMS", COMPANYCODE="1000", CUSTOMER="12345", KEYDATE="20261203")
    assert [m.type for m in failures(unpadded)] == ["E"] and unpadded["LINEITEMS"] == []
    padded = connection.call("BAPI_AR_ACC_GETOPENITEMS", COMPANYCODE="1000", CUSTOMER="0000012345", KEYDATE="20261203")
    assert failures(padded) == () and padded["LINEITEMS"][0]["DOC_NO"] == "0090000001"
    assert isinstance(padded["LINEITEMS"][0]["AMT_DOCCUR"], Decimal) and padded["LINEITEMS"][0]["DOC_DATE"] == "20261001"

    customers = {c.key: c.record for c in erp.read_changes(Entity.CUSTOMERS, None).changes}
    assert set(customers) == {"12345", "KA-1"} and customers["12345"].payment_terms_days == 30  # type: ignore[union-attr]
    (item,) = erp.read_changes(Entity.OPEN_ITEMS, None).changes
    assert item.key == "1000/90000001/2026" and item.record.open_amount == Money.of("1190.00", "EUR")  # type: ignore[union-attr]


def test_all_three_generations_of_return_are_judged_alike():
    bapireturn = {"RETURN": {"TYPE": "E", "CODE": "F5702", "MESSAGE": "Account 4711 blocked"}}
    bapireturn1 = {"RETURN": {"TYPE": "A", "ID": "F4", "NUMBER": "052", "MESSAGE": "no credit data"}}
    bapiret2 = {"RETURN": [{"TYPE": "S", "ID": "ZCB", "NUMBER": "000", "MESSAGE": "saved"},
                           {"TYPE": "W", "ID": "ZCB", "NUMBER": "009", "MESSAGE": "limit above rating"}]}  # fmt: skip
    assert [(m.id, m.number) for m in failures(bapireturn)] == [("F5", "702")]
    assert [str(m) for m in failures(bapireturn1)] == ["A F4 052: no credit data"]
    assert failures(bapiret2) == () and len(messages(bapiret2)) == 2
    assert messages({"RETURN": {"TYPE": "", "CODE": "", "MESSAGE": ""}}) == ()


def test_an_error_in_return_although_the_call_succeeded_is_rejected_and_rolled_back(ecc: FakeEcc, erp: EccErp):
    ecc.arm(RfcFault.RETURN_ERROR, Z)
    result = erp.write_credit_profile(raise_to(erp, "12345", "7000"))
    assert result.outcome is WriteOutcome.REJECTED and "No authorization" in (result.message or "")
    assert ecc.calls["BAPI_TRANSACTION_ROLLBACK"] == 1 and ecc.calls["BAPI_TRANSACTION_COMMIT"] == 0
    assert klimk(ecc, "12345") == Decimal("5000") and ecc.applied_references() == []


def test_a_change_is_not_applied_until_committed_on_the_same_connection(ecc: FakeEcc):
    params = {"IV_TID": "T1", "IV_REFERENCE": "w-1", "IV_KUNNR": "0000012345", "IV_KKBER": "1000",
              "IV_KLIMK": Decimal("7000"), "IV_CRBLB": "", "IV_WAERS": "EUR", "IV_EXPECTED_NEW": "",
              "IV_EXPECTED_KLIMK": Decimal("5000"), "IV_EXPECTED_CRBLB": ""}  # fmt: skip
    first = ecc.connect()
    assert failures(first.call(Z, **params)) == ()
    assert klimk(ecc, "12345") == Decimal("5000"), "staged in the update task, not in KNKK"
    ecc.connect().call("BAPI_TRANSACTION_COMMIT", WAIT="X")  # another session's commit commits nothing of ours
    assert klimk(ecc, "12345") == Decimal("5000")
    first.call("BAPI_TRANSACTION_ROLLBACK")
    first.call("BAPI_TRANSACTION_COMMIT", WAIT="X")
    assert klimk(ecc, "12345") == Decimal("5000"), "rolled back"
    assert failures(first.call(Z, **params)) == ()
    first.call("BAPI_TRANSACTION_COMMIT", WAIT="X")
    assert klimk(ecc, "12345") == Decimal("7000.00") and ecc.applied_references() == ["w-1"]


def test_a_session_lost_before_the_commit_commits_an_empty_luw_which_the_writer_detects(ecc: FakeEcc, erp: EccErp):
    ecc.arm(RfcFault.SESSION_LOST, "BAPI_TRANSACTION_COMMIT")  # pyrfc reopened the connection silently
    write = raise_to(erp, "12345", "7000")
    with pytest.raises(ErpUnavailable, match="empty LUW"):
        erp.write_credit_profile(write)
    assert klimk(ecc, "12345") == Decimal("5000") and ecc.applied_references() == []
    assert erp.write_credit_profile(write).outcome is WriteOutcome.APPLIED
    assert klimk(ecc, "12345") == Decimal("7000") and ecc.applied_references() == ["w-1"]


def test_a_resend_after_a_crash_past_the_commit_is_recognised_by_its_transaction_id(ecc: FakeEcc, erp: EccErp):
    write = raise_to(erp, "12345", "7000")
    ecc.arm(RfcFault.COMMUNICATION_AFTER, "BAPI_TRANSACTION_COMMIT")
    with pytest.raises(WriteOutcomeUnknown):
        erp.write_credit_profile(write)
    restarted = EccErp(ecc.connect, SETTINGS)  # a new process: nothing remembered but the outbox's key
    result = restarted.write_credit_profile(write)
    assert result.outcome is WriteOutcome.APPLIED and result.erp_reference == transaction_id("w-1")
    assert ecc.calls[Z] == 1, "the resend was answered from SAP's TID table, not sent again"
    assert ecc.applied_references() == ["w-1"]


def test_a_limit_with_more_than_two_decimals_is_rejected_not_rounded(ecc: FakeEcc, erp: EccErp):
    result = erp.write_credit_profile(raise_to(erp, "KA-1", "1000.005"))
    assert result.outcome is WriteOutcome.REJECTED and "to the cent" in (result.message or "")
    assert ecc.calls[Z] == 0 and klimk(ecc, "KA-1") == Decimal("800")


def test_pyrfc_missing_is_a_clear_error_naming_how_to_install_it():
    with pytest.raises(ErpConfigError, match="SAPNWRFC_HOME"):
        pyrfc_connector({"ashost": "sap.example.com", "sysnr": "00", "client": "100", "user": "U"})


def test_the_sap_adapter_imports_without_pyrfc_or_requests_and_no_test_imports_pyrfc():
    code = (
        "import sys, pkgutil, importlib\n"
        "sys.modules['pyrfc'] = None; sys.modules['requests'] = None\n"
        "import creditbridge.adapters.sap as sap\n"
        "for m in pkgutil.walk_packages(sap.__path__, 'creditbridge.adapters.sap.'): importlib.import_module(m.name)\n"
        "import creditbridge.sync.composition, creditbridge.sync.demo_sap, creditbridge.sync.cli\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    imports_pyrfc = re.compile(r"^\s*(import|from)\s+pyrfc\b", re.MULTILINE)
    assert not [p for p in (ROOT / "tests").rglob("*.py") if imports_pyrfc.search(p.read_text(encoding="utf-8"))]
    importers = [p for p in ROOT.glob("[!.]*/**/*.py") if imports_pyrfc.search(p.read_text(encoding="utf-8"))]
    assert [p.relative_to(ROOT).as_posix() for p in importers] == ["adapters/sap/rfc/pyrfc_connection.py"]


def test_only_orders_of_the_mapped_sales_organisation_count(ecc: FakeEcc):
    from dataclasses import replace
    from datetime import date

    from creditbridge.core.model import Order

    ecc.seed_ledger(Ledger(orders=(Order("4000001", "12345", date(2026, 11, 2), Money.of("300", "EUR")),
                                   Order("4000002", "12345", date(2026, 11, 3), Money.of("700", "EUR")))))  # fmt: skip
    ecc.tables["VBAK"][0]["VKORG"] = "1000"
    ecc.tables["VBAK"][1]["VKORG"] = "2000"
    erp = EccErp(ecc.connect, replace(SETTINGS, sales_organization="1000"), clock=ecc.now)
    orders = [c.record for c in erp.read_changes(Entity.ORDERS, None).changes]
    assert [(o.order_number, o.amount) for o in orders] == [("4000001", Money.of("300", "EUR"))]  # type: ignore[union-attr]


def test_a_refused_logon_is_an_auth_error_and_a_bapi_error_on_read_names_the_customer(ecc: FakeEcc, erp: EccErp):
    from dataclasses import replace

    from creditbridge.core.ports import ErpAuthError

    ecc.arm(RfcFault.LOGON)
    with pytest.raises(ErpAuthError, match="check user, password and client"):
        erp.read_changes(Entity.CUSTOMERS, None)
    assert len(erp.read_changes(Entity.CUSTOMERS, None).changes) == 2, "the next call logs on again"

    ecc.tables["KNB1"].append({"KUNNR": "0000099999", "BUKRS": "3000", "ZTERM": "", "AKONT": "", "ERDAT": "20260101"})
    wider = replace(SETTINGS, company_codes=(*SETTINGS.company_codes, CompanyCode("3000", "EUR", "3000", "3000")))
    with pytest.raises(ErpConfigError, match="BAPI_AR_ACC_GETOPENITEMS for customer 99999: E F5 165: Company code 3000"):
        EccErp(ecc.connect, wider).read_changes(Entity.OPEN_ITEMS, None)
