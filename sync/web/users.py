"""Local users of the web workspace: add, change a password, list, check a password.

Passwords are hashed with argon2id (argon2-cffi's defaults, which follow RFC 9106's
recommendation); a hash made with older parameters is replaced at the next good sign-in.
Every change is written to the audit log with the user who made it, in the same transaction.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from creditbridge.sync.store.web_tables import web_sessions, web_users
from creditbridge.sync.web import roles
from creditbridge.sync.writeback import audit
from creditbridge.sync.writeback.records import to_db_time, utc_now
from creditbridge.sync.writeback.transactions import write_transaction

AUDIT_CONNECTION = "web"
"""The audit log's `connection` of workspace events that concern no ERP connection (users, sign-ins)."""

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against for an unknown user name (made on first use: a hash costs ~0.1 s)."""
    return _hasher.hash("not a password of anyone")


class UserError(ValueError):
    """A user that cannot be added or changed as asked (the message says why)."""


@dataclass(frozen=True, slots=True)
class User:
    username: str
    role: str
    created_at: datetime
    updated_at: datetime

    def as_dict(self) -> dict[str, str]:
        return {"username": self.username, "role": self.role, "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat()}  # fmt: skip


def _check_role(role: str) -> None:
    if role not in roles.ROLES:
        raise UserError(f"unknown role {role!r}: one of {', '.join(roles.ROLES)}")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def _check_username(username: str) -> None:
    if not username or username != username.strip() or len(username) > 128 or any(c.isspace() for c in username):
        raise UserError(f"{username!r} is not a user name: 1 to 128 characters, no spaces")


def add_user(engine: sa.Engine, username: str, password: str, role: str, *, actor: str) -> User:
    """Add a user; `UserError` if the name is taken, the role unknown or the password too short."""
    _check_username(username)
    _check_role(role)
    _check_password(password)
    now = utc_now()
    with write_transaction(engine) as conn:
        taken = conn.execute(sa.select(web_users.c.username).where(
            sa.func.lower(web_users.c.username) == username.lower())).first()  # fmt: skip
        if taken is not None:
            raise UserError(f"there is already a user {taken.username!r}")
        conn.execute(sa.insert(web_users).values(username=username, password_hash=_hasher.hash(password), role=role,
                                                 created_at=to_db_time(now), updated_at=to_db_time(now)))  # fmt: skip
        record(conn, actor, "user_added", "ok", reason=f"{username} as {role}")
    return User(username, role, to_db_time(now), to_db_time(now))


def set_password(engine: sa.Engine, username: str, password: str, *, actor: str) -> None:
    """Change a user's password and sign them out everywhere; `UserError` if there is no such user."""
    _check_password(password)
    with write_transaction(engine) as conn:
        changed = conn.execute(sa.update(web_users).where(web_users.c.username == username).values(
            password_hash=_hasher.hash(password), updated_at=to_db_time(utc_now())))  # fmt: skip
        if changed.rowcount != 1:
            raise UserError(f"no user {username!r}")
        conn.execute(sa.delete(web_sessions).where(web_sessions.c.username == username))
        record(conn, actor, "password_changed", "ok", reason=username)


def list_users(engine: sa.Engine) -> list[User]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(web_users).order_by(web_users.c.username)).all()
    return [User(r.username, r.role, r.created_at, r.updated_at) for r in rows]


def get_user(conn: sa.Connection, username: str) -> User | None:
    row = conn.execute(sa.select(web_users).where(web_users.c.username == username)).first()
    return None if row is None else User(row.username, row.role, row.created_at, row.updated_at)


def authenticate(engine: sa.Engine, username: str, password: str) -> User | None:
    """The user if `password` is theirs, else None (an unknown name costs the same time as a wrong password)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(web_users).where(web_users.c.username == username)).first()
    try:
        _hasher.verify(row.password_hash if row is not None else _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        with write_transaction(engine) as conn:
            conn.execute(sa.update(web_users).where(web_users.c.username == username).values(
                password_hash=_hasher.hash(password)))  # fmt: skip
    return User(row.username, row.role, row.created_at, row.updated_at)


def record(conn: sa.Connection, actor: str, action: str, outcome: str, *, reason: str | None = None,
           role: str = "user", customer_id: str | None = None) -> None:  # fmt: skip
    """One workspace event into the hash-chained audit log, in `conn`'s write transaction."""
    event = audit.AuditEvent(actor=actor, role=role, connection=AUDIT_CONNECTION, action=action, outcome=outcome,
                             reason=reason, customer_id=customer_id, field=None)  # fmt: skip
    audit.append(conn, event, utc_now())
