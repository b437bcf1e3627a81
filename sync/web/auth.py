"""The dependencies that guard every page, action and API call: who is calling, role allowed, CSRF right.

One role check (`check_role`, the table `roles.ALLOWED`) serves both:
- `require("approvals.decide")` for pages and form posts: not signed in -> a page (GET) redirects
  to /login, a form post gets 401; the role may not -> 403; a form post whose `csrf` field is not
  the session's token -> 403.
- `require_api("approvals.decide")` for the JSON API (/api/v1): an `Authorization: Bearer <token>`
  header (the token's role, acting as `token:NAME`), or the browser's session cookie with, on a
  POST, an `X-CSRF-Token` header equal to the session's CSRF token (so page JavaScript may call
  it). No or a bad credential -> 401; the role may not, or the CSRF header is missing -> 403.
A refused post is audited either way.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import sqlalchemy as sa
from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from creditbridge.sync.web import api_tokens, roles, sessions
from creditbridge.sync.web.users import record
from creditbridge.sync.writeback.transactions import write_transaction

CSRF_HEADER = "X-CSRF-Token"


class NotSignedIn(Exception):
    pass


class Refused(Exception):
    """A request the server refuses with 403; the message is shown to the person."""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who calls the API: a person (their user name) or a system (`token:NAME`), with the role that applies."""

    actor: str
    role: str


def client_is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def _known(action: str) -> None:
    if action not in roles.ALLOWED:
        raise ValueError(f"no action {action!r} in the role table")


async def check_role(engine: sa.Engine, actor: str, role: str, action: str, posting: bool) -> None:
    """`Refused` unless `role` may do `action`; a refused post is audited."""
    if not roles.allowed(role, action):
        if posting:
            await run_in_threadpool(_audit_refusal, engine, actor, role, action, "role")
        raise Refused(f"Your role ({role}) may not do this ({action}).")


def require(action: str, engine_of: Callable[[Request], sa.Engine]) -> Callable[[Request], Awaitable[sessions.Session]]:
    """A dependency allowing `action` (a key of `roles.ALLOWED`) only to the roles the table names."""
    _known(action)

    async def dependency(request: Request) -> sessions.Session:
        engine = engine_of(request)
        session = await run_in_threadpool(sessions.find, engine, request.cookies.get(sessions.COOKIE))
        if session is None:
            raise NotSignedIn()
        posting = request.method == "POST"
        await check_role(engine, session.user.username, session.user.role, action, posting)
        if posting:
            form = await request.form()
            sent = form.get("csrf")
            if not isinstance(sent, str) or not secrets.compare_digest(sent, session.csrf):
                await run_in_threadpool(_audit_refusal, engine, session.user.username, session.user.role, action,
                                        "csrf")  # fmt: skip
                raise Refused("This form is out of date or did not come from this site. Reload the page and try again.")
        return session

    return dependency


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


def require_api(action: str, engine_of: Callable[[Request], sa.Engine]) -> Callable[[Request], Awaitable[Caller]]:
    """The API's dependency for `action`: a bearer token or a session (+ CSRF header on posts), role allowed."""
    _known(action)

    async def dependency(request: Request) -> Caller:
        engine = engine_of(request)
        posting = request.method == "POST"
        token = bearer_token(request)
        if token is not None or "authorization" in request.headers:
            found = await run_in_threadpool(api_tokens.find, engine, token)
            if found is None:
                raise unauthorized("the API token is unknown or revoked")
            caller = Caller(found.actor, found.role)
        else:
            session = await run_in_threadpool(sessions.find, engine, request.cookies.get(sessions.COOKIE))
            if session is None:
                raise unauthorized("sign in, or send an API token as 'Authorization: Bearer <token>'")
            caller = Caller(session.user.username, session.user.role)
            sent = request.headers.get(CSRF_HEADER)
            if posting and (not sent or not secrets.compare_digest(sent, session.csrf)):
                await run_in_threadpool(_audit_refusal, engine, caller.actor, caller.role, action, "csrf")
                raise HTTPException(403, f"a call with the session cookie needs the session's {CSRF_HEADER} header")
        try:
            await check_role(engine, caller.actor, caller.role, action, posting)
        except Refused as exc:
            raise HTTPException(403, str(exc)) from None
        return caller

    return dependency


def _audit_refusal(engine: sa.Engine, actor: str, role: str, action: str, why: str) -> None:
    with write_transaction(engine) as conn:
        record(conn, actor, "refused", why, reason=action, role=role)
