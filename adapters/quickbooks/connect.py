"""Build a `QuickBooksErp` from stored credentials; the shell passes how to load and save them.

Why callbacks and not the vault: adapters do not import the shell (import-linter); the
composition root hands in `load`/`save` bound to its SecretVault.
"""

from __future__ import annotations

from collections.abc import Callable

from creditbridge.adapters.quickbooks.client import QuickBooksClient
from creditbridge.adapters.quickbooks.credentials import Credentials, endpoints
from creditbridge.adapters.quickbooks.erp import QuickBooksErp
from creditbridge.adapters.quickbooks.storage import Mechanism, Storage
from creditbridge.adapters.quickbooks.tokens import TokenEndpoint, TokenManager


def build_erp(
    load: Callable[[], Credentials],
    save: Callable[[Credentials], None],
    *,
    name: str,
    environment: str = "production",
    base_url: str | None = None,
    mechanism: Mechanism = "notes_tag",
    custom_field_id: str | None = None,
    default_currency: str = "USD",
    include_inactive: bool = True,
    terms: dict[str, int] | None = None,
    page_size: int = 1000,
) -> QuickBooksErp:
    first = load()
    api, token_url = endpoints(environment, base_url)

    def save_rotated(refresh_token: str) -> None:
        save(load().rotated(refresh_token))

    tokens = TokenManager(
        TokenEndpoint(token_url, first.client_id, first.client_secret, connection=name),
        lambda: load().refresh_token,
        save_rotated,
    )
    client = QuickBooksClient(first.realm_id, tokens, base_url=api, connection=name)
    storage = Storage(mechanism, custom_field_id=custom_field_id, default_currency=default_currency)
    return QuickBooksErp(
        client, storage=storage, page_size=page_size, include_inactive=include_inactive, terms=terms, name=name
    )
