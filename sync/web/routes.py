"""The workspace mounted on the `creditbridge serve` app: one `Workspace`, the page modules, two refusals.

Each page module (session_pages, dashboard_pages, approval_pages, cashapp_pages, ...) has a
`router(ws)`; every route but the sign-in is guarded by `auth.require` with its action in
`roles.ALLOWED`. Pages are Jinja2 templates packaged with the app; nothing is fetched from
elsewhere (the Content-Security-Policy says so to the browser as well).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from creditbridge.core.credit import CreditPolicy
from creditbridge.core.credit.policy import Policy
from creditbridge.mappings.credit_policy import policy_from_environment
from creditbridge.sync.config import Config
from creditbridge.sync.logs import get_logger
from creditbridge.sync.store import StoreError
from creditbridge.sync.web import (
    admin_pages,
    approval_pages,
    cashapp_pages,
    collections_pages,
    conflict_pages,
    credit_pages,
    dashboard_pages,
    session_pages,
    sessions,
)
from creditbridge.sync.web.auth import NotSignedIn, Refused
from creditbridge.sync.web.context import Workspace

if TYPE_CHECKING:
    from creditbridge.sync.service.app import StoreHolder

_log = get_logger(__name__)
PAGE_MODULES = (session_pages, dashboard_pages, approval_pages, cashapp_pages, collections_pages, conflict_pages,
                admin_pages, credit_pages)
JSON_PATHS = ("/webhooks/", "/credit/check", "/health", "/api/")
"""Paths whose callers read JSON: their errors are JSON, not pages."""


def install_workspace(app: FastAPI, config: Config, holder: StoreHolder, policy: CreditPolicy | None = None,
                      limiter: sessions.LoginLimiter | None = None,
                      credit_policy: Policy | None = None) -> Workspace:  # fmt: skip
    """Add the workspace's routes and its refusals (sign in first; 403; the store is down) to `app`."""
    whole = credit_policy or policy_from_environment(None)  # the policy `creditbridge serve --policy` gave
    thresholds = policy or whole.order_check  # the policy POST /credit/check uses
    ws = Workspace(config, holder, thresholds, limiter or sessions.LoginLimiter(), credit_policy=whole)

    async def not_signed_in(request: Request, _exc: Exception) -> Response:
        if request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        return ws.message(request, 401, None, "Sign in first", "Your session has ended.")

    async def refused(request: Request, exc: Exception) -> Response:
        found = await run_in_threadpool(sessions.find, ws.store.engine, request.cookies.get(sessions.COOKIE))
        return ws.message(request, 403, found, "Not allowed", str(exc))

    async def store_failed(request: Request, exc: Exception) -> Response:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        _log.error("web.store_error", path=request.url.path, error=reason)
        if request.url.path.startswith(JSON_PATHS):
            return JSONResponse({"error": "the store is unavailable"}, status_code=503)
        message = f"{reason}. Try again in a moment, or ask an administrator."
        return ws.message(request, 503, None, "The store is unavailable", message)

    app.add_exception_handler(NotSignedIn, not_signed_in)
    app.add_exception_handler(Refused, refused)
    app.add_exception_handler(StoreError, store_failed)
    app.add_exception_handler(sa.exc.OperationalError, store_failed)
    for module in PAGE_MODULES:
        app.include_router(module.router(ws))
    return ws
