"""The Oracle adapter inside the sync engine: pull into the store, push through the outbox (SQLite and PostgreSQL).

What only the whole path shows: EBS amounts arrive in the store as exact Decimals, a second pull
with nothing changed in EBS writes nothing, and a profile a person saved in EBS after we planned
becomes a CONFLICT row for a person — never an overwrite — with EBS's values on it.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from creditbridge.adapters.files import read_ledger
from creditbridge.adapters.oracle.erp import OracleErp
from creditbridge.adapters.oracle.options import OracleOptions, Responsibility
from creditbridge.adapters.oracle.simulator import EbsSimulator
from creditbridge.core.model import Ledger
from creditbridge.core.money import Money
from creditbridge.core.ports import Entity
from creditbridge.core.writeback import WritebackPolicy
from creditbridge.sync import writeback as wb
from creditbridge.sync.pull import pull
from creditbridge.sync.store import Store
from creditbridge.sync.writeback.records import OutboxStatus
from tests.contract.conftest import FIXTURE, oracle_ledger

CONNECTION = "ebs"
POLICY = WritebackPolicy(increase_approval_threshold=Decimal("100000"))


@pytest.fixture
def ledger() -> Ledger:
    """The KPI fixture with amounts finer than a float carries exactly (a 17-digit limit, 4 decimals)."""
    base = read_ledger(FIXTURE).to_ledger()
    item = replace(base.items[1], amount=Money(Decimal("500.0001"), "USD"), open_amount=Money(Decimal("500.0001"), "USD"))
    profile = replace(base.profiles[0], credit_limit=Money(Decimal("1234567890123.4567"), "USD"))
    return replace(base, items=(base.items[0], item, *base.items[2:]), profiles=(profile, *base.profiles[1:]))


@pytest.fixture
def sim(ledger: Ledger) -> EbsSimulator:
    simulator = EbsSimulator(org_id=204)
    simulator.seed_ledger(ledger)
    return simulator


@pytest.fixture
def erp(sim: EbsSimulator) -> OracleErp:
    return OracleErp(sim, OracleOptions(org_id=204, responsibility=Responsibility(1318, 50559), page_size=2),
                     name=CONNECTION)  # fmt: skip


def test_ebs_amounts_arrive_in_the_store_as_exact_decimals_and_a_second_pull_writes_nothing(store: Store, erp, ledger):
    first = pull(store, CONNECTION, erp, run_id="r1")
    assert first.rows_written > 0
    held = store.load_ledger(source=CONNECTION)
    assert held.items == oracle_ledger(ledger).items
    limit = {p.customer_id: p.credit_limit for p in held.profiles}["A"]
    assert limit is not None and limit.amount == Decimal("1234567890123.4567") and isinstance(limit.amount, Decimal)
    assert {i.item_id: i.open_amount.amount for i in held.items}["A2"] == Decimal("500.0001")
    again = pull(store, CONNECTION, erp, run_id="r2")
    assert again.rows_written == 0


def test_a_profile_saved_in_ebs_after_the_request_becomes_a_conflict_row_not_an_overwrite(store: Store, erp, sim):
    pull(store, CONNECTION, erp, [Entity.CUSTOMERS, Entity.CREDIT_PROFILES], run_id="r1")
    requested = wb.request_profile_change(store, CONNECTION, erp, "C", POLICY, requested_by="alice",
                                          reason="annual review", credit_limit=Decimal("2500"))  # fmt: skip
    assert requested.outbox_row is not None
    sim.human_edit_profile("C", credit_limit=Decimal("3300"))  # the credit manager, in the Customers form

    report = wb.dispatch(store, CONNECTION, erp, "run-1")

    assert [r.status for r in report.results] == [OutboxStatus.CONFLICT] and not report.ok
    assert erp.read_credit_profile("C").credit_limit.amount == Decimal("3300")
    assert sim.applied_keys() == []
    (conflict,) = wb.list_conflicts(store, CONNECTION)
    assert conflict.erp_values is not None and conflict.erp_values.credit_limit == Decimal("3300")


def test_a_request_pushed_through_the_outbox_applies_once_and_puts_the_orders_on_hold(store: Store, erp, sim):
    pull(store, CONNECTION, erp, [Entity.CUSTOMERS, Entity.CREDIT_PROFILES], run_id="r1")
    wb.request_profile_change(store, CONNECTION, erp, "A", POLICY, requested_by="alice", reason="collections",
                              on_hold=True)  # fmt: skip
    report = wb.dispatch(store, CONNECTION, erp, "run-1")
    assert [r.status for r in report.results] == [OutboxStatus.APPLIED] and report.ok
    assert erp.read_credit_profile("A").on_hold is True
    assert sim.order_holds("A") == [("SO-1", False)]
    assert len(sim.applied_keys()) == 1
    assert wb.dispatch(store, CONNECTION, erp, "run-2").results == []
