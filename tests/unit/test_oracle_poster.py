"""Cash application into EBS through AR_RECEIPT_API_PUB, against the simulator: posted once, exactly, or not at all."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from creditbridge.adapters.files import read_ledger
from creditbridge.adapters.oracle.erp import OracleErp
from creditbridge.adapters.oracle.options import OracleOptions, Responsibility
from creditbridge.adapters.oracle.simulator import EbsSimulator, SimFault
from creditbridge.core.money import Money
from creditbridge.core.ports import (
    Capability,
    CashApplicationPosting,
    Entity,
    ErpConfigError,
    WriteOutcome,
    WriteOutcomeUnknown,
)
from tests.contract.conftest import FIXTURE


@pytest.fixture
def sim() -> EbsSimulator:
    simulator = EbsSimulator(org_id=204)
    simulator.seed_ledger(read_ledger(FIXTURE).to_ledger())
    return simulator


@pytest.fixture
def erp(sim: EbsSimulator) -> OracleErp:
    return OracleErp(sim, OracleOptions(org_id=204, responsibility=Responsibility(1318, 50559)), receipt_method_id=1001)


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def a_posting(key: str = "post-1", *applications: tuple[str, Money], amount: str = "700.00") -> CashApplicationPosting:
    return CashApplicationPosting(key, "A", date(2026, 4, 10), usd(amount), "CHK-881",
                                  applications or (("A1", usd("200.00")), ("A2", usd("500.00"))))  # fmt: skip


def items(erp: OracleErp) -> dict[str, Decimal]:
    changes, token = [], None
    while True:
        page = erp.read_changes(Entity.OPEN_ITEMS, None, token)
        changes += page.changes
        token = page.next_page_token
        if token is None:
            return {c.key: c.record.open_amount.amount for c in changes}


def receipts(erp: OracleErp) -> dict[str, object]:
    return {c.key: c.record for c in erp.read_changes(Entity.PAYMENTS, None).changes}


def test_a_posting_becomes_a_receipt_applied_to_the_items(erp):
    assert Capability.POST_CASH_APPLICATION in erp.capabilities
    (result,) = erp.post_cash_applications([a_posting()])
    assert result.outcome is WriteOutcome.APPLIED and result.erp_reference.startswith("receipt ")
    assert items(erp)["A1"] == Decimal("400.00") and items(erp)["A2"] == Decimal("0.00")
    receipt = receipts(erp)["CHK-881"]
    assert receipt.amount == usd("700.00") and receipt.customer_id == "A"
    assert {a.item_id: a.amount for a in receipt.applications} == {"A1": usd("200.00"), "A2": usd("500.00")}


def test_a_resent_posting_is_not_posted_twice(erp, sim):
    first = erp.post_cash_applications([a_posting()])[0]
    again = erp.post_cash_applications([a_posting()])[0]
    assert again.outcome is WriteOutcome.APPLIED and again.erp_reference == first.erp_reference
    assert items(erp)["A1"] == Decimal("400.00")
    assert sim.applied_keys() == ["post-1"]


def test_an_over_application_is_rejected_with_the_message_and_nothing_is_posted(erp, sim):
    (result,) = erp.post_cash_applications([a_posting("post-2", ("A1", usd("650.00")), amount="650.00")])
    assert result.outcome is WriteOutcome.REJECTED
    assert result.message == ("A1: apply returned error: AR_RW_APPLIED_GREATER_LINE: The amount applied 650.00 "
                              "exceeds the amount due remaining 600.0000")  # fmt: skip
    assert "CHK-881" not in receipts(erp) and items(erp)["A1"] == Decimal("600.00")
    assert sim.applied_keys() == []


def test_an_answer_lost_after_the_commit_is_unknown_and_the_resend_posts_nothing_more(erp, sim):
    sim.arm(SimFault.LOST_AFTER_COMMIT)
    with pytest.raises(WriteOutcomeUnknown):
        erp.post_cash_applications([a_posting()])
    assert items(erp)["A2"] == Decimal("0.00")
    assert erp.post_cash_applications([a_posting()])[0].outcome is WriteOutcome.APPLIED
    assert items(erp)["A1"] == Decimal("400.00") and sim.applied_keys() == ["post-1"]


def test_without_a_receipt_method_there_is_no_cash_posting(sim):
    erp = OracleErp(sim, OracleOptions(org_id=204, responsibility=Responsibility(1318, 50559)))
    assert Capability.POST_CASH_APPLICATION not in erp.capabilities
    with pytest.raises(ErpConfigError, match="receipt_method_id"):
        erp.post_cash_applications([a_posting()])
