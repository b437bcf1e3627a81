"""What `creditbridge connect quickbooks` stores (encrypted, in the store) for one company.

Why one JSON secret and not several: the client secret, the company and the rotating refresh
token are replaced together by a reconnect, and a rotation rewrites the whole value in one
transaction, so a reader never sees a refresh token of one consent with the company of another.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace

PRODUCTION = {
    "api": "https://quickbooks.api.intuit.com",
    "token": "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
}
SANDBOX = {
    "api": "https://sandbox-quickbooks.api.intuit.com",
    "token": "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
}


@dataclass(frozen=True, slots=True)
class Credentials:
    client_id: str
    client_secret: str
    refresh_token: str
    realm_id: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Credentials:
        try:
            data = json.loads(text)
            return cls(
                str(data["client_id"]), str(data["client_secret"]), str(data["refresh_token"]), str(data["realm_id"])
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(
                "the stored QuickBooks credentials are not from `creditbridge connect quickbooks`"
            ) from exc

    def rotated(self, refresh_token: str) -> Credentials:
        return replace(self, refresh_token=refresh_token)


def endpoints(environment: str, base_url: str | None = None) -> tuple[str, str]:
    """(API base URL, token URL) for production, sandbox, or a simulator at `base_url`."""
    if base_url:
        root = base_url.rstrip("/")
        return root, f"{root}/oauth2/v1/tokens/bearer"
    chosen = SANDBOX if environment == "sandbox" else PRODUCTION
    return chosen["api"], chosen["token"]
