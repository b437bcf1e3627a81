"""Sign-in sessions and the sign-in rate limit.

A session is a random token in an HttpOnly, SameSite=Lax cookie (Secure when the request came
over HTTPS); the store keeps only its sha256 and the session's CSRF token, so signing out (or a
password change) ends it at once. Failed sign-ins are limited per user name and per client
address: after `max_failures` within `window`, further tries are refused until the window passes.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from creditbridge.sync.store.web_tables import web_sessions, web_users
from creditbridge.sync.web.users import User, get_user
from creditbridge.sync.writeback.records import to_db_time, utc_now
from creditbridge.sync.writeback.transactions import write_transaction

COOKIE = "cb_session"
LIFETIME = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    csrf: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(engine: sa.Engine, user: User) -> str:
    """A new session of `user`; the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = to_db_time(utc_now())
    with write_transaction(engine) as conn:
        conn.execute(sa.delete(web_sessions).where(web_sessions.c.expires_at < now))
        conn.execute(sa.insert(web_sessions).values(token_hash=_digest(token), username=user.username,
                                                    csrf=secrets.token_urlsafe(32), created_at=now,
                                                    expires_at=now + LIFETIME))  # fmt: skip
        conn.execute(sa.update(web_users).where(web_users.c.username == user.username).values(last_sign_in_at=now))
    return token


def find(engine: sa.Engine, token: str | None) -> Session | None:
    """The live session of a cookie token, or None."""
    if not token:
        return None
    with engine.connect() as conn:
        row = conn.execute(sa.select(web_sessions).where(web_sessions.c.token_hash == _digest(token))).first()
        if row is None or row.expires_at < to_db_time(utc_now()):
            return None
        user = get_user(conn, row.username)
    return None if user is None or user.disabled else Session(user, row.csrf)


def end(engine: sa.Engine, token: str) -> None:
    with write_transaction(engine) as conn:
        conn.execute(sa.delete(web_sessions).where(web_sessions.c.token_hash == _digest(token)))


class LoginLimiter:
    """Failed sign-ins per key (a user name, a client address) in a sliding window; thread-safe."""

    def __init__(self, max_failures: int = 5, window: timedelta = timedelta(minutes=15),
                 clock: Callable[[], datetime] = utc_now) -> None:  # fmt: skip
        self.max_failures = max_failures
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        found = self._failures.setdefault(key, deque())
        while found and found[0] <= now - self.window:
            found.popleft()
        return found

    def blocked(self, *keys: str) -> bool:
        now = self._clock()
        with self._lock:
            return any(len(self._recent(k, now)) >= self.max_failures for k in keys)

    def failed(self, *keys: str) -> None:
        now = self._clock()
        with self._lock:
            for k in keys:
                self._recent(k, now).append(now)

    def succeeded(self, username_key: str) -> None:
        with self._lock:
            self._failures.pop(username_key, None)
