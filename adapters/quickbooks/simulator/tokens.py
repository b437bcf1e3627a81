"""Intuit's OAuth 2.0 token endpoint as a client sees it: authorization codes, bearer tokens that
expire on the simulator clock, and rotating refresh tokens (using one invalidates it)."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime, timedelta
from urllib.parse import parse_qs

from creditbridge.adapters.quickbooks.simulator.clock import SimClock

REFRESH_TOKEN_SECONDS = 8_726_400  # Intuit's x_refresh_token_expires_in (101 days)

Response = tuple[int, dict[str, str], bytes]
_JSON = {"Content-Type": "application/json;charset=UTF-8", "Cache-Control": "no-cache, no-store"}


class TokenIssuer:
    """Holds the client credentials and every live code and token of one simulated app."""

    def __init__(self, clock: SimClock, rng_seed: int, access_token_seconds: int) -> None:
        self._clock = clock
        self.access_token_seconds = access_token_seconds
        self.client_id = f"ABsim{rng_seed:04d}ClientId{secrets.token_hex(8)}"
        self.client_secret = secrets.token_hex(20)
        self._codes: set[str] = set()
        self._access: dict[str, datetime] = {}
        self._refresh: dict[str, datetime] = {}
        self.current_refresh_token = self._new_refresh_token()

    def _new_refresh_token(self) -> str:
        token = "RT1-sim-" + secrets.token_urlsafe(24)
        self._refresh[token] = self._clock.now() + timedelta(seconds=REFRESH_TOKEN_SECONDS)
        self.current_refresh_token = token
        return token

    def authorization_code(self) -> str:
        """What Intuit's /authorize redirect would hand back: a one-time code."""
        code = "AB11sim" + secrets.token_urlsafe(16)
        self._codes.add(code)
        return code

    def issue_access_token(self) -> str:
        token = "eyJsim." + secrets.token_urlsafe(32)
        self._access[token] = self._clock.now() + timedelta(seconds=self.access_token_seconds)
        return token

    def access_token_valid(self, token: str) -> bool:
        expires = self._access.get(token)
        return expires is not None and self._clock.now() < expires

    def expire_access_tokens(self) -> None:
        self._access.clear()

    def handle_token_request(self, headers: dict[str, str], body: bytes) -> Response:
        """POST /oauth2/v1/tokens/bearer with HTTP Basic client auth and a form body."""
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if headers.get("authorization", "").strip() != f"Basic {expected}":
            return _error(401, "invalid_client")
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        grant = form.get("grant_type")
        if grant == "authorization_code":
            code = form.get("code", "")
            if code not in self._codes:
                return _error(400, "invalid_grant")
            self._codes.discard(code)
        elif grant == "refresh_token":
            token = form.get("refresh_token", "")
            expires = self._refresh.pop(token, None)  # rotation: the used token is gone either way
            if expires is None or self._clock.now() >= expires:
                return _error(400, "invalid_grant")
        else:
            return _error(400, "unsupported_grant_type")
        payload = {
            "token_type": "bearer",
            "access_token": self.issue_access_token(),
            "expires_in": self.access_token_seconds,
            "refresh_token": self._new_refresh_token(),
            "x_refresh_token_expires_in": REFRESH_TOKEN_SECONDS,
        }
        return 200, dict(_JSON), json.dumps(payload).encode()


def _error(status: int, error: str) -> Response:
    return status, dict(_JSON), json.dumps({"error": error}).encode()
