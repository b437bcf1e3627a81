"""Reading QuickBooks changes: keyset query sweeps that never skip, CDC with tombstones, CDC cap fallback."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import responses

from creditbridge.adapters.quickbooks.client import QuickBooksClient
from creditbridge.adapters.quickbooks.ratelimit import RateLimiter
from creditbridge.adapters.quickbooks.reader import QuickBooksChangeReader
from creditbridge.adapters.quickbooks.storage import Storage
from creditbridge.adapters.quickbooks.tokens import TokenEndpoint, TokenManager
from creditbridge.core.ports import Entity

BASE = "http://qbo.test"
REALM = "1"
T0 = datetime(2026, 11, 1, tzinfo=UTC)
NOW = T0 + timedelta(days=2)


class FakeCompany:
    """Customers with stamps; answers the query subset and CDC the reader sends."""

    def __init__(self, n: int) -> None:
        self.rows = {str(i): self.row(str(i), T0) for i in range(1, n + 1)}
        self.deleted: dict[str, datetime] = {}
        self.queries: list[str] = []
        self.cdc_calls = 0
        self.on_query = None

    @staticmethod
    def row(cid: str, at: datetime, sync: int = 0) -> dict:
        stamp = at.isoformat()
        return {"Id": cid, "SyncToken": str(sync), "DisplayName": f"C{cid}", "MetaData": {"LastUpdatedTime": stamp}}

    def edit(self, cid: str, at: datetime) -> None:
        self.rows[cid] = self.row(cid, at, int(self.rows[cid]["SyncToken"]) + 1)

    def query(self, request):
        sql = request.body if isinstance(request.body, str) else request.body.decode()
        self.queries.append(sql)
        found = re.search(r">= '([^']+)'", sql)
        lower = datetime.fromisoformat(found.group(1)) if found else None
        start = int(re.search(r"STARTPOSITION (\d+)", sql).group(1))
        size = int(re.search(r"MAXRESULTS (\d+)", sql).group(1))
        rows = sorted(self.rows.values(), key=lambda r: (r["MetaData"]["LastUpdatedTime"], int(r["Id"])))
        rows = [r for r in rows if lower is None or datetime.fromisoformat(r["MetaData"]["LastUpdatedTime"]) >= lower]
        page = rows[start - 1 : start - 1 + size]
        if self.on_query:
            self.on_query(len(self.queries))
        return 200, {}, json.dumps({"QueryResponse": {"Customer": page} if page else {}, "time": NOW.isoformat()})

    def cdc(self, request):
        self.cdc_calls += 1
        since = datetime.fromisoformat(parse_qs(urlparse(request.url).query)["changedSince"][0])
        live = [r for r in self.rows.values() if datetime.fromisoformat(r["MetaData"]["LastUpdatedTime"]) >= since]
        gone = [
            {"Id": k, "status": "Deleted", "MetaData": {"LastUpdatedTime": at.isoformat()}}
            for k, at in self.deleted.items()
            if at >= since
        ]
        objs = (live + gone)[:1000]
        body = {"CDCResponse": [{"QueryResponse": [{"Customer": objs}] if objs else [{}]}], "time": NOW.isoformat()}
        return 200, {}, json.dumps(body)


def make_reader(company: FakeCompany, page_size: int):
    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    mock.start()
    mock.add(responses.POST, f"{BASE}/oauth2/v1/tokens/bearer", json={"access_token": "a", "refresh_token": "r"})
    mock.add_callback(responses.POST, f"{BASE}/v3/company/{REALM}/query", callback=lambda r: company.query(r))
    mock.add_callback(responses.GET, f"{BASE}/v3/company/{REALM}/cdc", callback=lambda r: company.cdc(r))
    tokens = TokenManager(TokenEndpoint(f"{BASE}/oauth2/v1/tokens/bearer", "i", "s"), lambda: "r", lambda _: None)
    client = QuickBooksClient(REALM, tokens, base_url=BASE, limiter=RateLimiter(), sleep=lambda _: None)
    return mock, QuickBooksChangeReader(client, Storage(), page_size=page_size, clock=lambda: NOW)


@pytest.fixture
def run():
    started = []

    def build(company, page_size=3):
        mock, reader = make_reader(company, page_size)
        started.append(mock)
        return reader

    yield build
    for mock in started:
        mock.stop()
        mock.reset()


def sweep(reader, entity=Entity.CUSTOMERS, since=None):
    keys, token, pages = [], None, 0
    while True:
        page = reader.read_changes(entity, since, token)
        keys += [c.key for c in page.changes]
        pages += 1
        token = page.next_page_token
        if token is None:
            return keys, pages, page


def test_full_sweep_reads_inactive_too_and_every_record_once(run):
    company = FakeCompany(7)
    keys, pages, last = sweep(run(company))
    assert sorted(keys, key=int) == [str(i) for i in range(1, 8)] and pages == 3
    assert "Active IN (true, false)" in company.queries[0]
    assert "ORDERBY MetaData.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 3" in company.queries[0]
    assert last.served_at == NOW


def test_a_record_edited_mid_sweep_does_not_make_the_sweep_skip_another(run):
    company = FakeCompany(7)

    def edit_after_first_page(n):
        if n == 1:
            company.edit("1", T0 + timedelta(hours=1))

    company.on_query = edit_after_first_page
    keys, _, _ = sweep(run(company))
    assert set(keys) == {str(i) for i in range(1, 8)}
    assert keys.count("1") == 2  # read again at its new stamp; nobody behind it skipped


def test_more_records_at_one_stamp_than_a_page_still_terminate_and_skip_nothing(run):
    company = FakeCompany(10)
    keys, _, _ = sweep(run(company, page_size=2))
    assert sorted(set(keys), key=int) == [str(i) for i in range(1, 11)]


def test_cdc_serves_recent_changes_with_tombstones_and_an_inclusive_cursor(run):
    company = FakeCompany(5)
    cursor = T0 + timedelta(hours=1)
    company.edit("2", cursor)  # stamped exactly at the cursor: read again
    company.edit("3", cursor + timedelta(minutes=5))
    company.deleted["4"] = cursor + timedelta(minutes=6)
    reader = run(company)
    page = reader.read_changes(Entity.CUSTOMERS, cursor)
    assert [(c.key, c.deleted) for c in page.changes] == [("2", False), ("3", False), ("4", True)]
    assert page.next_page_token is None and company.cdc_calls == 1 and company.queries == []


def test_a_capped_cdc_answer_falls_back_to_a_sweep_that_skips_nothing(run):
    company = FakeCompany(1200)
    since = T0 - timedelta(minutes=1)
    reader = run(company, page_size=1000)
    keys, pages, _ = sweep(reader, since=since)
    assert reader.cdc_fallbacks == 1 and len(set(keys)) == 1200 and pages == 2


def test_a_cursor_older_than_29_days_uses_a_query_sweep(run):
    company = FakeCompany(3)
    keys, _, _ = sweep(run(company), since=NOW - timedelta(days=40))
    assert company.cdc_calls == 0 and sorted(keys) == ["1", "2", "3"]


def test_a_token_of_another_sweep_is_refused(run):
    reader = run(FakeCompany(7))
    token = reader.read_changes(Entity.CUSTOMERS, None).next_page_token
    with pytest.raises(ValueError):
        reader.read_changes(Entity.CREDIT_PROFILES, None, token)
