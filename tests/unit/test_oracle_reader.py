"""The Oracle reader against the EBS simulator: what the adapter's SQL makes of EBS's data and clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from creditbridge.adapters.files import read_ledger
from creditbridge.adapters.oracle.erp import OracleErp
from creditbridge.adapters.oracle.options import OracleOptions
from creditbridge.adapters.oracle.simulator import EbsSimulator
from creditbridge.core.ports import Capability, Entity, ErpConfigError
from creditbridge.mappings import load_mapping, template_text
from tests.contract.conftest import FIXTURE


@pytest.fixture
def sim() -> EbsSimulator:
    simulator = EbsSimulator(org_id=204)
    simulator.seed_ledger(read_ledger(FIXTURE).to_ledger())
    return simulator


def sweep(erp: OracleErp, entity: Entity, since: datetime | None = None) -> list:
    changes, token = [], None
    while True:
        page = erp.read_changes(entity, since, token)
        changes += page.changes
        token = page.next_page_token
        if token is None:
            return changes


def touch(sim: EbsSimulator, statement: str, *params: object) -> None:
    sim.db.execute(statement, params)
    sim.db.commit()


def test_the_cursor_handed_back_is_the_database_clock_less_the_commit_lag(sim):
    erp = OracleErp(sim, OracleOptions(org_id=204, commit_lag=timedelta(minutes=5)))
    before = sim.now().replace(tzinfo=UTC)
    served = erp.read_changes(Entity.CUSTOMERS, None).served_at
    assert before - timedelta(minutes=5) <= served <= sim.now().replace(tzinfo=UTC) - timedelta(minutes=5)


def test_stamps_in_the_database_time_zone_become_utc_instants(sim):
    touch(sim, "UPDATE AR_PAYMENT_SCHEDULES_ALL SET LAST_UPDATE_DATE = '2026-07-01 12:00:00' WHERE TRX_NUMBER = 'A1'")
    erp = OracleErp(sim, OracleOptions(org_id=204, db_timezone=ZoneInfo("Europe/Berlin")))
    since = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)  # 12:00 in Berlin (summer time): inclusive
    changes = [c for c in sweep(erp, Entity.OPEN_ITEMS, since) if c.key == "A1"]
    assert [c.changed_at for c in changes] == [since]
    assert all(c.key != "A1" for c in sweep(erp, Entity.OPEN_ITEMS, since + timedelta(seconds=1)))


def test_the_second_installment_of_split_terms_is_its_own_item(sim):
    touch(sim, "INSERT INTO AR_PAYMENT_SCHEDULES_ALL (PAYMENT_SCHEDULE_ID, CUSTOMER_TRX_ID, CUSTOMER_ID, TRX_NUMBER, "
               "TRX_DATE, DUE_DATE, CLASS, STATUS, AMOUNT_DUE_ORIGINAL, AMOUNT_DUE_REMAINING, INVOICE_CURRENCY_CODE, "
               "TERMS_SEQUENCE_NUMBER, ORG_ID, LAST_UPDATE_DATE) SELECT 9000, CUSTOMER_TRX_ID, CUSTOMER_ID, TRX_NUMBER, "
               "TRX_DATE, '2026-06-30 00:00:00', CLASS, 'OP', '250.25', '250.25', INVOICE_CURRENCY_CODE, 2, ORG_ID, "
               "LAST_UPDATE_DATE FROM AR_PAYMENT_SCHEDULES_ALL WHERE TRX_NUMBER = 'A6'")  # fmt: skip
    items = {c.key: c.record for c in sweep(OracleErp(sim, OracleOptions(org_id=204)), Entity.OPEN_ITEMS)}
    assert items["A6"].amount.amount == Decimal("999.00")
    assert items["A6/2"].open_amount.amount == Decimal("250.25") and items["A6/2"].due_date.isoformat() == "2026-06-30"


def test_a_new_application_on_an_old_receipt_makes_the_receipt_a_change(sim):
    erp = OracleErp(sim, OracleOptions(org_id=204, commit_lag=timedelta(0)))
    cursor = erp.read_changes(Entity.PAYMENTS, None).served_at
    assert sweep(erp, Entity.PAYMENTS, cursor) == []
    touch(sim, "UPDATE AR_RECEIVABLE_APPLICATIONS_ALL SET DISPLAY = 'N', LAST_UPDATE_DATE = ? WHERE CASH_RECEIPT_ID = "
               "(SELECT CASH_RECEIPT_ID FROM AR_CASH_RECEIPTS_ALL WHERE RECEIPT_NUMBER = 'P3')", sim.stamp())  # fmt: skip
    (change,) = sweep(erp, Entity.PAYMENTS, cursor)
    assert change.key == "P3" and change.record.applications == ()  # the unapplied application is history


def test_a_reversed_receipt_reads_as_deleted(sim):
    touch(sim, "UPDATE AR_CASH_RECEIPTS_ALL SET STATUS = 'REV', LAST_UPDATE_DATE = ? WHERE RECEIPT_NUMBER = 'P2'",
          sim.stamp())  # fmt: skip
    changes = {c.key: c for c in sweep(OracleErp(sim, OracleOptions(org_id=204)), Entity.PAYMENTS)}
    assert changes["P2"].deleted and not changes["P1"].deleted


def test_another_operating_unit_is_not_read(sim):
    erp = OracleErp(sim, OracleOptions(org_id=999))
    assert sweep(erp, Entity.CUSTOMERS) == [] and sweep(erp, Entity.OPEN_ITEMS) == []


def test_orders_are_read_only_when_the_mapping_maps_them(sim, tmp_path):
    text = template_text("oracle")
    start, end = text.index("  orders:"), text.index("  credit_profiles:")
    path = tmp_path / "oracle.yaml"
    path.write_text(text[:start] + text[end:])
    mapping = load_mapping(path)
    erp = OracleErp(sim, OracleOptions(org_id=204, read_orders=mapping.fields.orders is not None), mapping=mapping)
    assert Capability.READ_ORDERS not in erp.capabilities
    with pytest.raises(ValueError, match="does not read orders"):
        erp.read_changes(Entity.ORDERS, None)


def test_a_risk_code_missing_from_the_mappings_table_stops_the_read_naming_the_table(sim, tmp_path):
    path = tmp_path / "oracle.yaml"
    path.write_text(template_text("oracle"))
    erp = OracleErp(sim, OracleOptions(org_id=204), mapping=load_mapping(path))
    with pytest.raises(ErpConfigError, match=r"not in translations\.risk_classes"):
        sweep(erp, Entity.CREDIT_PROFILES)


def test_rows_are_fetched_arraysize_at_a_time(sim):
    erp = OracleErp(sim, OracleOptions(org_id=204, arraysize=3, page_size=1000))
    sim.round_trips = 0
    items = sweep(erp, Entity.OPEN_ITEMS)
    assert len(items) == 8
    assert sim.round_trips == 1 + 3 + 1  # the clock, three batches of at most three rows, the empty end
