"""API tokens: how a system (an ERP's order entry, a script) calls the JSON API without a person's session.

A token is random (`cb_` + 256 bits), shown once when it is added; the store keeps only its
sha256, so a copy of the store lets nobody call the API. Each token has a name and one role of
`roles.ROLES`: it may do what a person of that role may. Whatever a token does is audited as
`token:NAME`, which is why a revoked token keeps its row and its name is never reused.
Once any token exists, `POST /credit/check` answers only to a token (the upgrade path: before
the first token it is open, as it was).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from creditbridge.sync.store.web_tables import api_tokens
from creditbridge.sync.web import roles
from creditbridge.sync.web.users import record
from creditbridge.sync.writeback.records import to_db_time, utc_now
from creditbridge.sync.writeback.transactions import write_transaction

PREFIX = "cb_"
ACTOR_PREFIX = "token:"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class TokenError(ValueError):
    """A token that cannot be added or revoked as asked (the message says why)."""


@dataclass(frozen=True, slots=True)
class ApiToken:
    name: str
    role: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def actor(self) -> str:
        """Who the audit log says acted: `token:NAME`."""
        return f"{ACTOR_PREFIX}{self.name}"

    def as_dict(self) -> dict[str, str | None]:
        return {"name": self.name, "role": self.role, "created_by": self.created_by,
                "created_at": self.created_at.isoformat(),
                "revoked_at": None if self.revoked_at is None else self.revoked_at.isoformat()}  # fmt: skip


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _of(row: sa.Row[tuple[object, ...]]) -> ApiToken:
    return ApiToken(row.name, row.role, row.created_by, row.created_at, row.revoked_at)


def add_token(engine: sa.Engine, name: str, role: str, *, actor: str) -> tuple[ApiToken, str]:
    """A new token named `name` with `role`, and its secret (shown once, never stored)."""
    if not _NAME.fullmatch(name):
        raise TokenError(f"{name!r} is not a token name: 1 to 64 letters, digits, '.', '_' or '-'")
    if role not in roles.ROLES:
        raise TokenError(f"unknown role {role!r}: one of {', '.join(roles.ROLES)}")
    secret = PREFIX + secrets.token_urlsafe(32)
    now = to_db_time(utc_now())
    with write_transaction(engine) as conn:
        taken = conn.execute(sa.select(api_tokens.c.name, api_tokens.c.revoked_at).where(
            sa.func.lower(api_tokens.c.name) == name.lower())).first()  # fmt: skip
        if taken is not None:
            revoked = " (revoked: a name is never reused, the audit log names it)" if taken.revoked_at else ""
            raise TokenError(f"there is already a token {taken.name!r}{revoked}")
        conn.execute(sa.insert(api_tokens).values(name=name, token_hash=digest(secret), role=role, created_by=actor,
                                                  created_at=now, revoked_at=None))  # fmt: skip
        record(conn, actor, "token_added", "ok", reason=f"{name} as {role}")
    return ApiToken(name, role, actor, now, None), secret


def revoke_token(engine: sa.Engine, name: str, *, actor: str) -> ApiToken:
    """Revoke a token at once; `TokenError` if there is no such token or it is revoked already."""
    with write_transaction(engine) as conn:
        row = conn.execute(sa.select(api_tokens).where(api_tokens.c.name == name)).first()
        if row is None:
            raise TokenError(f"no token {name!r}")
        if row.revoked_at is not None:
            raise TokenError(f"token {name!r} was revoked on {row.revoked_at.isoformat(timespec='seconds')}")
        now = to_db_time(utc_now())
        conn.execute(sa.update(api_tokens).where(api_tokens.c.name == name).values(revoked_at=now))
        record(conn, actor, "token_revoked", "ok", reason=name)
    return ApiToken(row.name, row.role, row.created_by, row.created_at, now)


def list_tokens(engine: sa.Engine) -> list[ApiToken]:
    with engine.connect() as conn:
        return [_of(r) for r in conn.execute(sa.select(api_tokens).order_by(api_tokens.c.name))]


def find(engine: sa.Engine, secret: str | None) -> ApiToken | None:
    """The live token of a bearer secret; None for an unknown or revoked one."""
    if not secret or not secret.startswith(PREFIX):
        return None
    with engine.connect() as conn:
        row = conn.execute(sa.select(api_tokens).where(api_tokens.c.token_hash == digest(secret))).first()
    return None if row is None or row.revoked_at is not None else _of(row)


def any_tokens(engine: sa.Engine) -> bool:
    """Whether any token was ever added (revoked ones count: revoking the last does not reopen the check)."""
    with engine.connect() as conn:
        return conn.execute(sa.select(api_tokens.c.name).limit(1)).first() is not None
