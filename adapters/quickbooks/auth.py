"""The one-time consent of `creditbridge connect quickbooks`: authorization URL and redirect parsing.

Why by hand: a desktop/CLI install has no web server to receive Intuit's redirect, so the person
pastes the redirect URL back; we read `code` and `realmId` from it and check `state` against
the one we sent (CSRF protection of the OAuth flow).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlparse

AUTHORIZE_URL = "https://appcenter.intuit.com/connect/oauth2"
ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"


@dataclass(frozen=True, slots=True)
class Consent:
    code: str
    realm_id: str


def new_state() -> str:
    return secrets.token_urlsafe(24)


def authorization_url(client_id: str, redirect_uri: str, state: str, *, base: str = AUTHORIZE_URL) -> str:
    """Where the person signs in to Intuit and picks the company."""
    query = {
        "client_id": client_id,
        "response_type": "code",
        "scope": ACCOUNTING_SCOPE,
        "redirect_uri": redirect_uri,
        "state": state,
    }
    return f"{base}?{urlencode(query)}"


def parse_redirect(url: str, state: str) -> Consent:
    """The code and company of a pasted redirect URL; ValueError naming what is wrong."""
    query = parse_qs(urlparse(url.strip()).query)
    if "error" in query:
        raise ValueError(f"Intuit refused the consent: {query['error'][0]}")
    if query.get("state", [""])[0] != state:
        raise ValueError("the redirect URL is not from this connect attempt (state differs); start again")
    code, realm = query.get("code", [""])[0], query.get("realmId", [""])[0]
    if not code or not realm:
        raise ValueError("the redirect URL has no code or realmId; paste the whole address from the browser")
    return Consent(code=code, realm_id=realm)
