"""Transport rules of the QuickBooks client: throttles, bounded retries, single-flight token refresh."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import requests
import responses

from creditbridge.adapters.quickbooks.client import QuickBooksClient
from creditbridge.adapters.quickbooks.ratelimit import RateLimiter
from creditbridge.adapters.quickbooks.tokens import TokenEndpoint, TokenManager
from creditbridge.core.ports import ErpAuthError, ErpUnavailable, WriteOutcomeUnknown

BASE = "http://qbo.test"
TOKEN_URL = f"{BASE}/oauth2/v1/tokens/bearer"
REALM = "9341453050000000"
QUERY_URL = f"{BASE}/v3/company/{REALM}/query"
_BESIDE = Path(__file__).resolve().parents[3] / "shared"  # where CI lays shared/, else the dev machines' copy
THROTTLE_XML = ((_BESIDE if _BESIDE.is_dir() else Path("/work/shared")) / "samples" / "quickbooks" / "throttle_429_body.xml").read_text()
EMPTY = {"QueryResponse": {}, "time": "2026-11-23T08:00:00-08:00"}


class TokenServer:
    """Intuit's token endpoint with rotation: every refresh token works once."""

    def __init__(self) -> None:
        self.valid = {"rt-0"}
        self.n = 0
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, request):
        form = parse_qs(request.body)
        with self.lock:
            self.calls += 1
            token = form["refresh_token"][0]
            if token not in self.valid:
                return 400, {}, json.dumps({"error": "invalid_grant"})
            self.valid.discard(token)
            self.n += 1
            self.valid.add(f"rt-{self.n}")
            body = {"access_token": f"at-{self.n}", "refresh_token": f"rt-{self.n}", "expires_in": 3600}
        return 200, {}, json.dumps(body)


@pytest.fixture
def server():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        tokens = TokenServer()
        mock.add_callback(responses.POST, TOKEN_URL, callback=tokens)
        yield mock, tokens


def make_client(stored: list[str], sleeps: list[float] | None = None, **kwargs) -> QuickBooksClient:
    manager = TokenManager(TokenEndpoint(TOKEN_URL, "id", "secret"), lambda: stored[-1], stored.append)
    return QuickBooksClient(
        REALM,
        manager,
        base_url=BASE,
        limiter=RateLimiter(),
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
        **kwargs,
    )


def test_xml_429_is_unavailable_with_60_seconds_and_retries_are_bounded(server):
    mock, _ = server
    mock.add(responses.POST, QUERY_URL, body=THROTTLE_XML, status=429, content_type="application/xml")
    sleeps: list[float] = []
    client = make_client(["rt-0"], sleeps, max_attempts=3)
    with pytest.raises(ErpUnavailable) as caught:
        client.query("SELECT * FROM Customer")
    assert caught.value.retry_after == 60
    assert len([c for c in mock.calls if c.request.url.startswith(QUERY_URL)]) == 3
    assert sleeps == [60.0, 60.0]


def test_a_throttle_then_success_returns_the_answer_and_honours_retry_after(server):
    mock, _ = server
    mock.add(responses.POST, QUERY_URL, body="busy", status=503, headers={"Retry-After": "7"})
    mock.add(responses.POST, QUERY_URL, json=EMPTY)
    sleeps: list[float] = []
    assert make_client(["rt-0"], sleeps).query("SELECT * FROM Customer")["time"] == EMPTY["time"]
    assert sleeps == [7.0]


def test_requests_carry_minorversion_bearer_and_requestid(server):
    mock, _ = server
    mock.add(responses.POST, f"{BASE}/v3/company/{REALM}/customer", json={"Customer": {"Id": "1"}})
    make_client(["rt-0"]).post("customer", {"Id": "1"}, request_id="w-1")
    call = next(c for c in mock.calls if "/customer" in c.request.url)
    assert "minorversion=75" in call.request.url and "requestid=w-1" in call.request.url
    assert call.request.headers["Authorization"] == "Bearer at-1"


def test_a_write_without_requestid_is_not_retried(server):
    mock, _ = server
    mock.add(responses.POST, f"{BASE}/v3/company/{REALM}/customer", body="oops", status=500)
    with pytest.raises(ErpUnavailable):
        make_client(["rt-0"]).post("customer", {"Id": "1"}, request_id=None)
    assert len([c for c in mock.calls if "/customer" in c.request.url]) == 1


def test_a_timeout_on_a_write_is_outcome_unknown_and_not_retried(server):
    mock, _ = server
    mock.add(responses.POST, f"{BASE}/v3/company/{REALM}/customer", body=requests.ReadTimeout("slow"))
    with pytest.raises(WriteOutcomeUnknown):
        make_client(["rt-0"]).post("customer", {"Id": "1"}, request_id="w-1")
    assert len([c for c in mock.calls if "/customer" in c.request.url]) == 1


def test_401_refreshes_once_and_persists_the_rotated_token_before_using_it(server):
    mock, tokens = server
    mock.add(responses.POST, QUERY_URL, body="Unauthorized", status=401)
    mock.add(responses.POST, QUERY_URL, json=EMPTY)
    stored = ["rt-0"]
    client = make_client(stored)
    client.query("SELECT * FROM Customer")
    assert stored == ["rt-0", "rt-1", "rt-2"]  # first token, then the rotation after the 401
    second = [c for c in mock.calls if c.request.url.startswith(QUERY_URL)][-1]
    assert second.request.headers["Authorization"] == "Bearer at-2"
    assert tokens.valid == {"rt-2"}  # the old refresh token is refused from now on


def test_a_second_401_after_refresh_is_an_auth_error(server):
    mock, _ = server
    mock.add(responses.POST, QUERY_URL, body="Unauthorized", status=401)
    with pytest.raises(ErpAuthError, match="creditbridge connect quickbooks"):
        make_client(["rt-0"]).query("SELECT * FROM Customer")


def test_invalid_grant_asks_to_reconnect_and_never_loops(server):
    _, tokens = server
    with pytest.raises(ErpAuthError, match=r"invalid_grant.*creditbridge connect quickbooks"):
        make_client(["rt-stale"]).query("SELECT * FROM Customer")
    assert tokens.calls == 1


def test_ten_threads_hitting_401_at_once_cause_one_refresh(server):
    _, tokens = server
    stored = ["rt-0"]
    manager = TokenManager(TokenEndpoint(TOKEN_URL, "id", "secret"), lambda: stored[-1], stored.append)
    old = manager.access_token()
    barrier = threading.Barrier(10)
    seen: list[str] = []

    def worker() -> None:
        barrier.wait()
        seen.append(manager.refresh(seen=old))

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert tokens.calls == 2  # the first token, then exactly one refresh for all ten
    assert set(seen) == {"at-2"} and stored == ["rt-0", "rt-1", "rt-2"]


def test_the_rate_limiter_waits_for_room_in_the_minute():
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(per_minute=3, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        with limiter.slot():
            pass
    assert waits == [60.0]
