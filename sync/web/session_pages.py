"""Sign-in, sign-out, the home redirect and the workspace's own stylesheets.

No `from __future__ import annotations` in the page modules: FastAPI must evaluate the routes'
`Annotated[..., Depends(...)]` parameters at definition time.
"""

import secrets
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from creditbridge.sync.web import sessions
from creditbridge.sync.web.context import Workspace
from creditbridge.sync.web.users import authenticate

LOGIN_CSRF_COOKIE = "cb_login_csrf"
STYLESHEETS = {"app.css": ("creditbridge.sync.web", "static/app.css"),
               "report.css": ("creditbridge.sync.reports", "report.css")}  # fmt: skip


def router(ws: Workspace) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/", response_class=HTMLResponse)
    def home() -> Response:
        return RedirectResponse("/dashboard", status_code=303)

    @routes.get("/static/{name}")
    def static(name: str) -> Response:
        if name not in STYLESHEETS:
            return Response("not found", status_code=404, media_type="text/plain")
        package, file = STYLESHEETS[name]
        return Response((resources.files(package) / file).read_text(encoding="utf-8"), media_type="text/css",
                        headers={"Cache-Control": "max-age=3600"})  # fmt: skip

    @routes.get("/login")
    def login_form(request: Request) -> Response:
        token = secrets.token_urlsafe(32)
        response = ws.page(request, "login.html", csrf=token, next=safe_next(request.query_params.get("next")))
        ws.set_cookie(request, response, LOGIN_CSRF_COOKIE, token, 3600)
        return response

    @routes.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        username, password = str(form.get("username") or "").strip(), str(form.get("password") or "")
        target = safe_next(str(form.get("next") or ""))
        cookie, sent = request.cookies.get(LOGIN_CSRF_COOKIE), form.get("csrf")
        if not cookie or not isinstance(sent, str) or not secrets.compare_digest(cookie, sent):
            return ws.message(request, 403, None, "Not allowed",
                              "This sign-in form is out of date. Reload the page and try again.")  # fmt: skip
        keys = (f"user:{username.lower()}", f"ip:{request.client.host if request.client else '-'}")
        if ws.limiter.blocked(*keys):
            await run_in_threadpool(ws.audit, username or "-", "login_blocked", "refused", "too many failed sign-ins")
            minutes = int(ws.limiter.window.total_seconds() // 60)
            return ws.page(request, "login.html", 429, csrf=cookie, next=target, username=username,
                           error=f"Too many failed sign-ins. Try again in {minutes} minutes.")  # fmt: skip
        user = await run_in_threadpool(authenticate, ws.store.engine, username, password)
        if user is None:
            ws.limiter.failed(*keys)
            await run_in_threadpool(ws.audit, username or "-", "login_failed", "refused")
            return ws.page(request, "login.html", 401, csrf=cookie, next=target, username=username,
                           error="Wrong user name or password.")  # fmt: skip
        ws.limiter.succeeded(keys[0])
        token = await run_in_threadpool(sessions.start, ws.store.engine, user)
        await run_in_threadpool(ws.audit, user.username, "login", "ok", None, user.role)
        response = RedirectResponse(target or "/dashboard", status_code=303)
        ws.set_cookie(request, response, sessions.COOKIE, token, int(sessions.LIFETIME.total_seconds()))
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return response

    @routes.post("/logout")
    async def logout(request: Request, session: Annotated[sessions.Session, ws.guard("session.end")]) -> Response:
        token = request.cookies.get(sessions.COOKIE) or ""
        await run_in_threadpool(sessions.end, ws.store.engine, token)
        await run_in_threadpool(ws.audit, session.user.username, "logout", "ok", None, session.user.role)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(sessions.COOKIE, path="/")
        return response

    return routes


def safe_next(target: str | None) -> str:
    """A redirect target after sign-in: a path on this site only (never //elsewhere or a full URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return ""
    return target
