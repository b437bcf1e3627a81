"""Which credit-profile changes go to the ERP on their own, and which wait for a second person."""

from decimal import Decimal

import pytest

from creditbridge.core.model import CreditProfile
from creditbridge.core.money import Money
from creditbridge.core.ports import ProfileValues
from creditbridge.core.writeback import (
    ChangeKind,
    WritebackPolicy,
    plan_profile_changes,
    profile_values,
    render_diff,
    same_values,
)

POLICY = WritebackPolicy(increase_approval_threshold=Decimal("1000"))


def profile(customer_id: str, limit: str | None, on_hold: bool = False, version: str = "7") -> CreditProfile:
    money = None if limit is None else Money.of(limit, "USD")
    return CreditProfile(customer_id, money, on_hold=on_hold, source_version=version)


def want(limit: str | None, on_hold: bool = False, currency: str = "USD") -> ProfileValues:
    return ProfileValues(None if limit is None else Decimal(limit), on_hold, currency)


def test_a_customer_whose_erp_values_already_match_gets_no_change():
    current = {"C1": profile("C1", "5000.00"), "C2": profile("C2", None, on_hold=True)}
    wanted = {"C1": want("5000"), "C2": want(None, on_hold=True, currency="EUR")}
    assert plan_profile_changes(wanted, current, POLICY) == ()


def test_an_increase_above_the_threshold_needs_a_second_person():
    (change,) = plan_profile_changes({"C1": want("7500")}, {"C1": profile("C1", "5000")}, POLICY)
    assert change.kinds == (ChangeKind.LIMIT_INCREASE,)
    assert change.needs_approval
    assert change.current == want("5000") and change.current_version == "7"
    assert dict(change.reasons[0].figures)["difference"] == "2500"


def test_an_increase_within_the_threshold_applies_on_its_own():
    (change,) = plan_profile_changes({"C1": want("6000")}, {"C1": profile("C1", "5000")}, POLICY)
    assert change.kind is ChangeKind.LIMIT_INCREASE
    assert not change.needs_approval


def test_a_zero_threshold_sends_every_increase_to_a_second_person():
    strict = WritebackPolicy(increase_approval_threshold=Decimal(0))
    (change,) = plan_profile_changes({"C1": want("5000.01")}, {"C1": profile("C1", "5000")}, strict)
    assert change.needs_approval


def test_removing_a_limit_is_an_unbounded_increase_and_needs_approval():
    (change,) = plan_profile_changes({"C1": want(None)}, {"C1": profile("C1", "5000")}, POLICY)
    assert change.kind is ChangeKind.LIMIT_REMOVED and change.needs_approval


def test_a_hold_release_needs_approval_and_a_new_hold_does_not():
    current = {"C1": profile("C1", "100", on_hold=True), "C2": profile("C2", "100")}
    release, hold = plan_profile_changes({"C1": want("100"), "C2": want("100", on_hold=True)}, current, POLICY)
    assert (release.kind, release.needs_approval) == (ChangeKind.RELEASE, True)
    assert (hold.kind, hold.needs_approval) == (ChangeKind.HOLD, False)


def test_decreases_and_new_holds_wait_for_approval_when_the_policy_says_so():
    cautious = WritebackPolicy(Decimal(0), auto_apply_decreases=False, auto_apply_new_holds=False)
    current = {"C1": profile("C1", "5000"), "C2": profile("C2", "5000")}
    decrease, hold = plan_profile_changes({"C1": want("4000"), "C2": want("5000", on_hold=True)}, current, cautious)
    assert decrease.needs_approval and hold.needs_approval


def test_a_release_may_apply_on_its_own_when_the_policy_allows_it():
    lenient = WritebackPolicy(Decimal(0), hold_release_needs_approval=False)
    (change,) = plan_profile_changes({"C1": want("1")}, {"C1": profile("C1", "1", on_hold=True)}, lenient)
    assert not change.needs_approval


def test_a_decrease_together_with_a_release_needs_approval_for_the_release():
    (change,) = plan_profile_changes({"C1": want("50")}, {"C1": profile("C1", "100", on_hold=True)}, POLICY)
    assert change.kinds == (ChangeKind.LIMIT_DECREASE, ChangeKind.RELEASE)
    assert change.needs_approval


def test_a_change_of_the_limits_currency_always_needs_approval():
    (change,) = plan_profile_changes({"C1": want("10", currency="EUR")}, {"C1": profile("C1", "10")}, POLICY)
    assert change.kind is ChangeKind.LIMIT_CURRENCY and change.needs_approval


def test_a_customer_the_erp_does_not_know_is_reported_not_dropped():
    (change,) = plan_profile_changes({"C9": want("10")}, {}, POLICY)
    assert change.kind is ChangeKind.UNKNOWN_CUSTOMER
    assert not change.writable


def test_the_plan_reads_like_a_diff():
    current = {"C10001": profile("C10001", "5000"), "C10002": profile("C10002", "2500.5"),
               "C10003": profile("C10003", None, on_hold=True), "C10004": profile("C10004", "1234567.891")}  # fmt: skip
    wanted = {"C10001": want("7500"), "C10002": want("2000", on_hold=True), "C10003": want("300"),
              "C10004": want("1234567.891")}  # fmt: skip
    names = {"C10001": "Acme", "C10002": "Beta GmbH"}
    assert render_diff(plan_profile_changes(wanted, current, POLICY, names)) == [
        "C10001 Acme: credit limit 5,000.00 → 7,500.00 USD (needs approval)",
        "C10002 Beta GmbH: credit limit 2,500.50 → 2,000.00 USD; put on hold",
        "C10003: credit limit no limit → 300.00 USD; release hold (needs approval)",
    ]


def test_limits_in_units_from_the_store_compare_equal_to_the_same_amount():
    stored = ProfileValues(Decimal("5000.0000"), False, "USD")
    assert same_values(stored, want("5000"))
    assert same_values(profile_values(profile("C1", None), "EUR"), want(None, currency="USD"))


def test_a_policy_refuses_a_float_or_negative_threshold():
    with pytest.raises(TypeError):
        WritebackPolicy(increase_approval_threshold=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        WritebackPolicy(increase_approval_threshold=Decimal(-1))
