"""/admin/users: the workspace's users — add one, change a role, reset a password, disable or enable.

The changes are `web.users`' functions, the ones `creditbridge users add|passwd|role|disable|enable`
call: each writes the user and its audit row (with the admin who did it) in one transaction, and
refuses what would lock the administration out (an admin demoting or disabling themselves, or the
last enabled admin). A reset password or a disabled user ends that user's sessions at once.
"""

from collections.abc import Callable, Mapping
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from creditbridge.sync.web import roles, sessions
from creditbridge.sync.web.context import Workspace, export, listing
from creditbridge.sync.web.listing import Column
from creditbridge.sync.web.users import (
    MIN_PASSWORD_LENGTH,
    LockoutRefused,
    UnknownUser,
    User,
    UserError,
    add_user,
    list_users,
    set_disabled,
    set_password,
    set_role,
)

COLUMNS = (
    Column("username", "User"),
    Column("role", "Role"),
    Column("state", "State"),
    Column("created", "Added (UTC)"),
    Column("last_sign_in", "Last sign-in (UTC)"),
)
DONE = {"added": "added", "role": "has a new role", "password": "has a new password; their sessions ended",
        "disabled": "is disabled and signed out", "enabled": "may sign in again"}  # fmt: skip


def user_rows(users: list[User]) -> list[Mapping[str, Any]]:
    return [{"username": u.username, "role": u.role, "state": "disabled" if u.disabled else "active",
             "created": u.created_at.strftime("%Y-%m-%d %H:%M"),
             "last_sign_in": u.last_sign_in_at.strftime("%Y-%m-%d %H:%M") if u.last_sign_in_at else None}
            for u in users]  # fmt: skip


def router(ws: Workspace) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    def show(request: Request, session: sessions.Session, status: int = 200, error: str | None = None,
             form: Mapping[str, str] | None = None) -> Response:  # fmt: skip
        rows = listing(user_rows(list_users(ws.store.engine)), COLUMNS, request, "username", "asc")
        verb, _, name = request.query_params.get("done", "").partition("-")
        done = (name, DONE[verb]) if verb in DONE and name else None
        return ws.page(request, "admin_users.html", status, session, listing=rows, roles=roles.ROLES, error=error,
                       done=done, form=form or {}, min_password=MIN_PASSWORD_LENGTH)  # fmt: skip

    @routes.get("/admin/users")
    def users_page(request: Request, session: Annotated[sessions.Session, ws.guard("users.manage")]) -> Response:
        return show(request, session)

    @routes.get("/admin/users.{kind}")
    def users_export(kind: str, request: Request,
                     _session: Annotated[sessions.Session, ws.guard("users.manage")]) -> Response:  # fmt: skip
        return export(lambda: user_rows(list_users(ws.store.engine)), COLUMNS, request, "username", "users", kind)

    async def change(request: Request, session: sessions.Session, verb: str, name: str,
                     act: Callable[[], object], form: Mapping[str, str] | None = None) -> Response:  # fmt: skip
        try:
            await run_in_threadpool(act)
        except UnknownUser as exc:
            return await run_in_threadpool(show, request, session, 404, str(exc))
        except LockoutRefused as exc:
            return await run_in_threadpool(show, request, session, 409, str(exc))
        except UserError as exc:
            return await run_in_threadpool(show, request, session, 400, str(exc), form)
        return RedirectResponse(f"/admin/users?done={verb}-{quote(name, safe='')}", status_code=303)

    @routes.post("/admin/users")
    async def users_add(request: Request, session: Annotated[sessions.Session, ws.guard("users.manage")]) -> Response:
        form = await request.form()
        name, role = str(form.get("username") or "").strip(), str(form.get("role") or "")
        password, actor = str(form.get("password") or ""), session.user.username
        return await change(request, session, "added", name, lambda: add_user(ws.store.engine, name, password, role,
                                                                              actor=actor),
                            {"username": name, "role": role})  # fmt: skip

    @routes.post("/admin/users/{username}/role")
    async def users_role(username: str, request: Request,
                         session: Annotated[sessions.Session, ws.guard("users.manage")]) -> Response:  # fmt: skip
        role, actor = str((await request.form()).get("role") or ""), session.user.username
        return await change(request, session, "role", username,
                            lambda: set_role(ws.store.engine, username, role, actor=actor))  # fmt: skip

    @routes.post("/admin/users/{username}/password")
    async def users_password(username: str, request: Request,
                             session: Annotated[sessions.Session, ws.guard("users.manage")]) -> Response:  # fmt: skip
        password, actor = str((await request.form()).get("password") or ""), session.user.username
        return await change(request, session, "password", username,
                            lambda: set_password(ws.store.engine, username, password, actor=actor))  # fmt: skip

    @routes.post("/admin/users/{username}/{state}")
    async def users_state(username: str, state: str, request: Request,
                          session: Annotated[sessions.Session, ws.guard("users.manage")]) -> Response:  # fmt: skip
        if state not in ("disable", "enable"):
            return ws.message(request, 404, session, "Not found", f"No action {state!r} on users.")
        actor, disable = session.user.username, state == "disable"
        return await change(request, session, f"{state}d", username,
                            lambda: set_disabled(ws.store.engine, username, disable, actor=actor))  # fmt: skip

    return routes
