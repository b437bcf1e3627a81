"""The QuickBooks adapter against the QuickBooks simulator over real HTTP (loopback).

What only a whole round trip shows: python-quickbooks' URL shapes and parsing with our session,
token rotation through the real token endpoint, throttles and expired tokens mid-sweep, lost
write answers resolved by requestid, and cash applications posted in batches.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from creditbridge.adapters.quickbooks.client import QuickBooksClient
from creditbridge.adapters.quickbooks.erp import QuickBooksErp
from creditbridge.adapters.quickbooks.ratelimit import RateLimiter
from creditbridge.adapters.quickbooks.reader import QuickBooksChangeReader
from creditbridge.adapters.quickbooks.simulator import QuickBooksSimulator, SimulatorFault
from creditbridge.adapters.quickbooks.tokens import TokenEndpoint, TokenManager
from creditbridge.core.money import Money
from creditbridge.core.ports import (
    CashApplicationPosting,
    Entity,
    ErpUnavailable,
    ProfileValues,
    ProfileWrite,
    WriteOutcome,
    WriteOutcomeUnknown,
)


@pytest.fixture
def sim():
    return QuickBooksSimulator(seed=7, customers=20)


@pytest.fixture
def running(sim):
    with sim.serve(port=0) as running:
        yield running


def make_erp(sim, running, stored: list[str], *, page_size=1000, max_attempts=5, sleeps=None) -> QuickBooksErp:
    endpoint = TokenEndpoint(f"{running.base_url}/oauth2/v1/tokens/bearer", sim.client_id, sim.client_secret)
    tokens = TokenManager(endpoint, lambda: stored[-1], stored.append)
    client = QuickBooksClient(
        sim.realm_id,
        tokens,
        base_url=running.base_url,
        limiter=RateLimiter(),
        max_attempts=max_attempts,
        sleep=(sleeps.append if sleeps is not None else lambda _: None),
    )
    erp = QuickBooksErp(client, page_size=page_size)
    erp.reader = QuickBooksChangeReader(client, erp.storage, page_size=page_size, clock=sim.now)
    return erp


def sweep(erp, entity, since=None):
    changes, token, first = [], None, None
    while True:
        page = erp.read_changes(entity, since, token)
        first = first or page.served_at
        changes += page.changes
        token = page.next_page_token
        if token is None:
            return changes, first


def first_customer(sim) -> str:
    return sorted(sim.entities("Customer"), key=int)[0]


def test_full_load_reads_every_customer_including_inactive_with_rotated_tokens_persisted(sim, running):
    stored = [sim.refresh_token]
    sim.human_delete("Customer", first_customer(sim))  # inactive now
    erp = make_erp(sim, running, stored, page_size=7)
    changes, _ = sweep(erp, Entity.CUSTOMERS)
    assert {c.key for c in changes} == set(sim.entities("Customer"))
    assert len(stored) == 2 and stored[-1] == sim.refresh_token  # rotated and stored before use


def test_every_entity_parses_with_decimal_money(sim, running):
    erp = make_erp(sim, running, [sim.refresh_token])
    for entity in (Entity.OPEN_ITEMS, Entity.PAYMENTS, Entity.CREDIT_PROFILES):
        changes, _ = sweep(erp, entity)
        assert changes, entity
    items, _ = sweep(erp, Entity.OPEN_ITEMS)
    expected = len(sim.entities("Invoice")) + len(sim.entities("CreditMemo"))
    assert len({c.key for c in items}) == expected
    assert all(isinstance(c.record.amount.amount, Decimal) for c in items)


def test_incremental_read_uses_cdc_and_sees_deletions(sim, running):
    erp = make_erp(sim, running, [sim.refresh_token])
    _, cursor = sweep(erp, Entity.OPEN_ITEMS)
    sim.advance(60)
    invoice = sorted(sim.entities("Invoice"), key=int)[0]
    sim.human_delete("Invoice", invoice)
    changes, _ = sweep(erp, Entity.OPEN_ITEMS, since=cursor)
    assert [(c.key, c.deleted) for c in changes] == [(invoice, True)]


def test_a_throttle_mid_sweep_is_waited_out_and_nothing_is_lost(sim, running):
    sleeps: list[float] = []
    erp = make_erp(sim, running, [sim.refresh_token], page_size=5, sleeps=sleeps)
    sim.arm(SimulatorFault.THROTTLE)
    changes, _ = sweep(erp, Entity.CUSTOMERS)
    assert len({c.key for c in changes}) == len(sim.entities("Customer")) and sleeps == [60.0]


def test_throttles_beyond_the_attempts_raise_unavailable_with_retry_after(sim, running):
    erp = make_erp(sim, running, [sim.refresh_token], max_attempts=2)
    sim.arm(SimulatorFault.THROTTLE, times=5)
    with pytest.raises(ErpUnavailable) as caught:
        erp.read_changes(Entity.CUSTOMERS, None)
    assert caught.value.retry_after == 60


def test_expired_access_token_refreshes_once_and_carries_on(sim, running):
    stored = [sim.refresh_token]
    erp = make_erp(sim, running, stored)
    erp.read_changes(Entity.CUSTOMERS, None)
    sim.arm(SimulatorFault.EXPIRE_ACCESS_TOKENS)
    erp.read_changes(Entity.CUSTOMERS, None)
    assert len(stored) == 3 and stored[-1] == sim.refresh_token


def profile_write(erp, cid: str, key: str, limit: str) -> ProfileWrite:
    seen = erp.read_credit_profile(cid)
    expected = ProfileValues(None if seen.credit_limit is None else seen.credit_limit.amount, seen.on_hold, "USD")
    return ProfileWrite(cid, seen.source_version, expected, ProfileValues(Decimal(limit), True, "USD"), key)


def test_write_back_merges_the_tag_into_notes(sim, running):
    erp = make_erp(sim, running, [sim.refresh_token])
    cid = first_customer(sim)
    sim.human_edit("Customer", cid, Notes="Ship only after a call.")
    result = erp.write_credit_profile(profile_write(erp, cid, "w-1", "12500.00"))
    assert result.outcome is WriteOutcome.APPLIED
    notes = sim.entities("Customer")[cid]["Notes"]
    assert notes.startswith("Ship only after a call.\n[creditbridge: limit=12500.00 USD; hold=yes")
    assert erp.read_credit_profile(cid).credit_limit == Money(Decimal("12500.00"), "USD")


def test_stale_synctoken_from_another_field_retries_once(sim, running):
    erp = make_erp(sim, running, [sim.refresh_token])
    cid = first_customer(sim)
    write = profile_write(erp, cid, "w-1", "900")
    sim.arm(SimulatorFault.STALE_ON_NEXT_UPDATE)
    result = erp.write_credit_profile(write)
    assert result.outcome is WriteOutcome.APPLIED and sim.applied_request_ids[-1:] == ["w-1-2"]


def test_lost_answer_is_unknown_and_the_resend_applies_once(sim, running):
    erp = make_erp(sim, running, [sim.refresh_token])
    cid = first_customer(sim)
    write = profile_write(erp, cid, "w-1", "900")
    sim.arm(SimulatorFault.TIMEOUT_AFTER_APPLY)
    with pytest.raises(WriteOutcomeUnknown):
        erp.write_credit_profile(write)
    assert erp.write_credit_profile(write).outcome is WriteOutcome.APPLIED
    assert sim.applied_request_ids.count("w-1") == 1


def test_cash_applications_post_in_batches_and_a_resend_does_not_double_post(sim, running):
    erp = make_erp(sim, running, [sim.refresh_token])
    active = {cid for cid, c in sim.entities("Customer").items() if c.get("Active", True)}
    open_invoices = [
        o
        for o in sim.entities("Invoice").values()
        if Decimal(str(o.get("Balance", 0))) > 0 and o["CustomerRef"]["value"] in active
    ]
    postings = []
    for n in range(35):
        inv = open_invoices[n % len(open_invoices)]
        amount = Money(Decimal("1.00"), "USD")
        postings.append(
            CashApplicationPosting(
                f"p-{n}", inv["CustomerRef"]["value"], date(2026, 1, 5), amount, None, ((inv["Id"], amount),)
            )
        )
    postings.append(CashApplicationPosting("p-bad", "999999", date(2026, 1, 5), Money(Decimal(1), "USD"), None, ()))
    before = len(sim.entities("Payment"))
    results = erp.post_cash_applications(postings)
    assert [r.outcome for r in results[:-1]] == [WriteOutcome.APPLIED] * (len(postings) - 1)
    assert results[-1].outcome is WriteOutcome.REJECTED
    again = erp.post_cash_applications(postings)
    assert [r.erp_reference for r in again] == [r.erp_reference for r in results]
    assert len(sim.entities("Payment")) == before + len(postings) - 1
    batches = [r for r in sim.request_log if r.path.endswith("/batch")]
    assert len(batches) == 4  # 2 batches of <=30, sent twice (the resend answered from the requestid cache)
