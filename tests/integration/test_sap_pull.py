"""Pulling SAP into the store: day-granular change stamps read today again, and a rerun writes nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from creditbridge.adapters.files import read_ledger
from creditbridge.adapters.sap.odata.client import ODataClient
from creditbridge.adapters.sap.odata.erp import S4Erp
from creditbridge.adapters.sap.odata.simulator import S4Simulator
from creditbridge.adapters.sap.odata.simulator.gateway import in_process_session
from creditbridge.adapters.sap.rfc.erp import EccErp
from creditbridge.adapters.sap.rfc.simulator import FakeEcc
from creditbridge.adapters.sap.settings import CompanyCode, SapSettings
from creditbridge.core.ports import Entity
from creditbridge.sync.pull import pull
from creditbridge.sync.store import Store

SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_kpi"
SETTINGS = SapSettings(
    company_codes=(CompanyCode("1000", "USD", "1000", "1000"), CompanyCode("2000", "EUR", "2000", "2000")),
    payment_terms={"NT30": 30},
)


@SQLITE_ONLY
@pytest.mark.parametrize("system", ["ecc", "s4"])
def test_a_second_pull_writes_nothing_and_a_block_set_in_sap_today_is_pulled_next_time(store: Store, system: str):
    ledger = read_ledger(FIXTURE).to_ledger()
    if system == "ecc":
        ecc = FakeEcc(SETTINGS)
        ecc.seed_ledger(ledger)
        erp: object = EccErp(ecc.connect, SETTINGS, clock=ecc.now)
        block = lambda: ecc.edit_credit("A", on_hold=True)  # noqa: E731
    else:
        sim = S4Simulator(SETTINGS)
        sim.seed_ledger(ledger)
        client = ODataClient("http://s4", user=sim.user, password=sim.password, http=in_process_session(sim))
        erp = S4Erp(client, SETTINGS)
        block = lambda: sim.edit_account("A", on_hold=True)  # noqa: E731

    first = pull(store, "sap", erp)  # type: ignore[arg-type]
    assert first[Entity.OPEN_ITEMS].inserted == len(ledger.items)
    again = pull(store, "sap", erp)  # type: ignore[arg-type]
    assert again.rows_written == 0, "records read again (today, inclusive cursor) are unchanged versions"

    block()
    third = pull(store, "sap", erp)  # type: ignore[arg-type]
    assert third[Entity.CREDIT_PROFILES].updated == 1 and third.rows_written == 1
    (profile,) = [p for p in store.load_ledger(source="sap").profiles if p.customer_id == "A"]
    assert profile.on_hold is True and profile.credit_limit is not None
    assert profile.credit_limit.amount == Decimal("5000")


@SQLITE_ONLY
def test_an_order_closed_by_a_delivery_is_pulled_although_no_date_in_vbak_moved(store: Store):
    ecc = FakeEcc(SETTINGS)
    ecc.seed_ledger(read_ledger(FIXTURE).to_ledger())
    erp = EccErp(ecc.connect, SETTINGS, clock=ecc.now)
    pull(store, "sap", erp)  # type: ignore[arg-type]
    (vbuk,) = [row for row in ecc.tables["VBUK"] if row["VBELN"] == "SO-1"]
    vbuk["GBSTK"] = "C"  # billed: the status moves, VBAK-AEDAT does not

    again = pull(store, "sap", erp)  # type: ignore[arg-type]

    assert again[Entity.ORDERS].updated == 1 and again.rows_written == 1
    (order,) = [o for o in store.load_ledger(source="sap").orders if o.order_number == "SO-1"]
    assert order.status.value == "closed"


@SQLITE_ONLY
def test_an_incremental_pull_calls_the_ar_bapis_only_for_customers_with_news(store: Store):
    from datetime import UTC, datetime

    ecc = FakeEcc(SETTINGS)
    ecc.seed_ledger(read_ledger(FIXTURE).to_ledger())
    erp = EccErp(ecc.connect, SETTINGS, clock=ecc.now)
    pull(store, "sap", erp)  # type: ignore[arg-type]
    assert ecc.calls["BAPI_AR_ACC_GETOPENITEMS"] == 3, "a full load: each customer once (payments reuse the lines)"

    today = datetime.now(UTC).date()
    ecc.post_line(BUKRS="1000", KUNNR="C", GJAHR=str(today.year), BELNR="P9", BUZEI="001", BLART="DZ", SHKZG="H",
                  WRBTR=Decimal("25.00"), DMBTR=Decimal("25.00"), WAERS="USD", BUDAT=today, BLDAT=today, CPUDT=today,
                  ZFBDT=today, ZTERM="", ZBD1T=0, ZBD1P=Decimal(0), ZBD2T=0, ZBD3T=0, ZUONR="", XBLNR="on account",
                  SGTXT="", AUGBL="", AUGDT=None, REBZG="", REBZJ="", UMSKZ="")  # fmt: skip
    again = pull(store, "sap", erp)  # type: ignore[arg-type]

    assert ecc.calls["BAPI_AR_ACC_GETOPENITEMS"] == 4, "only customer C had a line entered since the cursor"
    assert again[Entity.PAYMENTS].inserted == 1 and again.rows_written == 1
