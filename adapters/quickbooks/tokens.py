"""OAuth 2.0 tokens for one QuickBooks company: refresh single-flight, rotation persisted first.

Why not intuit-oauth's AuthClient: its constructor fetches Intuit's discovery document over the
network, so every test (and every offline start) would need a live GET. The token endpoint is a
single form POST with HTTP Basic client auth, so we call it with `requests` directly.

Why a lock and a "seen" token: ten threads that all get a 401 must cause one refresh, not ten
(a second refresh with the already-rotated refresh token is refused by Intuit as `invalid_grant`,
python-quickbooks #272/#397). Why persist before use: if the process dies after Intuit rotated
the refresh token but before we stored it, the company is disconnected for good.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from creditbridge.core.ports import ErpAuthError, ErpUnavailable

PRODUCTION_TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
RECONNECT = "reconnect with `creditbridge connect quickbooks --connection {name}`"
TIMEOUT = (5, 60)


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: float  # time.monotonic() when the access token stops working (less a margin)


class TokenEndpoint:
    """Intuit's token endpoint (production, sandbox or the simulator: same URL shape)."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        connection: str = "NAME",
        http: requests.Session | None = None,
    ) -> None:
        self.token_url = token_url
        self._http = http or requests.Session()
        self._auth = (client_id, client_secret)
        self._connection = connection

    def exchange_code(self, code: str, redirect_uri: str) -> Tokens:
        """Trade the authorization code of the redirect for the first token pair."""
        return self._post({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})

    def refresh(self, refresh_token: str) -> Tokens:
        """A new access token and (possibly rotated) refresh token."""
        return self._post({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def _post(self, form: dict[str, str]) -> Tokens:
        try:
            response = self._http.post(
                self.token_url, data=form, auth=self._auth, headers={"Accept": "application/json"}, timeout=TIMEOUT
            )
        except requests.RequestException as exc:
            raise ErpUnavailable(f"the QuickBooks token endpoint did not answer: {type(exc).__name__}") from None
        body: dict[str, Any] = {}
        try:
            parsed = response.json()
            body = parsed if isinstance(parsed, dict) else {}
        except ValueError:
            pass
        if response.status_code >= 500 or response.status_code == 429:
            raise ErpUnavailable(f"the QuickBooks token endpoint answered {response.status_code}", retry_after=60)
        if response.status_code != 200 or "access_token" not in body:
            error = str(body.get("error", f"HTTP {response.status_code}"))
            raise ErpAuthError(
                f"QuickBooks refused the credentials ({error}): " + RECONNECT.format(name=self._connection)
            )
        expires_in = float(body.get("expires_in", 3600))
        return Tokens(
            access_token=str(body["access_token"]),
            refresh_token=str(body.get("refresh_token") or form.get("refresh_token", "")),
            expires_at=time.monotonic() + max(expires_in - 60, 0),
        )


class TokenManager:
    """The access token of one company, refreshed one at a time; the refresh token kept by `save`.

    `load()` returns the stored refresh token; `save(token)` stores a rotated one (encrypted, in
    the store) and is called before the new access token is handed to anyone.
    """

    def __init__(
        self,
        endpoint: TokenEndpoint,
        load: Callable[[], str],
        save: Callable[[str], None],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._endpoint = endpoint
        self._load = load
        self._save = save
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: Tokens | None = None
        self.refresh_count = 0

    def access_token(self) -> str:
        """A valid access token, refreshing first if there is none or it has expired."""
        tokens = self._tokens
        if tokens is not None and self._clock() < tokens.expires_at:
            return tokens.access_token
        return self.refresh(seen=None if tokens is None else tokens.access_token)

    def refresh(self, seen: str | None) -> str:
        """Refresh unless another thread already replaced the access token `seen` (single-flight)."""
        with self._lock:
            current = self._tokens
            if current is not None and current.access_token != seen and self._clock() < current.expires_at:
                return current.access_token
            fresh = self._endpoint.refresh(self._load())
            self.refresh_count += 1
            self._save(fresh.refresh_token)  # persisted before the new access token is used
            self._tokens = fresh
            return fresh.access_token
