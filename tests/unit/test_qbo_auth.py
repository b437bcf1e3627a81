"""The connect flow's URL handling and the stored credentials' shape."""

from __future__ import annotations

import pytest

from creditbridge.adapters.quickbooks.auth import authorization_url, parse_redirect
from creditbridge.adapters.quickbooks.credentials import Credentials, endpoints


def test_authorization_url_asks_for_accounting_with_our_state():
    url = authorization_url("cid", "https://example.test/cb", "s1")
    assert "scope=com.intuit.quickbooks.accounting" in url and "state=s1" in url and "response_type=code" in url


def test_a_pasted_redirect_gives_code_and_company():
    consent = parse_redirect("https://example.test/cb?code=AB12&state=s1&realmId=9341453050000000", "s1")
    assert (consent.code, consent.realm_id) == ("AB12", "9341453050000000")


@pytest.mark.parametrize(
    "url",
    [
        "https://example.test/cb?code=AB12&state=other&realmId=1",
        "https://example.test/cb?state=s1&realmId=1",
        "https://example.test/cb?error=access_denied&state=s1",
    ],
)
def test_a_wrong_redirect_is_refused(url):
    with pytest.raises(ValueError):
        parse_redirect(url, "s1")


def test_credentials_round_trip_and_rotate():
    creds = Credentials("id", "secret", "rt-1", "123")
    assert Credentials.from_json(creds.to_json()).rotated("rt-2") == Credentials("id", "secret", "rt-2", "123")
    assert endpoints("sandbox")[0] == "https://sandbox-quickbooks.api.intuit.com"
    assert endpoints("production", "http://127.0.0.1:9/") == (
        "http://127.0.0.1:9",
        "http://127.0.0.1:9/oauth2/v1/tokens/bearer",
    )
