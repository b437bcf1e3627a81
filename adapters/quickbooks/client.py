"""One QuickBooks company as a python-quickbooks client, with errors translated at the boundary.

Why wrap python-quickbooks: it gives the URL shapes, minorversion and Decimal parsing, but has a
process-global mode, no timeouts and no retry classification. Here the client is built per
company with `minorversion` pinned and `use_decimal=True`, its session is ours (transport.py),
and every vendor exception leaves as a `core.ports` error or a `QuickBooksFault` (a business
refusal the writer turns into REJECTED/CONFLICT). Retries (tenacity) cover reads and writes that
carry a `requestid` only, bounded in attempts and time, waiting what the ERP asked for.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from quickbooks import QuickBooks
from quickbooks import exceptions as qbx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, stop_after_delay

from creditbridge.adapters.quickbooks.ratelimit import RateLimiter, limiter_for
from creditbridge.adapters.quickbooks.tokens import RECONNECT, TokenManager
from creditbridge.adapters.quickbooks.transport import QuickBooksSession
from creditbridge.core.ports import ErpAuthError, ErpConfigError, ErpUnavailable

MINOR_VERSION = 75
PRODUCTION_API = "https://quickbooks.api.intuit.com"
SANDBOX_API = "https://sandbox-quickbooks.api.intuit.com"
STALE_OBJECT = 5010
NOT_FOUND = 610

T = TypeVar("T")


class QuickBooksFault(Exception):
    """QuickBooks refused a request for a business reason (a Fault with a code): not retriable."""

    def __init__(self, code: int, message: str, detail: str = "") -> None:
        super().__init__(f"QuickBooks error {code}: {message} {detail}".strip())
        self.code, self.message, self.detail = code, message, detail


class _PinnedQuickBooks(QuickBooks):  # type: ignore[misc]
    """python-quickbooks with the API base URL chosen by us (production, sandbox or a simulator)."""

    base_url = PRODUCTION_API

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v3"


def _wait(state: RetryCallState, base: Callable[[int], float]) -> float:
    exc = state.outcome.exception() if state.outcome is not None else None
    hinted = exc.retry_after if isinstance(exc, ErpUnavailable) and exc.retry_after is not None else 0.0
    return max(min(hinted, 300.0), base(state.attempt_number))


class QuickBooksClient:
    """Requests to one company; JSON in and out as dicts (money as Decimal)."""

    def __init__(
        self,
        realm_id: str,
        tokens: TokenManager,
        *,
        base_url: str = PRODUCTION_API,
        limiter: RateLimiter | None = None,
        max_attempts: int = 5,
        max_seconds: float = 600.0,
        sleep: Callable[[float], None] = time.sleep,
        connection: str = "NAME",
        http: requests.Session | None = None,
    ) -> None:
        self.realm_id = realm_id
        self.tokens = tokens
        self.session = QuickBooksSession(tokens, limiter or limiter_for(realm_id), http)
        qb = _PinnedQuickBooks(company_id=realm_id, minorversion=MINOR_VERSION, use_decimal=True)
        qb.base_url = base_url.rstrip("/")
        qb.session = self.session
        self._qb = qb
        self._max_attempts, self._max_seconds, self._sleep = max_attempts, max_seconds, sleep
        self._connection = connection

    @property
    def calls(self) -> int:
        """HTTP requests sent so far (for the benchmark)."""
        return self.session.calls

    def company_url(self, path: str) -> str:
        return f"{self._qb.api_url}/company/{self.realm_id}/{path}"

    # --- operations ------------------------------------------------------------------------------

    def query(self, select: str) -> dict[str, Any]:
        return self._call(lambda: self._qb.query(select), idempotent=True)

    def cdc(self, entities: str, changed_since: str) -> dict[str, Any]:
        return self._call(lambda: self._qb.change_data_capture(entities, changed_since), idempotent=True)

    def read(self, entity: str, entity_id: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        url = self.company_url(f"{entity.lower()}/{entity_id}")
        return self._call(lambda: self._qb.get(url, params=dict(params or {})), idempotent=True)

    def post(
        self, path: str, body: dict[str, Any], *, request_id: str | None, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """A create/sparse update/batch; retried only when `request_id` makes a resend safe."""
        url, data = self.company_url(path), json.dumps(body, default=str)
        return self._call(
            lambda: self._qb.post(url, data, request_id=request_id, params=dict(params or {})),
            idempotent=request_id is not None,
        )

    # --- retries, refresh and translation --------------------------------------------------------

    def _call(self, operation: Callable[[], Any], *, idempotent: bool) -> dict[str, Any]:
        def attempt() -> dict[str, Any]:
            result = self._with_refresh(operation)
            if not isinstance(result, dict):
                raise ErpUnavailable("QuickBooks answered something other than a JSON object")
            return result

        if not idempotent:
            return attempt()
        retrying = Retrying(
            retry=retry_if_exception_type(ErpUnavailable),
            stop=stop_after_attempt(self._max_attempts) | stop_after_delay(self._max_seconds),
            wait=lambda state: _wait(state, lambda n: min(2.0 ** (n - 1), 30.0)),
            sleep=self._sleep,
            reraise=True,
        )
        return retrying(attempt)

    def _with_refresh(self, operation: Callable[[], Any]) -> Any:
        """One call; a 401 refreshes the token once (single-flight) and retries, a second 401 is fatal."""
        seen = self.tokens.access_token()
        try:
            return self._translated(operation)
        except _Unauthorized:
            self.tokens.refresh(seen=seen)
        try:
            return self._translated(operation)
        except _Unauthorized:
            raise ErpAuthError(
                "QuickBooks refused a freshly refreshed access token: " + RECONNECT.format(name=self._connection)
            ) from None

    def _translated(self, operation: Callable[[], Any]) -> Any:
        try:
            return operation()
        except qbx.AuthorizationException as exc:
            if exc.error_code == 401:
                raise _Unauthorized from None
            raise ErpAuthError(f"QuickBooks refused access ({exc.error_code}): {exc.message}") from exc
        except qbx.QuickbooksException as exc:
            raise translate(exc) from exc


class _Unauthorized(Exception):
    """A 401: the access token expired or was revoked."""


def translate(exc: qbx.QuickbooksException) -> Exception:
    """The core error (or a QuickBooksFault) for a python-quickbooks exception."""
    text = f"{exc.message} {exc.detail or ''}"
    code = int(exc.error_code or 0)
    if "ThrottleExceeded" in text or code == 3001:
        return ErpUnavailable("QuickBooks throttled the request (ThrottleExceeded)", retry_after=60.0)
    if code == 10000:  # not JSON / unexpected status: the transport already caught 429 and 5xx
        return ErpUnavailable(f"QuickBooks answered something unreadable: {exc.message[:200]}")
    if code == 6190 or (100 <= code < 500 and code != 120):
        return ErpConfigError(f"QuickBooks refused the request ({code}): {exc.message}")
    return QuickBooksFault(code, str(exc.message), str(exc.detail or ""))
