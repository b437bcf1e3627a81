"""The store: the application's database, opened by URL and migrated on open.

Why one facade: jobs, the CLI and the HTTP service need "open the store, import a ledger, read
it back for KPIs" without knowing SQLite from PostgreSQL or Alembic from SQLAlchemy. `Store.open`
connects (failing with `StoreUnavailable`), runs `upgrade head` (failing with `MigrationError`),
and hands back an object whose methods each run in their own transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Self

import sqlalchemy as sa

from creditbridge.core.columns import LedgerColumns
from creditbridge.core.credit import ExposureView
from creditbridge.core.model import Ledger
from creditbridge.sync.store import credit_reads, loader, migrate, schema
from creditbridge.sync.store.engine import create_store_engine, display_url
from creditbridge.sync.store.errors import StoreError, StoreUnavailable
from creditbridge.sync.store.importer import EntityCounts, ImportSummary, LedgerTablesLike, Progress, run_import


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """One finished import run as the `imports` table keeps it (timestamps in UTC)."""

    id: int
    source: str
    started_at: datetime
    finished_at: datetime
    full_snapshot: bool
    rows_read: int
    counts: Mapping[str, EntityCounts]
    warnings: tuple[str, ...]

    @property
    def inserted(self) -> int:
        return sum(c.inserted for c in self.counts.values())

    @property
    def superseded(self) -> int:
        return sum(c.superseded for c in self.counts.values())


class Store:
    """The replica of ERP ledgers with history; open with `Store.open(url)`, close when done."""

    def __init__(self, engine: sa.Engine) -> None:
        """Wrap an engine whose database is already migrated (use `Store.open`)."""
        self._engine: sa.Engine | None = engine
        self.url = display_url(engine.url)

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect to `url` (sqlite:///path.db or postgresql+psycopg://...) and migrate to head."""
        engine = create_store_engine(url)
        try:
            with engine.connect():
                pass
        except sa.exc.DBAPIError as exc:
            engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
            raise StoreUnavailable(f"cannot open the store at {display_url(url)}: {reason}") from exc
        try:
            migrate.upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @staticmethod
    def display_url(url: str) -> str:
        """`url` as it may be shown in logs and messages: the password masked."""
        return display_url(url)

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine, for other parts of the shell that keep their own tables here."""
        if self._engine is None:
            raise StoreError(f"the store at {self.url} is closed")
        return self._engine

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    def close(self) -> None:
        """Release all connections; the store cannot be used afterwards."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def import_ledger(
        self,
        tables: LedgerTablesLike,
        source: str = "files",
        progress: Progress | None = None,
        *,
        full: bool = True,
    ) -> ImportSummary:
        """Import a ledger (LedgerTables of the files adapter, or anything with its attributes).

        One transaction: on any failure nothing is written, and `StoreError` (`ImportRejected`
        for bad input) is raised. Unchanged records are left alone, so re-importing the same
        data changes nothing; changed ones get a new version; with `full=True` records missing
        from `tables` are superseded (kept in history). `progress(entity, done, total)` is
        called as each entity advances.
        """
        return run_import(self.engine, tables, source, progress, full)

    def load_columns(self, source: str | None = None, known_at: datetime | None = None) -> LedgerColumns:
        """Items and settlements (applications and write-offs) as numpy columns for the KPI engine.

        `source=None` loads every source (ids must not collide across them). `known_at` gives
        the versions recorded by the last import of each source finished by then; naive
        datetimes are taken as local time.
        """
        return loader.load_columns(self.engine, source, known_at)

    def load_ledger(self, source: str | None = None, known_at: datetime | None = None) -> Ledger:
        """The same selection as `load_columns`, as core records (use for small ledgers)."""
        return loader.load_ledger(self.engine, source, known_at)

    def exposure_view(
        self, customer_id: str, as_of: date, source: str | None = None, group: bool = False
    ) -> ExposureView | None:
        """What the order-time credit check of one customer reads, from indexed sums (`credit_reads`); None if
        the customer is unknown."""
        with self.engine.connect() as conn:
            return credit_reads.load_exposure_view(conn, customer_id, as_of, source, group)

    def latest_import(self, source: str | None = None) -> ImportRecord | None:
        """The last finished import (of `source`, if given), or None if there was none."""
        found = self.imports(source, limit=1)
        return found[0] if found else None

    def imports(self, source: str | None = None, limit: int | None = None) -> list[ImportRecord]:
        """Finished import runs, newest first."""
        imports = schema.imports
        query = sa.select(imports).where(imports.c.finished_at.is_not(None)).order_by(imports.c.id.desc())
        if source is not None:
            query = query.where(imports.c.source == source)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_import_record(row._mapping) for row in conn.execute(query)]


def _import_record(row: sa.RowMapping) -> ImportRecord:
    counts = {name: EntityCounts(**c) for name, c in (row["counts"] or {}).items()}
    return ImportRecord(
        id=int(row["id"]),
        source=row["source"],
        started_at=row["started_at"].replace(tzinfo=UTC),
        finished_at=row["finished_at"].replace(tzinfo=UTC),
        full_snapshot=bool(row["full_snapshot"]),
        rows_read=int(row["rows_read"]),
        counts=counts,
        warnings=tuple(row["warnings"] or ()),
    )
