"""The narrow DB-API shape the adapter needs from a database session, and nothing more.

Why a seam: python-oracledb (connection.py) and the EBS simulator (simulator/) both stand behind
it, so the reader and writer run the same SQL and PL/SQL blocks against either. It is the subset
of PEP 249 plus python-oracledb's `var()` for OUT binds and its fetch-tuning attributes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol


class OutVar(Protocol):
    """An OUT / IN OUT bind (python-oracledb `Var`)."""

    def getvalue(self, pos: int = 0) -> Any: ...

    def setvalue(self, pos: int, value: Any) -> None: ...


class DbCursor(Protocol):
    arraysize: int
    prefetchrows: int

    @property
    def description(self) -> Sequence[Sequence[Any]] | None: ...

    def execute(self, statement: str, parameters: Mapping[str, Any] | None = None) -> Any: ...

    def fetchone(self) -> Sequence[Any] | None: ...

    def fetchmany(self, size: int) -> list[Sequence[Any]]: ...

    def var(self, typ: Any, size: int = 0) -> OutVar: ...

    def close(self) -> None: ...


class DbConnection(Protocol):
    def cursor(self) -> DbCursor: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class SessionSource(Protocol):
    """A pool of sessions: `with source.acquire() as connection:` (released, and rolled back, on exit)."""

    def acquire(self) -> AbstractContextManager[DbConnection]: ...


def rows_as_dicts(cursor: DbCursor, size: int) -> Iterator[dict[str, Any]]:
    """The cursor's rows as {COLUMN: value}, fetched `size` at a time (one round trip per batch)."""
    names = [str(d[0]).upper() for d in cursor.description or ()]
    while True:
        batch = cursor.fetchmany(size)
        if not batch:
            return
        for row in batch:
            yield dict(zip(names, row, strict=True))
