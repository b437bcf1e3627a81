"""The Oracle write-back against the EBS simulator: what the TCA APIs answer, and what a person sees.

The contract suite covers compare-and-set, replays and lost answers; these are the EBS-specific
outcomes: locked rows, 'E'/'U' statuses with their messages, a concurrent save of another field,
the Order Management holds the API applies and releases, a new currency's amounts row, and the
FND context the APIs need.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from creditbridge.adapters.files import read_ledger
from creditbridge.adapters.oracle import sql
from creditbridge.adapters.oracle.erp import OracleErp
from creditbridge.adapters.oracle.options import OracleOptions, Responsibility
from creditbridge.adapters.oracle.simulator import EbsSimulator, SimFault
from creditbridge.core.model import CreditProfile
from creditbridge.core.ports import ErpConfigError, ErpUnavailable, ProfileValues, ProfileWrite, WriteOutcome
from tests.contract.conftest import FIXTURE


@pytest.fixture
def sim() -> EbsSimulator:
    simulator = EbsSimulator(org_id=204)
    simulator.seed_ledger(read_ledger(FIXTURE).to_ledger())
    return simulator


def make_erp(sim: EbsSimulator, sleeps: list[float] | None = None, **options: object) -> OracleErp:
    settings = {"org_id": 204, "responsibility": Responsibility(1318, 50559), "lock_retries": 3, **options}
    erp = OracleErp(sim, OracleOptions(**settings))  # type: ignore[arg-type]
    erp.writer._sleep = (sleeps.append if sleeps is not None else lambda _: None)  # type: ignore[assignment]
    return erp


def profile(erp: OracleErp, customer: str = "A") -> CreditProfile:
    found = erp.read_credit_profile(customer)
    assert found is not None
    return found


def write(before: CreditProfile, key: str = "w-1", *, limit: Decimal | None = None, hold: bool | None = None) -> ProfileWrite:
    assert before.credit_limit is not None
    currency = before.credit_limit.currency
    expected = ProfileValues(before.credit_limit.amount, before.on_hold, currency)
    wanted = ProfileValues(expected.credit_limit if limit is None else limit,
                           before.on_hold if hold is None else hold, currency)  # fmt: skip
    return ProfileWrite(before.customer_id, before.source_version, expected, wanted, key)


def test_a_locked_profile_is_retried_and_then_applies(sim):
    sleeps: list[float] = []
    erp = make_erp(sim, sleeps)
    sim.arm(SimFault.ROW_LOCKED, times=2)
    result = erp.write_credit_profile(write(profile(erp), limit=Decimal("7000")))
    assert result.outcome is WriteOutcome.APPLIED
    assert profile(erp).credit_limit.amount == Decimal("7000")
    assert sleeps == [2.0, 4.0]
    assert sim.applied_keys() == ["w-1"]


def test_a_profile_locked_beyond_the_retries_is_unavailable_and_nothing_changes(sim):
    erp = make_erp(sim, lock_retries=1)
    before = profile(erp)
    sim.arm(SimFault.ROW_LOCKED, times=2)
    with pytest.raises(ErpUnavailable, match="ORA-00054") as raised:
        erp.write_credit_profile(write(before, limit=Decimal("7000")))
    assert raised.value.retry_after is not None
    assert profile(erp) == before and sim.applied_keys() == []


def test_an_api_error_is_rejected_with_the_messages_and_rolled_back(sim):
    erp = make_erp(sim)
    before = profile(erp)
    sim.arm(SimFault.API_ERROR)
    result = erp.write_credit_profile(write(before, limit=Decimal("7000"), hold=True))
    assert result.outcome is WriteOutcome.REJECTED
    assert result.message == (
        "update_cust_profile_amt returned error: SIM_VALIDATION_FAILED: The simulator refused this change (armed fault)"
    )
    assert profile(erp) == before and sim.order_holds("A") == [] and sim.applied_keys() == []


def test_an_unexpected_error_on_the_hold_rolls_back_the_limit_too(sim):
    erp = make_erp(sim)
    before = profile(erp)
    sim.arm(SimFault.API_UNEXPECTED)
    result = erp.write_credit_profile(write(before, hold=True))  # the limit is unchanged: only the hold API runs
    assert result.outcome is WriteOutcome.REJECTED
    assert result.message is not None
    assert result.message.startswith("update_customer_profile returned unexpected error: HZ_API_OTHERS_EXCEP: ORA-06502")
    assert profile(erp) == before


def test_a_limit_the_ebs_validation_refuses_comes_back_with_its_message(sim):
    erp = make_erp(sim)
    sim.db.execute("UPDATE HZ_CUST_PROFILE_AMTS SET TRX_CREDIT_LIMIT = '3000' WHERE CUST_ACCOUNT_ID = ?",
                   (sim.account_id("A"),))  # fmt: skip
    sim.db.commit()
    result = erp.write_credit_profile(write(profile(erp), limit=Decimal("2500")))
    assert result.outcome is WriteOutcome.REJECTED
    assert "SIM_ORDER_LIMIT_OVER_CREDIT_LIMIT: The order credit limit 3000 cannot exceed the credit limit 2500" in (
        result.message or ""
    )


def test_someone_saving_another_field_meanwhile_is_retried_on_the_new_version(sim):
    erp = make_erp(sim)
    sim.arm(SimFault.CONCURRENT_SAVE)  # between our read and the API's lock: HZ_API_RECORD_CHANGED
    result = erp.write_credit_profile(write(profile(erp), limit=Decimal("6400")))
    assert result.outcome is WriteOutcome.APPLIED
    assert profile(erp).credit_limit.amount == Decimal("6400")
    (amount_version,) = sim.db.execute("SELECT OBJECT_VERSION_NUMBER FROM HZ_CUST_PROFILE_AMTS WHERE CUST_ACCOUNT_ID = ?",
                                       (sim.account_id("A"),)).fetchone()  # fmt: skip
    assert amount_version == 3  # the other save, then ours


def test_a_credit_hold_puts_the_open_orders_on_hold_and_a_release_releases_them(sim):
    erp = make_erp(sim)
    assert erp.write_credit_profile(write(profile(erp), "hold", hold=True)).outcome is WriteOutcome.APPLIED
    assert sim.order_holds("A") == [("SO-1", False)]
    assert erp.write_credit_profile(write(profile(erp), "release", hold=False)).outcome is WriteOutcome.APPLIED
    assert sim.order_holds("A") == [("SO-1", True)]
    (reason,) = sim.db.execute("SELECT RELEASE_REASON_CODE FROM OE_HOLD_SOURCES_ALL").fetchone()
    assert reason == "AR_AUTOMATIC"
    assert sim.order_holds("C") == []  # C's only order is cancelled: nothing to hold


def test_an_account_without_an_amounts_row_gets_one_created(sim):
    erp = make_erp(sim)
    sim.db.execute("DELETE FROM HZ_CUST_PROFILE_AMTS WHERE CUST_ACCOUNT_ID = ?", (sim.account_id("B"),))
    sim.db.commit()
    before = profile(erp, "B")
    assert before.credit_limit is None
    change = ProfileWrite("B", before.source_version, ProfileValues(None, False, "EUR"),
                          ProfileValues(Decimal("250.50"), False, "EUR"), "w-b")  # fmt: skip
    result = erp.write_credit_profile(change)
    assert result.outcome is WriteOutcome.APPLIED and "EUR created" in (result.erp_reference or "")
    assert profile(erp, "B").credit_limit.amount == Decimal("250.50")


def test_write_back_without_a_responsibility_is_a_configuration_error(sim):
    erp = make_erp(sim, responsibility=None)
    with pytest.raises(ErpConfigError, match=r"scope\.user_id and scope\.responsibility_id"):
        erp.write_credit_profile(write(profile(erp), limit=Decimal("7000")))


def test_the_simulated_apis_refuse_a_session_without_apps_initialize(sim):
    """What catches an adapter that forgets FND_GLOBAL.APPS_INITIALIZE / MOAC before the API calls."""
    with sim.acquire() as session:
        cursor = session.cursor()
        outs = {name: cursor.var(str) for name in ("new_version", "return_status", "msg_count", "messages",
                                                   "message_names")}  # fmt: skip
        cursor.execute(sql.UPDATE_CREDIT_HOLD, {"object_version_number": 1, "profile_id": 1000, "credit_hold": "Y",
                                                **outs})  # fmt: skip
    assert outs["return_status"].getvalue() == "U"
    assert outs["message_names"].getvalue() == "SIM_CONTEXT_NOT_SET\n"
