"""The credit engine on the store (SQLite and PostgreSQL): the store's indexed order check gives the
same answers as the ledger folder, and decisions are stored with their policy and read back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from creditbridge.adapters.files import read_ledger
from creditbridge.core.credit import CreditPolicy, check_order_in
from creditbridge.core.credit.application import assess, parse_application
from creditbridge.mappings.credit_policy import default_policy, parse_policy
from creditbridge.sync.credit_decisions import (
    LastReview,
    get_decision,
    last_reviewed,
    list_decisions,
    record_decision,
)
from creditbridge.sync.store import Store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_kpi"
DATES = [date(2025, 11, 1), date(2026, 1, 30), date(2026, 1, 31), date(2026, 3, 31), date(2026, 6, 30)]
AMOUNTS = [Decimal("0"), Decimal("100"), Decimal("2700"), Decimal("3300.01")]


@pytest.mark.parametrize("group", [False, True])
def test_the_store_check_answers_exactly_as_the_ledger_folder(store: Store, group: bool) -> None:
    store.import_ledger(read_ledger(FIXTURE), source="files")
    ledger = read_ledger(FIXTURE).to_ledger()
    policy = CreditPolicy(group_exposure=group)
    for customer in ("A", "B", "C"):
        for as_of in DATES:
            view = store.exposure_view(customer, as_of, "files", group)
            assert view is not None
            for amount in AMOUNTS:
                from_folder = check_order_in(ledger, customer, amount, None, as_of, policy).as_dict()
                from_store = check_order_in(view, customer, amount, None, as_of, policy).as_dict()
                assert from_store == from_folder, (customer, as_of, amount)


def test_an_unknown_customer_has_no_view(store: Store) -> None:
    store.import_ledger(read_ledger(FIXTURE), source="files")
    assert store.exposure_view("NOPE", date(2026, 3, 31)) is None
    assert store.exposure_view("A", date(2026, 3, 31), source="other") is None


def test_a_stored_application_is_replayed_under_its_own_policy(store: Store) -> None:
    text = default_policy().text.replace("warn_percent: 80", "warn_percent: 75")
    policy = parse_policy(text)
    data = {"applicant": {"name": "Nova", "customer_id": None, "type": "non_manufacturer", "years_in_business": 4},
            "requested_limit": {"amount": "20000", "currency": "EUR"},
            "financials": {"currency": "EUR", "period_end": "2025-12-31", "current_assets": "400000",
                           "current_liabilities": "250000", "total_assets": "900000", "total_liabilities": "500000",
                           "retained_earnings": "150000", "ebit": "90000", "sales": "1200000",
                           "book_equity": "400000"}}  # fmt: skip
    result = assess(parse_application(data), policy).as_dict()
    with store.engine.begin() as conn:
        decision_id = record_decision(conn, policy, kind="application", decided_by="alice",
                                      decision=result["decision"], as_of=date(2026, 1, 5), inputs=data,
                                      result=result, applicant="Nova")  # fmt: skip
    stored, policy_text = get_decision(store.engine, decision_id) or pytest.fail("not stored")
    assert policy_text == text and stored.policy_version == policy.version != default_policy().version
    assert stored.decided_by == "alice"
    replayed = assess(parse_application(stored.inputs), parse_policy(policy_text)).as_dict()
    assert replayed["decision"] == result["decision"] and replayed["score"] == result["score"]
    assert [d.id for d in list_decisions(store.engine)] == [decision_id]


def test_the_last_review_of_each_customer_is_known(store: Store) -> None:
    policy = default_policy()
    with store.engine.begin() as conn:
        for customer, day, risk in (("A", date(2026, 1, 1), "C"), ("A", date(2026, 3, 1), "B"),
                                    ("B", date(2026, 2, 1), "E")):  # fmt: skip
            record_decision(conn, policy, kind="review", decided_by="bob", decision="keep", as_of=day, inputs={},
                            result={}, source="files", customer_id=customer, risk_class=risk)  # fmt: skip
    assert last_reviewed(store.engine, "files") == {
        "A": LastReview(date(2026, 3, 1), "B"), "B": LastReview(date(2026, 2, 1), "E")}  # fmt: skip
    assert last_reviewed(store.engine, "other") == {}
