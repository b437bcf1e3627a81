"""Engines for the store: SQLite tuned as an embedded database, PostgreSQL through psycopg 3.

Why the SQLite set-up: WAL lets reports read while an import writes; `synchronous=NORMAL` is
durable across application crashes in WAL mode and makes bulk imports several times faster;
foreign keys are off by default in SQLite; a busy timeout turns "database is locked" into a
short wait. Python's sqlite3 module also starts transactions late and never for DDL, so the
engine emits BEGIN itself: an import and a migration are then each one real transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

from creditbridge.sync.store.errors import StoreError, StoreUnavailable

BUSY_TIMEOUT_SECONDS = 30
"""How long a SQLite writer waits for another one before giving up with "database is locked"."""

SQLITE_BEGIN_OPTION = "creditbridge_sqlite_begin"
"""Execution option naming SQLite's transaction mode ("IMMEDIATE" takes the write lock at BEGIN)."""


def parse_store_url(url: str | URL) -> URL:
    """The URL with PostgreSQL pinned to psycopg 3 (`postgresql://` would pick psycopg2)."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as exc:
        raise StoreError(f"not a database URL: {url!r}") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(f"the store runs on SQLite or PostgreSQL, not {parsed.get_backend_name()!r}")
    return parsed


def display_url(url: str | URL) -> str:
    """The URL as it may appear in logs and errors: the password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<unparseable URL>"


def sqlite_url(path: str | Path) -> str:
    """The store URL of a SQLite file."""
    return f"sqlite:///{Path(path)}"


def create_store_engine(url: str | URL) -> sa.Engine:
    """An engine configured for the store (see the module docstring); does not connect yet."""
    parsed = parse_store_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return sa.create_engine(parsed, connect_args={"connect_timeout": 10}, pool_pre_ping=True)


def _sqlite_engine(url: URL) -> sa.Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    kwargs: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_SECONDS}}
    if in_memory:
        # One shared connection, or every pooled connection would see its own empty database.
        kwargs["connect_args"]["check_same_thread"] = False
        kwargs["poolclass"] = StaticPool
    else:
        folder = Path(database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"cannot create the folder of the store {display_url(url)}: {exc}") from exc
    engine = sa.create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # autocommit at driver level; we emit BEGIN
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
            cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: index builds of 1M-row imports
            cursor.execute("PRAGMA temp_store=MEMORY")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())

    return engine
