"""Compare-and-set write-back on a QuickBooks Customer: stale SyncTokens, lost answers, replays.

The fake below is the smallest stateful QuickBooks that matters here: a customer with a
SyncToken (5010 when stale), sparse updates, and a requestid replay cache.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses

from creditbridge.adapters.quickbooks.client import QuickBooksClient
from creditbridge.adapters.quickbooks.ratelimit import RateLimiter
from creditbridge.adapters.quickbooks.storage import Storage
from creditbridge.adapters.quickbooks.tokens import TokenEndpoint, TokenManager
from creditbridge.adapters.quickbooks.writer import QuickBooksProfileWriter
from creditbridge.core.ports import ProfileValues, ProfileWrite, WriteOutcome, WriteOutcomeUnknown

BASE = "http://qbo.test"
REALM = "1"
STALE = {
    "Fault": {"Error": [{"Message": "Stale Object Error", "Detail": "x", "code": "5010"}], "type": "ValidationFault"}
}


class FakeCustomer:
    def __init__(self) -> None:
        self.obj = {"Id": "7", "SyncToken": "0", "DisplayName": "Amy", "Notes": "Call first.", "Active": True}
        self.cache: dict[str, str] = {}
        self.applied: list[str] = []
        self.lose_next = False

    def human_edit(self, **fields) -> None:
        self.obj = {**self.obj, **fields, "SyncToken": str(int(self.obj["SyncToken"]) + 1)}

    def read(self, request):
        return 200, {}, json.dumps({"Customer": self.obj, "time": "2026-11-23T00:00:00Z"})

    def update(self, request):
        rid = parse_qs(urlparse(request.url).query)["requestid"][0]
        if rid in self.cache:
            return 200, {}, self.cache[rid]
        body = json.loads(request.body)
        if body["SyncToken"] != self.obj["SyncToken"]:
            return 400, {}, json.dumps(STALE)
        fields = {k: v for k, v in body.items() if k not in ("Id", "SyncToken", "sparse")}
        self.human_edit(**fields)
        self.applied.append(rid)
        self.cache[rid] = json.dumps({"Customer": self.obj, "time": "2026-11-23T00:00:00Z"})
        if self.lose_next:
            self.lose_next = False
            raise requests.ReadTimeout("answer lost")
        return 200, {}, self.cache[rid]


@pytest.fixture
def fake():
    customer = FakeCustomer()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, f"{BASE}/oauth2/v1/tokens/bearer", json={"access_token": "a", "refresh_token": "r"})
        mock.add_callback(responses.GET, f"{BASE}/v3/company/{REALM}/customer/7", callback=lambda r: customer.read(r))
        mock.add_callback(responses.POST, f"{BASE}/v3/company/{REALM}/customer", callback=lambda r: customer.update(r))
        yield customer


@pytest.fixture
def writer():
    tokens = TokenManager(TokenEndpoint(f"{BASE}/oauth2/v1/tokens/bearer", "i", "s"), lambda: "r", lambda _: None)
    client = QuickBooksClient(REALM, tokens, base_url=BASE, limiter=RateLimiter(), sleep=lambda _: None)
    return QuickBooksProfileWriter(client, Storage(), today=lambda: date(2026, 11, 23))


def a_write(writer, key: str, limit: str, *, hold: bool = False) -> ProfileWrite:
    seen = writer.read_credit_profile("7")
    expected = ProfileValues(None if seen.credit_limit is None else seen.credit_limit.amount, seen.on_hold, "USD")
    return ProfileWrite("7", seen.source_version, expected, ProfileValues(Decimal(limit), hold, "USD"), key)


def test_applies_by_sparse_update_keeping_the_notes(fake, writer):
    result = writer.write_credit_profile(a_write(writer, "w-1", "5000.00", hold=True))
    assert result.outcome is WriteOutcome.APPLIED and result.current.credit_limit.amount == Decimal("5000.00")
    assert fake.obj["Notes"] == "Call first.\n[creditbridge: limit=5000.00 USD; hold=yes; updated=2026-11-23]"
    assert fake.obj["DisplayName"] == "Amy" and fake.applied == ["w-1"]


def test_stale_synctoken_with_only_other_fields_changed_retries_once_with_a_derived_requestid(fake, writer):
    write = a_write(writer, "w-1", "5000.00")
    original_read = fake.read
    calls = {"n": 0}

    def read_then_someone_saves(request):
        answer = original_read(request)
        calls["n"] += 1
        if calls["n"] == 1:
            fake.human_edit(DisplayName="Amy's Birds")  # saved between our read and our update
        return answer

    fake.read = read_then_someone_saves
    result = writer.write_credit_profile(write)
    assert result.outcome is WriteOutcome.APPLIED and fake.applied == ["w-1-2"]
    assert fake.obj["DisplayName"] == "Amy's Birds" and "limit=5000.00" in fake.obj["Notes"]


def test_a_person_changing_our_tag_is_a_conflict_and_nothing_is_written(fake, writer):
    write = a_write(writer, "w-1", "5000.00")
    fake.human_edit(Notes="[creditbridge: limit=100.00 USD; hold=no]")
    result = writer.write_credit_profile(write)
    assert result.outcome is WriteOutcome.CONFLICT and fake.applied == []
    assert result.current.credit_limit.amount == Decimal("100.00")


def test_lost_answer_is_unknown_and_the_resend_does_not_apply_twice(fake, writer):
    write = a_write(writer, "w-1", "5000.00")
    fake.lose_next = True
    with pytest.raises(WriteOutcomeUnknown):
        writer.write_credit_profile(write)
    result = writer.write_credit_profile(write)
    assert result.outcome is WriteOutcome.APPLIED and fake.applied == ["w-1"]


def test_a_replay_after_a_human_edit_returns_the_first_answer_and_keeps_the_edit(fake, writer):
    write = a_write(writer, "w-1", "5000.00")
    writer.write_credit_profile(write)
    fake.human_edit(Notes="[creditbridge: limit=100.00 USD; hold=no]")
    assert writer.write_credit_profile(write).outcome is WriteOutcome.APPLIED
    assert "limit=100.00" in fake.obj["Notes"] and fake.applied == ["w-1"]


def test_a_negative_limit_is_rejected(fake, writer):
    assert writer.write_credit_profile(a_write(writer, "w-1", "-1")).outcome is WriteOutcome.REJECTED
