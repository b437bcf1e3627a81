"""A stateful fake QuickBooks Online company: Intuit's wire protocol, OAuth token endpoint, faults and limits.

Tests and the `creditbridge simulator quickbooks` command drive real clients (python-quickbooks, our
adapter, anything written from Intuit's docs) against it, in-process through `handle` (e.g. from a
`responses` callback) or over loopback HTTP with `serve()`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from creditbridge.adapters.quickbooks.simulator import server
from creditbridge.adapters.quickbooks.simulator.clock import SimClock
from creditbridge.adapters.quickbooks.simulator.faults import LostResponse, QboFault, SimulatorFault
from creditbridge.adapters.quickbooks.simulator.ledger_seed import seed_ledger
from creditbridge.adapters.quickbooks.simulator.seed_company import seed_company
from creditbridge.adapters.quickbooks.simulator.state import CUSTOM_FIELD_DEFINITIONS, ENTITIES, CompanyState
from creditbridge.adapters.quickbooks.simulator.throttle import RateLimiter
from creditbridge.adapters.quickbooks.simulator.tokens import TokenIssuer
from creditbridge.adapters.quickbooks.simulator.wire import RequestRecord, WireState, handle

if TYPE_CHECKING:
    from creditbridge.core.model import Ledger

__all__ = ["LostResponse", "QboFault", "QuickBooksSimulator", "RequestRecord", "SimulatorFault"]


class QuickBooksSimulator:
    """One QuickBooks Online company (realm) and the app credentials allowed to use it."""

    def __init__(
        self,
        *,
        seed: int = 7,
        customers: int = 20,
        realm_id: str = "9341453050000000",
        clock: Callable[[], datetime] | None = None,
        access_token_seconds: int = 3600,
        rate_limits: bool = True,
    ) -> None:
        self.realm_id = realm_id
        self._clock = SimClock(clock)
        company = CompanyState(self._clock)
        seed_company(company, seed=seed, customers=customers, start=self._clock.now())
        self._tokens = TokenIssuer(self._clock, seed, access_token_seconds)
        self._wire = WireState(realm_id=realm_id, clock=self._clock, company=company, tokens=self._tokens,
                               limiter=RateLimiter(enabled=rate_limits))
        self.webhook_verifier_token = secrets.token_hex(16)

    # -- credentials -------------------------------------------------------------------------------

    @property
    def client_id(self) -> str:
        return self._tokens.client_id

    @property
    def client_secret(self) -> str:
        return self._tokens.client_secret

    @property
    def refresh_token(self) -> str:
        """The refresh token issued last (valid until used: tokens rotate)."""
        return self._tokens.current_refresh_token

    def authorization_code(self) -> str:
        """A one-time code, as Intuit's /authorize redirect would return it."""
        with self._wire.lock:
            return self._tokens.authorization_code()

    def issue_access_token(self) -> str:
        """A valid bearer token, for tests that skip OAuth."""
        with self._wire.lock:
            return self._tokens.issue_access_token()

    def sign_webhook(self, body: bytes) -> str:
        """The `intuit-signature` header value Intuit would send with `body`."""
        digest = hmac.new(self.webhook_verifier_token.encode(), body, hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    # -- protocol ----------------------------------------------------------------------------------

    def handle(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> tuple[
            int, dict[str, str], bytes]:
        """Answer one HTTP request (absolute URL or path); raises LostResponse when TIMEOUT_AFTER_APPLY fires."""
        return handle(self._wire, method, url, headers, body)

    @contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[server.RunningSimulator]:
        with server.serve(self.handle, host, port) as running:
            yield running

    def seed_ledger(self, ledger: Ledger) -> None:
        """Replace the company's books with `ledger`, its ids kept as QuickBooks Ids (ledger_seed.py)."""
        with self._wire.lock:
            seed_ledger(self._wire.company, ledger)
            self._wire.replay.clear()
            self._wire.applied_request_ids.clear()

    # -- test controls -----------------------------------------------------------------------------

    def arm(self, fault: SimulatorFault, times: int = 1) -> None:
        with self._wire.lock:
            self._wire.armed[fault] = self._wire.armed.get(fault, 0) + times

    def advance(self, seconds: float) -> None:
        """Move the built-in fake clock on (token expiry, CDC windows)."""
        with self._wire.lock:
            self._clock.advance(seconds)

    def now(self) -> datetime:
        return self._clock.now()

    def human_edit(self, entity: str, id: str, **fields: Any) -> dict[str, Any]:
        """A person edits the object in the QuickBooks UI: SyncToken and LastUpdatedTime move on."""
        with self._wire.lock:
            return dict(self._wire.company.human_edit(entity, id, fields))

    def human_delete(self, entity: str, id: str) -> None:
        """A person deletes in the UI: transactions go (CDC tombstone); name-list entries become inactive."""
        with self._wire.lock:
            company = self._wire.company
            if entity in ("Customer", "Term", "Item"):
                company.human_edit(entity, id, {"Active": False})
            else:
                company.get(entity, id)
                company.remove(entity, id)

    # -- inspection --------------------------------------------------------------------------------

    def entities(self, entity: str) -> dict[str, dict[str, Any]]:
        if entity not in ENTITIES:
            raise KeyError(f"unknown entity {entity!r}: one of {', '.join(ENTITIES)}")
        with self._wire.lock:
            import copy

            return copy.deepcopy(self._wire.company.objects[entity])

    @property
    def custom_field_definitions(self) -> list[dict[str, str]]:
        return [dict(d) for d in CUSTOM_FIELD_DEFINITIONS]

    @property
    def request_log(self) -> list[RequestRecord]:
        with self._wire.lock:
            return list(self._wire.request_log)

    @property
    def applied_request_ids(self) -> list[str]:
        with self._wire.lock:
            return list(self._wire.applied_request_ids)
