"""Write transactions of write-back, and the crash points around their commits.

Why IMMEDIATE on SQLite: a transaction that reads and then writes would otherwise start as a
reader and fail with "database is locked" (without waiting) when another writer committed in
between; taking the write lock at BEGIN makes such transactions wait their turn instead.
Why crash points here: every outbox transition commits through `recording`, which calls
`crash_point("outbox.<event>.committing")` inside the transaction (a kill there rolls it back)
and `crash_point("outbox.<event>")` right after the commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from creditbridge.sync.crashpoints import crash_point
from creditbridge.sync.store.engine import SQLITE_BEGIN_OPTION


@contextmanager
def write_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One transaction that writes: on SQLite it takes the write lock at BEGIN (no lock upgrades)."""
    with engine.connect() as conn:
        conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        with conn.begin():
            yield conn


@contextmanager
def recording(engine: sa.Engine, event: str) -> Iterator[sa.Connection]:
    """A write transaction that records outbox event `event`, with its two crash points."""
    with write_transaction(engine) as conn:
        yield conn
        crash_point(f"outbox.{event}.committing")
    crash_point(f"outbox.{event}")
