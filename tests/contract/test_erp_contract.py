"""The ERP contract (core/ports.py), once, for every adapter's simulator (see conftest.py).

Each test is a promise the pull and write-back shell relies on: inclusive cursors, pages that
neither skip nor repeat, tombstones, compare-and-set that never overwrites a person's edit,
idempotency keys that apply once, lost responses that a read-back resolves, exact money.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from creditbridge.adapters.memory import Fault
from creditbridge.core.model import CreditProfile, Ledger
from creditbridge.core.ports import (
    READ_CAPABILITY,
    Capability,
    CashApplicationPoster,
    Change,
    ChangeReader,
    CreditProfileWriter,
    Entity,
    ErpUnavailable,
    ProfileValues,
    ProfileWrite,
    WriteOutcome,
    WriteOutcomeUnknown,
    writeoff_key,
)


def sweep(adapter, entity: Entity, since: datetime | None = None) -> tuple[list[Change], datetime, int]:
    """Every page of one sweep: the changes, the first page's served_at (the next cursor), the page count."""
    changes: list[Change] = []
    token = None
    first_served_at = None
    pages = 0
    while True:
        page = adapter.read_changes(entity, since, token)
        pages += 1
        assert page.entity is entity
        first_served_at = first_served_at or page.served_at
        changes += page.changes
        token = page.next_page_token
        if token is None:
            return changes, first_served_at, pages
        assert pages < 1000, "the pages never end"


def expected_records(ledger: Ledger) -> dict[Entity, dict[str, object]]:
    writeoffs: dict[str, object] = {}
    for w in ledger.writeoffs:
        n = 1
        while writeoff_key(w.item_id, n) in writeoffs:
            n += 1
        writeoffs[writeoff_key(w.item_id, n)] = w
    return {
        Entity.CUSTOMERS: {c.customer_id: c for c in ledger.customers},
        Entity.CREDIT_PROFILES: {p.customer_id: p for p in ledger.profiles},
        Entity.OPEN_ITEMS: {i.item_id: i for i in ledger.items},
        Entity.PAYMENTS: {p.payment_id: p for p in ledger.payments},
        Entity.ORDERS: {o.order_number: o for o in ledger.orders},
        Entity.WRITEOFFS: writeoffs,
    }


def without_version(record: object) -> object:
    return replace(record, source_version=None) if isinstance(record, CreditProfile) else record


def values_of(profile: CreditProfile) -> ProfileValues:
    limit = profile.credit_limit
    return ProfileValues(
        None if limit is None else limit.amount, profile.on_hold, "USD" if limit is None else limit.currency
    )


def a_write(
    profile: CreditProfile, key: str, *, credit_limit: Decimal | None, on_hold: bool | None = None
) -> ProfileWrite:
    """A write of a new limit (and hold) over what `profile` shows, in its currency."""
    expected = values_of(profile)
    wanted = ProfileValues(credit_limit, profile.on_hold if on_hold is None else on_hold, expected.currency)
    return ProfileWrite(profile.customer_id, profile.source_version, expected, wanted, key)


def current(subject, customer_id: str = "A") -> CreditProfile:
    profile = subject.adapter.read_credit_profile(customer_id)
    assert isinstance(profile, CreditProfile)
    return profile


def readable(subject) -> list[Entity]:
    return [e for e, cap in READ_CAPABILITY.items() if cap in subject.adapter.capabilities]


# --- reading -------------------------------------------------------------------------------------


def test_full_read_returns_every_seeded_record_exactly_once_across_pages(erp_under_test, ledger):
    wanted = expected_records(ledger)
    for entity in readable(erp_under_test):
        changes, _, pages = sweep(erp_under_test.adapter, entity)
        keys = [c.key for c in changes]
        assert len(keys) == len(set(keys)), f"{entity}: a record came twice"
        got = {c.key: without_version(c.record) for c in changes}
        assert got == wanted[entity], entity
        assert pages == max(1, math.ceil(len(keys) / erp_under_test.page_size)), entity
        assert all(c.changed_at.tzinfo is not None and c.version for c in changes)


def test_inclusive_cursor_rereturns_records_stamped_at_the_cursor(erp_under_test):
    changes, _, _ = sweep(erp_under_test.adapter, Entity.CUSTOMERS)
    cursor = max(c.changed_at for c in changes)
    again, _, _ = sweep(erp_under_test.adapter, Entity.CUSTOMERS, since=cursor)
    assert {c.key for c in changes if c.changed_at == cursor} <= {c.key for c in again}
    assert all(c.changed_at >= cursor for c in again)


def test_changes_after_a_cursor_only(erp_under_test):
    subject = erp_under_test
    subject.human_edit_profile("A", credit_limit=Decimal("4000"))
    _, cursor, _ = sweep(subject.adapter, Entity.CREDIT_PROFILES)
    subject.human_edit_profile("B", on_hold=True)

    changes, _, _ = sweep(subject.adapter, Entity.CREDIT_PROFILES, since=cursor)
    assert all(c.changed_at >= cursor for c in changes)
    assert {c.key: c.record.on_hold for c in changes}["B"] is True
    untouched, _, _ = sweep(subject.adapter, Entity.OPEN_ITEMS, since=cursor)
    assert untouched == []


def test_deletion_is_seen_as_a_tombstone(erp_under_test):
    subject = erp_under_test
    if subject.human_delete is None:
        pytest.skip(f"{subject.name}: deletions cannot be seen in this ERP")
    _, cursor, _ = sweep(subject.adapter, Entity.ORDERS)
    subject.human_delete(Entity.ORDERS, "SO-1")
    changes, _, _ = sweep(subject.adapter, Entity.ORDERS, since=cursor)
    tombstones = [c for c in changes if c.key == "SO-1"]
    assert len(tombstones) == 1 and tombstones[0].deleted and tombstones[0].record is None
    assert tombstones[0].changed_at >= cursor


def test_page_token_continues_without_duplicates_when_nothing_changes(erp_under_test):
    adapter = erp_under_test.adapter
    first = adapter.read_changes(Entity.CUSTOMERS, None)
    assert first.next_page_token is not None, "three customers at two per page take two pages"
    assert len(first.changes) == erp_under_test.page_size
    second = adapter.read_changes(Entity.CUSTOMERS, None, first.next_page_token)
    again = adapter.read_changes(Entity.CUSTOMERS, None, first.next_page_token)
    assert again.changes == second.changes, "a page read twice is the same page"
    keys = [c.key for c in (*first.changes, *second.changes)]
    assert sorted(keys) == ["A", "B", "C"]
    assert second.next_page_token is None


def test_a_record_edited_mid_sweep_does_not_make_the_sweep_skip_another(erp_under_test):
    """An edit moves a record to the end of the change order; the records behind it must not shift out of the sweep."""
    adapter = erp_under_test.adapter
    first = adapter.read_changes(Entity.CREDIT_PROFILES, None)
    assert first.next_page_token is not None
    erp_under_test.human_edit_profile(first.changes[0].key, on_hold=True)
    seen = [c.key for c in first.changes]
    token = first.next_page_token
    for _ in range(10):
        if token is None:
            break
        page = adapter.read_changes(Entity.CREDIT_PROFILES, None, token)
        seen += [c.key for c in page.changes]
        token = page.next_page_token
    assert token is None, "the sweep ends"
    assert set(seen) == {"A", "B", "C"}


def test_page_token_of_another_sweep_is_refused(erp_under_test):
    adapter = erp_under_test.adapter
    token = adapter.read_changes(Entity.CUSTOMERS, None).next_page_token
    with pytest.raises(ValueError):
        adapter.read_changes(Entity.CUSTOMERS, datetime(2000, 1, 1, tzinfo=UTC), token)
    with pytest.raises(ValueError):
        adapter.read_changes(Entity.CREDIT_PROFILES, None, token)


def test_a_naive_cursor_is_refused(erp_under_test):
    with pytest.raises(ValueError):
        erp_under_test.adapter.read_changes(Entity.CUSTOMERS, datetime(2026, 1, 1))


# --- writing -------------------------------------------------------------------------------------


def test_write_applies_and_read_back_shows_it_with_a_new_version(erp_under_test):
    before = current(erp_under_test)
    result = erp_under_test.adapter.write_credit_profile(
        a_write(before, "w-1", credit_limit=Decimal("7500.00"), on_hold=True)
    )
    assert result.outcome is WriteOutcome.APPLIED
    assert result.erp_reference
    after = current(erp_under_test)
    assert (after.credit_limit.amount, after.on_hold) == (Decimal("7500.00"), True)
    assert after.source_version != before.source_version
    assert result.current is not None and result.current.source_version == after.source_version


def test_a_write_is_seen_by_the_next_sweep(erp_under_test):
    adapter = erp_under_test.adapter
    _, cursor, _ = sweep(adapter, Entity.CREDIT_PROFILES)
    adapter.write_credit_profile(a_write(current(erp_under_test), "w-1", credit_limit=Decimal("6000")))
    changes, _, _ = sweep(adapter, Entity.CREDIT_PROFILES, since=cursor)
    assert {c.key: c.record.credit_limit.amount for c in changes if c.key == "A"} == {"A": Decimal("6000")}


def test_stale_expected_values_conflict_and_nothing_changes(erp_under_test):
    subject = erp_under_test
    seen = current(subject)
    subject.human_edit_profile("A", credit_limit=Decimal("4200"))
    after_human = current(subject)

    result = subject.adapter.write_credit_profile(a_write(seen, "w-1", credit_limit=Decimal("9000")))
    assert result.outcome is WriteOutcome.CONFLICT
    assert result.current is not None and result.current.credit_limit.amount == Decimal("4200")
    assert current(subject) == after_human
    if subject.applied_writes is not None:
        assert subject.applied_writes() == []


def test_a_version_bump_on_another_field_is_not_a_conflict(erp_under_test):
    subject = erp_under_test
    if subject.human_edit_other_field is None:
        pytest.skip(f"{subject.name}: no other field to edit")
    seen = current(subject)
    subject.human_edit_other_field("A")
    assert current(subject).source_version != seen.source_version

    result = subject.adapter.write_credit_profile(a_write(seen, "w-1", credit_limit=Decimal("9000")))
    assert result.outcome is WriteOutcome.APPLIED
    assert current(subject).credit_limit.amount == Decimal("9000")


def test_replayed_idempotency_key_applies_once(erp_under_test):
    subject = erp_under_test
    write = a_write(current(subject), "w-1", credit_limit=Decimal("8000"))
    first = subject.adapter.write_credit_profile(write)
    version = current(subject).source_version
    replayed = subject.adapter.write_credit_profile(write)
    assert first.outcome is replayed.outcome is WriteOutcome.APPLIED
    assert replayed.erp_reference == first.erp_reference
    assert current(subject).source_version == version
    if subject.applied_writes is not None:
        assert subject.applied_writes() == ["w-1"]


def test_a_replay_after_a_human_edit_does_not_apply_again(erp_under_test):
    subject = erp_under_test
    write = a_write(current(subject), "w-1", credit_limit=Decimal("8000"))
    subject.adapter.write_credit_profile(write)
    subject.human_edit_profile("A", credit_limit=Decimal("100"))
    assert subject.adapter.write_credit_profile(write).outcome is WriteOutcome.APPLIED
    assert current(subject).credit_limit.amount == Decimal("100")


def test_timeout_after_apply_is_outcome_unknown_and_a_read_back_shows_the_value(erp_under_test):
    subject = erp_under_test
    if subject.arm_fault is None:
        pytest.skip(f"{subject.name}: the simulator cannot inject faults")
    write = a_write(current(subject), "w-1", credit_limit=Decimal("8000"))
    subject.arm_fault("write_credit_profile", Fault.TIMEOUT_AFTER_APPLY)
    with pytest.raises(WriteOutcomeUnknown):
        subject.adapter.write_credit_profile(write)
    assert current(subject).credit_limit.amount == Decimal("8000")
    assert subject.adapter.write_credit_profile(write).outcome is WriteOutcome.APPLIED
    if subject.applied_writes is not None:
        assert subject.applied_writes() == ["w-1"]


def test_timeout_before_apply_changes_nothing_and_a_resend_applies_once(erp_under_test):
    subject = erp_under_test
    if subject.arm_fault is None:
        pytest.skip(f"{subject.name}: the simulator cannot inject faults")
    before = current(subject)
    write = a_write(before, "w-1", credit_limit=Decimal("8000"))
    subject.arm_fault("write_credit_profile", Fault.TIMEOUT_BEFORE_APPLY)
    with pytest.raises(WriteOutcomeUnknown):
        subject.adapter.write_credit_profile(write)
    assert current(subject) == before
    assert subject.adapter.write_credit_profile(write).outcome is WriteOutcome.APPLIED
    assert current(subject).credit_limit.amount == Decimal("8000")


def test_unavailable_raises_and_changes_nothing(erp_under_test):
    subject = erp_under_test
    if subject.arm_fault is None:
        pytest.skip(f"{subject.name}: the simulator cannot inject faults")
    before = current(subject)
    subject.arm_fault("write_credit_profile", Fault.UNAVAILABLE)
    with pytest.raises(ErpUnavailable):
        subject.adapter.write_credit_profile(a_write(before, "w-1", credit_limit=Decimal("8000")))
    assert current(subject) == before
    subject.arm_fault("read_changes", Fault.UNAVAILABLE)
    with pytest.raises(ErpUnavailable):
        subject.adapter.read_changes(Entity.CUSTOMERS, None)
    assert len(sweep(subject.adapter, Entity.CUSTOMERS)[0]) == 3


def test_reject_returns_rejected_and_changes_nothing(erp_under_test):
    subject = erp_under_test
    if subject.arm_fault is None:
        pytest.skip(f"{subject.name}: the simulator cannot inject faults")
    before = current(subject)
    subject.arm_fault("write_credit_profile", Fault.REJECT)
    result = subject.adapter.write_credit_profile(a_write(before, "w-1", credit_limit=Decimal("8000")))
    assert result.outcome is WriteOutcome.REJECTED
    assert current(subject) == before


def test_an_invalid_limit_is_rejected(erp_under_test):
    before = current(erp_under_test)
    result = erp_under_test.adapter.write_credit_profile(a_write(before, "w-1", credit_limit=Decimal("-1")))
    assert result.outcome is WriteOutcome.REJECTED
    assert current(erp_under_test) == before


# --- capabilities and money ----------------------------------------------------------------------


def test_capabilities_declared_match_what_works(erp_under_test):
    subject = erp_under_test
    adapter = subject.adapter
    assert adapter.capabilities == subject.expected_capabilities
    assert isinstance(adapter.erp_name, str) and adapter.erp_name
    if any(cap in adapter.capabilities for cap in READ_CAPABILITY.values()):
        assert isinstance(adapter, ChangeReader)
    for entity in readable(subject):
        sweep(adapter, entity)
    if Capability.WRITE_CREDIT_PROFILE in adapter.capabilities:
        assert isinstance(adapter, CreditProfileWriter)
    assert Capability.POST_CASH_APPLICATION not in adapter.capabilities or isinstance(adapter, CashApplicationPoster)


@pytest.mark.parametrize(
    "limits",
    [
        (Decimal("12345678.91"), Decimal("0.01"), Decimal("1000.1234"), Decimal("5000"), None, Decimal("0")),
    ],
)
def test_credit_limits_round_trip_as_exact_decimals(erp_under_test, limits):
    subject = erp_under_test
    for n, limit in enumerate(limits):
        before = current(subject, "C")
        result = subject.adapter.write_credit_profile(a_write(before, f"w-{n}", credit_limit=limit))
        if limit is not None and subject.limit_decimals is not None and -limit.as_tuple().exponent > subject.limit_decimals:
            assert result.outcome is WriteOutcome.REJECTED, f"{limit} would be rounded by the ERP: {result}"
            assert current(subject, "C") == before
            continue
        assert result.outcome is WriteOutcome.APPLIED, result
        read_back = current(subject, "C").credit_limit
        swept = {c.key: c.record for c in sweep(subject.adapter, Entity.CREDIT_PROFILES)[0]}["C"].credit_limit
        for money in (read_back, swept):
            if limit is None:
                assert money is None
            else:
                assert isinstance(money.amount, Decimal) and money.amount == limit and money.currency == "USD"


def test_a_limit_can_be_set_where_there_was_none(erp_under_test):
    subject = erp_under_test
    before = current(subject, "B")
    assert before.credit_limit is None
    write = ProfileWrite(
        "B",
        before.source_version,
        ProfileValues(None, False, "EUR"),
        ProfileValues(Decimal("250.50"), False, "EUR"),
        "w-1",
    )
    assert subject.adapter.write_credit_profile(write).outcome is WriteOutcome.APPLIED
    assert current(subject, "B").credit_limit.amount == Decimal("250.50")
    assert current(subject, "B").credit_limit.currency == "EUR"
