"""The HTTP service (`creditbridge serve`): health, the QuickBooks webhook receiver, and the web workspace.

Why the receiver only queues: Intuit expects a 2xx within a few seconds and redelivers on
anything else, so the request verifies the signature, parses the events, writes one row to the
store's queue and answers; the pull runs later in a worker (`worker.QueueDrainer`, or
`creditbridge webhooks drain`). Redeliveries are harmless: event ids are deduplicated.

The receiver is per connection, `/webhooks/quickbooks/{connection}`, so one server can serve
several companies, each with its own verifier token (connection option `webhook_verifier`, a
secret reference such as "env:QBO_VERIFIER"). Responses:
- 200 the delivery was accepted (queued, or nothing new to pull); JSON says what was queued;
- 400 the body is not a webhook payload; 401 the `intuit-signature` is missing or wrong
  (a warning is logged, never the body); 404 no such connection, or webhooks not enabled on it;
- 413 the body is over `MAX_BODY_BYTES`; 503 the verifier token or the store is unavailable.
Events of another QuickBooks company than the connection's `options.realm_id` (when it is set)
are ignored with a 200 and counted as `ignored`: Intuit sends every company of the app to the
same endpoint, and a non-2xx would only make it retry them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from creditbridge.core.credit.policy import Policy
from creditbridge.sync.composition import open_store
from creditbridge.sync.config import Config, ConnectionConfig
from creditbridge.sync.logs import get_logger
from creditbridge.sync.secrets import SecretError, resolve_secret
from creditbridge.sync.service import queue
from creditbridge.sync.service.credit_routes import credit_router, order_checker
from creditbridge.sync.service.events import PayloadError, WebhookEvent, parse_payload
from creditbridge.sync.service.signatures import SIGNATURE_HEADER, signature_matches
from creditbridge.sync.store import Store, StoreError, migrate
from creditbridge.sync.web import api
from creditbridge.sync.web.routes import install_workspace
from creditbridge.sync.web.sessions import LoginLimiter
from creditbridge.sync.web.warmup import Warmer

API_DESCRIPTION = """\
creditbridge's HTTP service: the order-time credit check, the QuickBooks webhook receiver, and the JSON
API behind the web workspace (`/api/v1`).

Authentication of `/api/v1`: `Authorization: Bearer <token>` (a token from `creditbridge tokens add NAME
--role ROLE`, acting with that role as `token:NAME`), or the workspace's session cookie with an
`X-CSRF-Token` header on every POST. Roles are those of the workspace (viewer, collector, analyst,
approver, admin). Errors are `{"error": "..."}`; amounts are decimal strings with their currency.
`POST /credit/check` is open until the installation's first API token, then needs one. Webhooks are
checked by their ERP's signature, not by tokens.
"""

MAX_BODY_BYTES = 1_000_000
VERIFIER_OPTION = "webhook_verifier"
REALM_OPTION = "realm_id"

_log = get_logger(__name__)


class StoreHolder:
    """The service's store, opened on first use (so `/health` can report a store that is down)."""

    def __init__(self, config: Config, store: Store | None = None) -> None:
        self._config = config
        self._store = store
        self._owned = store is None
        self._lock = threading.Lock()

    def get(self) -> Store:
        """The open store; `StoreError` if it cannot be opened (tried again on the next call)."""
        with self._lock:
            if self._store is None:
                self._store = open_store(self._config)
            return self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None and self._owned:
                self._store.close()
                self._store = None


def create_app(
    config: Config,
    *,
    store: Store | None = None,
    on_enqueued: Callable[[], None] | None = None,
    policy: Policy | None = None,
    login_limiter: LoginLimiter | None = None,
) -> FastAPI:
    """The service for `config`; `store` if already open (else opened on first use, closed at shutdown).

    `on_enqueued` is called after a webhook queued a pull (the server wakes its drainer with it).
    The web workspace (sync/web) is served by the same app, on the same store.
    """
    holder = StoreHolder(config, store)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        warmer = Warmer(workspace)  # only a running server warms (TestClient without `with` runs no lifespan)
        warmer.start()
        yield
        warmer.stop()
        holder.close()

    app = FastAPI(title="creditbridge", version=_version(), description=API_DESCRIPTION,
                  lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url="/openapi.json")  # fmt: skip
    app.state.store = holder
    checker = order_checker(config, holder, policy)
    app.include_router(credit_router(holder, checker))
    thresholds = None if policy is None else policy.order_check
    workspace = install_workspace(app, config, holder, thresholds, login_limiter, policy)
    api.install(app, workspace, checker)

    @app.get("/health", summary="Is the service up, and is its store at this version's revision?")
    def health() -> JSONResponse:
        try:
            engine = holder.get().engine
            current, head = migrate.current_revision(engine), migrate.head_revision()
        except Exception as exc:  # any failure to reach the store is "unavailable", with the reason
            return JSONResponse({"status": "unavailable", "reason": str(exc).splitlines()[0]}, status_code=503)
        if current != head:
            reason = f"the store is at revision {current}, this version needs {head}"
            return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
        return JSONResponse({"status": "ok", "store_revision": current})

    @app.post("/webhooks/quickbooks/{connection}", summary="QuickBooks webhook receiver (Intuit's signature, no token)")
    async def quickbooks_webhook(connection: str, request: Request) -> JSONResponse:
        found = _webhook_connection(config, connection)
        if found is None:
            return _error(404, "no connection with webhooks by that name")
        body = await _capped_body(request)
        if body is None:
            return _error(413, f"the body is over {MAX_BODY_BYTES:,} bytes")
        try:
            verifier = await run_in_threadpool(
                resolve_secret, str(found.options[VERIFIER_OPTION]), config.store_url, key_file=config.secret_key_file
            )
        except SecretError as exc:
            _log.error("webhook.verifier_unavailable", connection=found.name, error=str(exc))
            return _error(503, "the webhook verifier token is not available")
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature_matches(body, signature, verifier.get_secret_value()):
            _log.warning(
                "webhook.bad_signature",
                connection=found.name,
                reason="missing" if not signature else "mismatch",
                body_bytes=len(body),
                client=request.client.host if request.client else None,
            )
            return _error(401, "the intuit-signature header is missing or does not match")
        try:
            events = parse_payload(body)
        except PayloadError as exc:
            _log.warning("webhook.bad_payload", connection=found.name, error=str(exc))
            return _error(400, str(exc))
        accepted, ignored = _for_realm(events, found.options.get(REALM_OPTION))
        try:
            enqueued = await run_in_threadpool(lambda: queue.enqueue(holder.get().engine, found.name, accepted))
        except StoreError as exc:
            _log.error("webhook.store_unavailable", connection=found.name, error=str(exc))
            return _error(503, "the store is unavailable")
        _log.info(
            "webhook.received",
            connection=found.name,
            request_id=enqueued.request_id,
            events=len(events),
            duplicates=enqueued.duplicate_events,
            ignored=len(ignored),
        )
        if enqueued.request_id is not None and on_enqueued is not None:
            on_enqueued()
        return JSONResponse(
            {
                "queued": enqueued.request_id,
                "entities": [e.value for e in enqueued.entities],
                "events": enqueued.queued_events,
                "duplicates": enqueued.duplicate_events,
                "ignored": len(ignored) + len(accepted) - enqueued.queued_events - enqueued.duplicate_events,
            }
        )

    return app


def _version() -> str:
    try:
        return version("creditbridge")
    except PackageNotFoundError:  # run from a checkout that is not installed
        return "0+unknown"


def _webhook_connection(config: Config, name: str) -> ConnectionConfig | None:
    """The connection `name` if it has a `webhook_verifier` option; None otherwise."""
    found = next((c for c in config.connections if c.name == name), None)
    if found is None or not isinstance(found.options.get(VERIFIER_OPTION), str):
        return None
    return found


async def _capped_body(request: Request) -> bytes | None:
    """The raw body, or None as soon as it is over MAX_BODY_BYTES (never read further)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _for_realm(events: list[WebhookEvent], realm_id: Any) -> tuple[list[WebhookEvent], list[WebhookEvent]]:
    """Events of the connection's company, and the others (kept apart when `realm_id` is set)."""
    if realm_id is None or realm_id == "":
        return events, []
    wanted = str(realm_id)
    accepted = [e for e in events if e.realm_id is None or e.realm_id == wanted]
    return accepted, [e for e in events if e not in accepted]


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
