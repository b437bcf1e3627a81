"""Local users of the web workspace: add, change a password or a role, disable, list, check a password.

The CLI (`creditbridge users ...`) and the admin page (/admin/users) call these same functions.
Nobody can lock the workspace out of its administration: an admin cannot demote or disable
themselves, and the last enabled admin cannot be demoted or disabled by anyone.

Passwords are hashed with argon2id (argon2-cffi's defaults, which follow RFC 9106's recommendation);
a hash made with older parameters is replaced at the next good sign-in.
Every change is written to the audit log with the user who made it, in the same transaction.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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


class UnknownUser(UserError):
    """There is no user by that name."""


class LockoutRefused(UserError):
    """The change would leave nobody able to administer the users (or an admin locking themselves out)."""


@dataclass(frozen=True, slots=True)
class User:
    username: str
    role: str
    created_at: datetime
    updated_at: datetime
    disabled_at: datetime | None = None
    last_sign_in_at: datetime | None = None

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None

    def as_dict(self) -> dict[str, str | None]:
        def text(moment: datetime | None) -> str | None:
            return None if moment is None else moment.isoformat()

        return {"username": self.username, "role": self.role, "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat(), "disabled_at": text(self.disabled_at),
                "last_sign_in_at": text(self.last_sign_in_at)}  # fmt: skip


def _user_of(row: sa.Row[Any]) -> User:
    return User(row.username, row.role, row.created_at, row.updated_at, row.disabled_at, row.last_sign_in_at)


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
            raise UnknownUser(f"no user {username!r}")
        conn.execute(sa.delete(web_sessions).where(web_sessions.c.username == username))
        record(conn, actor, "password_changed", "ok", reason=username)


def set_role(engine: sa.Engine, username: str, role: str, *, actor: str) -> User:
    """Give a user another role (it applies to their open sessions at once); `UserError` says why not."""
    _check_role(role)
    with write_transaction(engine) as conn:
        user = _existing(conn, username)
        if user.role == role:
            return user
        if user.role == "admin":
            _refuse_lockout(conn, user, actor, "remove the admin role of")
        conn.execute(sa.update(web_users).where(web_users.c.username == username).values(
            role=role, updated_at=to_db_time(utc_now())))  # fmt: skip
        record(conn, actor, "role_changed", "ok", reason=f"{username}: {user.role} -> {role}")
        changed = get_user(conn, username)
    assert changed is not None
    return changed


def set_disabled(engine: sa.Engine, username: str, disabled: bool, *, actor: str) -> User:
    """Disable a user (they cannot sign in; their sessions end) or enable them again."""
    with write_transaction(engine) as conn:
        user = _existing(conn, username)
        if user.disabled == disabled:
            return user
        if disabled:
            _refuse_lockout(conn, user, actor, "disable")
            conn.execute(sa.delete(web_sessions).where(web_sessions.c.username == username))
        now = to_db_time(utc_now())
        conn.execute(sa.update(web_users).where(web_users.c.username == username).values(
            disabled_at=now if disabled else None, updated_at=now))  # fmt: skip
        record(conn, actor, "user_disabled" if disabled else "user_enabled", "ok", reason=username)
        changed = get_user(conn, username)
    assert changed is not None
    return changed


def _existing(conn: sa.Connection, username: str) -> User:
    user = get_user(conn, username)
    if user is None:
        raise UnknownUser(f"no user {username!r}")
    return user


def _refuse_lockout(conn: sa.Connection, user: User, actor: str, verb: str) -> None:
    """`LockoutRefused` if `actor` is `user` (an admin) or `user` is the last enabled admin."""
    if user.role == "admin" and actor.lower() == user.username.lower():
        raise LockoutRefused(f"you cannot {verb} yourself: another admin must do it")
    if user.role == "admin" and not user.disabled:
        # FOR UPDATE (PostgreSQL): two admins demoting each other at once cannot both see the other as an admin
        enabled_admins = sa.select(web_users.c.username).where(web_users.c.role == "admin",
                                                               web_users.c.disabled_at.is_(None))  # fmt: skip
        admins = conn.execute(enabled_admins.with_for_update()).scalars().all()
        if not [name for name in admins if name != user.username]:
            raise LockoutRefused(f"{user.username} is the last enabled admin: make another admin first")


def list_users(engine: sa.Engine) -> list[User]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(web_users).order_by(web_users.c.username)).all()
    return [_user_of(r) for r in rows]


def get_user(conn: sa.Connection, username: str) -> User | None:
    row = conn.execute(sa.select(web_users).where(web_users.c.username == username)).first()
    return None if row is None else _user_of(row)


def authenticate(engine: sa.Engine, username: str, password: str) -> User | None:
    """The user if `password` is theirs and they are not disabled, else None (an unknown name costs the same
    time as a wrong password)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(web_users).where(web_users.c.username == username)).first()
    try:
        _hasher.verify(row.password_hash if row is not None else _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None or row.disabled_at is not None:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        with write_transaction(engine) as conn:
            conn.execute(sa.update(web_users).where(web_users.c.username == username).values(
                password_hash=_hasher.hash(password)))  # fmt: skip
    return _user_of(row)


def record(conn: sa.Connection, actor: str, action: str, outcome: str, *, reason: str | None = None,
           role: str = "user", customer_id: str | None = None) -> None:  # fmt: skip
    """One workspace event into the hash-chained audit log, in `conn`'s write transaction."""
    event = audit.AuditEvent(actor=actor, role=role, connection=AUDIT_CONNECTION, action=action, outcome=outcome,
                             reason=reason, customer_id=customer_id, field=None)  # fmt: skip
    audit.append(conn, event, utc_now())
