"""What every page module of the workspace shares: templates, the store, the guard, audit, lists.

`install_workspace` builds one `Workspace` and hands it to each page module's `router(ws)`; a module
adds its routes and its actions (in `roles.ALLOWED`) and nothing else. Keeping these here means a
new page is one module, not an edit of a long function of closures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from creditbridge.core.credit import CreditPolicy
from creditbridge.core.credit.policy import Policy
from creditbridge.mappings.credit_policy import default_policy
from creditbridge.sync.config import Config
from creditbridge.sync.reports.formats import amount_text, bucket_label, days_text, percent_text
from creditbridge.sync.store import Store
from creditbridge.sync.web import roles, sessions
from creditbridge.sync.web.auth import client_is_https, require
from creditbridge.sync.web.listing import Column, Page, filtered_rows, page_of, sorted_rows, table_response
from creditbridge.sync.web.users import record
from creditbridge.sync.writeback.transactions import write_transaction

if TYPE_CHECKING:
    from creditbridge.sync.service.app import StoreHolder

EXPORTS = ("csv", "xlsx")
"""Every list downloads as /<list>.csv and /<list>.xlsx."""
CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; " \
      "frame-ancestors 'none'"  # fmt: skip


def templates() -> Environment:
    env = Environment(loader=PackageLoader("creditbridge.sync.web", "templates"),
                      autoescape=select_autoescape(["html"]))  # fmt: skip
    env.filters["amount"] = lambda value, currency: amount_text(value, currency)
    env.filters["days"] = lambda value: days_text(value)
    env.filters["percent"] = lambda value: percent_text(value)
    env.filters["bucket"] = bucket_label
    env.filters["path"] = lambda value: quote(str(value), safe="")
    return env


@dataclass
class Workspace:
    config: Config
    holder: StoreHolder
    thresholds: CreditPolicy
    """The order-check policy `POST /credit/check` uses (the customer 360 shows its answer at amount 0)."""
    limiter: sessions.LoginLimiter
    env: Environment = field(default_factory=templates)
    credit_policy: Policy = field(default_factory=default_policy)
    """The whole credit policy (`serve --policy`): credit applications are decided under it."""

    @property
    def source(self) -> str | None:
        """The one connection's records, or the whole store when several (or none) are configured."""
        return self.config.connections[0].name if len(self.config.connections) == 1 else None

    @property
    def store(self) -> Store:
        return self.holder.get()

    def engine_of(self, _request: Request) -> sa.Engine:
        return self.holder.get().engine

    def guard(self, action: str) -> Any:
        """`session: Annotated[Session, ws.guard("x.y")]`: signed in, role allowed, CSRF right on posts."""
        return Depends(require(action, self.engine_of))

    def page(self, request: Request, name: str, status: int = 200, session: sessions.Session | None = None,
             **context: Any) -> HTMLResponse:  # fmt: skip
        def can(action: str) -> bool:
            return session is not None and roles.allowed(session.user.role, action)

        html = self.env.get_template(name).render(request=request, session=session, can=can,
                                                  path=request.url.path, **context)  # fmt: skip
        response = HTMLResponse(html, status_code=status)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        return response

    def message(self, request: Request, status: int, session: sessions.Session | None, title: str,
                message: str) -> HTMLResponse:  # fmt: skip
        return self.page(request, "message.html", status, session, title=title, message=message)

    def set_cookie(self, request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                            secure=client_is_https(request), path="/")  # fmt: skip

    def audit(self, actor: str, action: str, outcome: str, reason: str | None = None, role: str = "user",
              customer_id: str | None = None) -> None:  # fmt: skip
        with write_transaction(self.holder.get().engine) as conn:
            record(conn, actor, action, outcome, reason=reason, role=role, customer_id=customer_id)


def as_of_of(request: Request) -> date:
    """The `as_of` query parameter (a page looked at as of another day), else today."""
    text = request.query_params.get("as_of")
    if text:
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    return date.today()


def is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def page_number(request: Request) -> int:
    """The `page` query parameter, at least 1."""
    return max(1, _int(request.query_params.get("page")) or 1)


def listing(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], request: Request, default: str,
            direction: str) -> Page:  # fmt: skip
    """One page of `rows` as the query string asks (`q`, `sort`, `dir`, `page`; other parameters kept in links)."""
    q = request.query_params
    keep = tuple((k, v) for k, v in q.items() if k not in ("sort", "dir", "page"))
    return page_of(rows, columns, sort=q.get("sort"), direction=q.get("dir", direction), page=_int(q.get("page")),
                   default=default, keep=keep, query=q.get("q"))  # fmt: skip


def export(rows: Callable[[], Sequence[Mapping[str, Any]]], columns: Sequence[Column], request: Request,
           default: str, name: str, kind: str) -> Response:  # fmt: skip
    """The whole filtered, sorted list as the download `name.kind` (a kind of `EXPORTS`, else 404).

    `rows` is only called for a kind that exists: a mistyped extension costs no list.
    """
    if kind not in EXPORTS:
        return Response("not found", status_code=404, media_type="text/plain")
    q = request.query_params
    chosen = filtered_rows(rows(), columns, q.get("q"))
    ordered, _key, _desc = sorted_rows(chosen, columns, q.get("sort"), q.get("dir", "desc"), default)
    return table_response(ordered, columns, f"{name}.{kind}")
