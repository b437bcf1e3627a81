"""The one dependency that guards every page and action: signed in, role allowed, CSRF token right.

`require("approvals.decide")` in a route's dependencies answers, before the route runs:
- not signed in: a page (GET) redirects to /login; a form post gets 401;
- the role may not do the action (`roles.ALLOWED`): 403, and a refused post is audited;
- a form post whose `csrf` field is not the session's token: 403.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from fastapi import Request
from starlette.concurrency import run_in_threadpool

from creditbridge.sync.web import roles, sessions
from creditbridge.sync.web.users import record
from creditbridge.sync.writeback.transactions import write_transaction


class NotSignedIn(Exception):
    pass


class Refused(Exception):
    """A request the server refuses with 403; the message is shown to the person."""


def client_is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def require(action: str, engine_of: Callable[[Request], sa.Engine]) -> Callable[[Request], Awaitable[sessions.Session]]:
    """A dependency allowing `action` (a key of `roles.ALLOWED`) only to the roles the table names."""
    if action not in roles.ALLOWED:
        raise ValueError(f"no action {action!r} in the role table")

    async def dependency(request: Request) -> sessions.Session:
        engine = engine_of(request)
        session = await run_in_threadpool(sessions.find, engine, request.cookies.get(sessions.COOKIE))
        if session is None:
            raise NotSignedIn()
        posting = request.method == "POST"
        if not roles.allowed(session.user.role, action):
            if posting:
                await run_in_threadpool(_audit_refusal, engine, session, action, "role")
            raise Refused(f"Your role ({session.user.role}) may not do this ({action}).")
        if posting:
            form = await request.form()
            sent = form.get("csrf")
            if not isinstance(sent, str) or not secrets.compare_digest(sent, session.csrf):
                await run_in_threadpool(_audit_refusal, engine, session, action, "csrf")
                raise Refused("This form is out of date or did not come from this site. Reload the page and try again.")
        return session

    return dependency


def _audit_refusal(engine: sa.Engine, session: sessions.Session, action: str, why: str) -> None:
    with write_transaction(engine) as conn:
        record(conn, session.user.username, "refused", why, reason=action, role=session.user.role)
