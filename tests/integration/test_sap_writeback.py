"""Write-back to SAP through the outbox: a value changed in SAP since it was read is a CONFLICT row, never overwritten.

Both SAP adapters, over their simulators: ECC (fake ECC behind the RFC protocol; the Z-function
compares under its lock) and S/4HANA (Gateway simulator; PATCH with If-Match, 412 when stale).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from creditbridge.adapters.sap.odata.client import ODataClient
from creditbridge.adapters.sap.odata.erp import S4Erp
from creditbridge.adapters.sap.odata.simulator import S4Simulator
from creditbridge.adapters.sap.odata.simulator.gateway import in_process_session
from creditbridge.adapters.sap.rfc.erp import EccErp
from creditbridge.adapters.sap.rfc.simulator import FakeEcc, FakeRfcConnection
from creditbridge.adapters.sap.settings import CompanyCode, SapSettings
from creditbridge.core.model import CreditProfile, Customer, Ledger
from creditbridge.core.money import Money
from creditbridge.core.writeback import WritebackPolicy
from creditbridge.sync import writeback as wb
from creditbridge.sync.store import Store
from creditbridge.sync.writeback.records import OutboxStatus

SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
POLICY = WritebackPolicy(increase_approval_threshold=Decimal("100000"))
CONNECTION = "sap"
SETTINGS = SapSettings(company_codes=(CompanyCode("1000", "EUR", "1000", "1000"),))
LEDGER = Ledger(
    customers=(Customer("4711", "Müller GmbH", "EUR"), Customer("4712", "Kaiser AG", "EUR")),
    profiles=(CreditProfile("4711", Money.of("5000", "EUR")), CreditProfile("4712", Money.of("8000", "EUR"))),
)


class Sap:
    """One SAP system under test: the adapter, a person's edit in SAP, and what SAP holds."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.before_write: Callable[[], None] | None = None  # a person saving in SAP while our write is under way
        if kind == "ecc":
            self.ecc = FakeEcc(SETTINGS)
            self.ecc.seed_ledger(LEDGER)

            def connect() -> FakeRfcConnection:
                connection = self.ecc.connect()
                call = connection.call

                def racing_call(function: str, **params: Any) -> dict[str, Any]:
                    if function == SETTINGS.write_function and self.before_write is not None:
                        self.before_write()
                    return call(function, **params)

                connection.call = racing_call  # type: ignore[method-assign]
                return connection

            self.adapter: Any = EccErp(connect, SETTINGS, name=CONNECTION)
        else:
            self.s4 = S4Simulator(SETTINGS)
            self.s4.seed_ledger(LEDGER)
            handle = self.s4.handle

            def racing_handle(method: str, url: str, headers: Any, body: bytes | None) -> Any:
                if method == "PATCH" and self.before_write is not None:
                    self.before_write()
                return handle(method, url, headers, body)

            self.s4.handle = racing_handle  # type: ignore[method-assign]
            client = ODataClient("http://s4", user=self.s4.user, password=self.s4.password,
                                 sap_client=self.s4.client, http=in_process_session(self.s4))  # fmt: skip
            self.adapter = S4Erp(client, SETTINGS, name=CONNECTION)

    def person_sets_limit(self, customer: str, amount: str) -> None:
        if self.kind == "ecc":
            self.ecc.edit_credit(customer, credit_limit=Decimal(amount))
        else:
            self.s4.edit_account(customer, credit_limit=Decimal(amount))

    def limit(self, customer: str) -> Decimal:
        if self.kind == "ecc":
            row = self.ecc.knkk(customer)
            assert row is not None
            return Decimal(row["KLIMK"])
        account = self.s4.account(customer)
        assert account is not None
        return Decimal(account["CreditLimitAmount"])


@pytest.fixture(params=["ecc", "s4"])
def sap(request: pytest.FixtureRequest) -> Sap:
    return Sap(request.param)


def request_limit(store: Store, sap: Sap, customer: str, amount: str) -> wb.OutboxRow:
    result = wb.request_profile_change(store, CONNECTION, sap.adapter, customer, POLICY, requested_by="alice",
                                       reason="review", credit_limit=Decimal(amount))  # fmt: skip
    assert result.outbox_row is not None
    return result.outbox_row


@SQLITE_ONLY
def test_a_limit_changed_in_sap_after_planning_becomes_a_conflict_row(store: Store, sap: Sap) -> None:
    request_limit(store, sap, "4711", "4000")
    sap.person_sets_limit("4711", "6500")  # in FD32 / UKM_BP, after we read 5,000

    report = wb.dispatch(store, CONNECTION, sap.adapter, "run-1")

    assert [r.status for r in report.results] == [OutboxStatus.CONFLICT]
    assert sap.limit("4711") == Decimal("6500")
    (conflict,) = wb.list_conflicts(store, CONNECTION)
    assert conflict.erp_values is not None and conflict.erp_values.credit_limit == Decimal("6500")
    assert wb.dispatch(store, CONNECTION, sap.adapter, "run-2").results == []  # never retried on its own


@SQLITE_ONLY
def test_a_limit_changed_in_sap_while_our_write_is_under_way_is_a_conflict_not_an_overwrite(
    store: Store, sap: Sap
) -> None:
    """The adapter's own read still showed 5,000; SAP's lock and compare (Z-function / If-Match) catch the edit."""
    request_limit(store, sap, "4712", "7000")
    sap.before_write = lambda: (sap.person_sets_limit("4712", "9100"), setattr(sap, "before_write", None))  # type: ignore[func-returns-value]

    report = wb.dispatch(store, CONNECTION, sap.adapter, "run-1")

    assert [r.status for r in report.results] == [OutboxStatus.CONFLICT]
    assert sap.limit("4712") == Decimal("9100")
    (conflict,) = wb.list_conflicts(store, CONNECTION)
    assert conflict.erp_values is not None and conflict.erp_values.credit_limit == Decimal("9100")


@SQLITE_ONLY
def test_an_unchanged_limit_is_applied_through_the_outbox_once(store: Store, sap: Sap) -> None:
    row = request_limit(store, sap, "4711", "4500")

    report = wb.dispatch(store, CONNECTION, sap.adapter, "run-1")

    assert [r.status for r in report.results] == [OutboxStatus.APPLIED]
    assert sap.limit("4711") == Decimal("4500.00")
    if sap.kind == "ecc":
        assert sap.ecc.applied_references() == [row.idempotency_key]
    assert wb.dispatch(store, CONNECTION, sap.adapter, "run-2").results == []
