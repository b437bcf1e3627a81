"""The `session` python-quickbooks sends every request through, replaced by ours.

Why: python-quickbooks passes no timeout, swallows the HTTP status and Retry-After, and turns
Intuit's XML throttle body into "Error reading json response" (code 10000). Here, before the
library parses anything, every call gets a bearer token, (connect 5 s, read 60 s) timeouts, a
slot of the company's rate limit, and throttles / 5xx / connection errors become `ErpUnavailable`;
a timeout on a POST becomes `WriteOutcomeUnknown` (it may have been applied).
"""

from __future__ import annotations

from typing import Any

import requests

from creditbridge.adapters.quickbooks.ratelimit import RateLimiter
from creditbridge.adapters.quickbooks.tokens import TokenManager
from creditbridge.core.ports import ErpUnavailable, WriteOutcomeUnknown

TIMEOUT = (5, 60)
THROTTLE_WAIT = 60.0
THROTTLE_MARKERS = ("ThrottleExceeded", 'code="3001"', "errorCode=003001")


def is_throttle(status: int, text: str) -> bool:
    """429, or Intuit's throttle Fault in any status/content type (older throttles came as 403)."""
    return status == 429 or any(marker in text for marker in THROTTLE_MARKERS)


def retry_after(headers: Any) -> float:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return float(value) if value is not None else THROTTLE_WAIT
    except ValueError:
        return THROTTLE_WAIT


class QuickBooksSession:
    """What python-quickbooks needs of a session (`access_token`, `request`), with our rules."""

    def __init__(self, tokens: TokenManager, limiter: RateLimiter, http: requests.Session | None = None) -> None:
        self._tokens = tokens
        self._limiter = limiter
        self._http = http or requests.Session()
        self.calls = 0

    @property
    def access_token(self) -> str:
        return self._tokens.access_token()

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        write = method.upper() != "GET" and not url.rstrip("/").endswith(("/query", "/cdc"))
        with self._limiter.slot(batch=url.rstrip("/").endswith("/batch")):
            self.calls += 1
            try:
                response = self._http.request(method, url, timeout=TIMEOUT, **kwargs)
            except requests.Timeout as exc:
                if write:
                    raise WriteOutcomeUnknown(
                        f"QuickBooks did not answer a {method} in time: the write may or may not have been applied"
                    ) from exc
                raise ErpUnavailable(f"QuickBooks did not answer in time ({type(exc).__name__})") from exc
            except requests.ConnectionError as exc:
                if write and not _never_sent(exc):
                    raise WriteOutcomeUnknown(
                        f"the connection to QuickBooks broke during a {method}: the write may have been applied"
                    ) from exc
                raise ErpUnavailable(f"QuickBooks could not be reached ({type(exc).__name__})") from exc
        status, text = response.status_code, response.text
        if is_throttle(status, text):
            raise ErpUnavailable("QuickBooks throttled the request (ThrottleExceeded)", retry_after(response.headers))
        if status >= 500:
            after = response.headers.get("Retry-After")
            raise ErpUnavailable(f"QuickBooks answered HTTP {status}", retry_after(response.headers) if after else None)
        return response


def _never_sent(exc: requests.ConnectionError) -> bool:
    """A connect failure (refused, DNS, connect timeout): the request never reached QuickBooks."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    text = repr(exc)
    return any(marker in text for marker in ("NewConnectionError", "NameResolutionError", "Connection refused"))
