"""Importing a ledger into the replica: one transaction, versioned, and idempotent.

Why this shape: a ledger of millions of rows is re-imported again and again (a nightly CSV
export, a full pull), and almost all of it is unchanged each time. So every input row gets a
content hash in polars (vectorized), the current versions' (row id, key, hash) are read in one
query per table, and a join sorts rows into new, changed, unchanged and - in a full import -
missing. Only new and changed rows are written (bulk, see `bulk`); changed and missing ones
have their current version closed (`valid_to` = this import), never deleted, so history keeps
them. All of it, and the `imports` row that records the run, commit together or not at all.

A pull writes a page at a time instead (`upsert_page`, inside the pull's own transaction that
also moves its cursor): the same hashing and versioning, but only the page's keys are read, and
an `imports` row (full_snapshot false) is added only when the page changes something, so its
versions get their own system time and `known_at` works for pulled sources as for imported ones.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import polars as pl
import sqlalchemy as sa

from creditbridge.sync.store import schema, snapshots
from creditbridge.sync.store.bulk import BulkIO, bulk_io, column
from creditbridge.sync.store.engine import SQLITE_BEGIN_OPTION
from creditbridge.sync.store.entities import (
    APPLICATIONS,
    DOC_TYPES,
    ENTITIES,
    HASH_SCHEME,
    INVOICES,
    PAYMENTS,
    WRITEOFFS,
    Entity,
    Field,
    content_hash,
    with_sequence,
)
from creditbridge.sync.store.errors import ImportRejected, StoreError

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): stage is the entity ("invoices", ...), counts are input rows."""


class LedgerTablesLike(Protocol):
    """What the importer reads of `creditbridge.adapters.files.LedgerTables` (attributes only)."""

    @property
    def customers(self) -> pl.DataFrame: ...
    @property
    def invoices(self) -> pl.DataFrame: ...
    @property
    def payments(self) -> pl.DataFrame: ...
    @property
    def applications(self) -> pl.DataFrame: ...
    @property
    def orders(self) -> pl.DataFrame: ...
    @property
    def writeoffs(self) -> pl.DataFrame: ...


@dataclass(frozen=True, slots=True)
class EntityCounts:
    """What an import did to one entity, in records (keys).

    `updated` records got a new version (the old one closed); `deleted` ones were missing from a
    full import and had their version closed; both are *superseded*, none is erased.
    """

    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    @property
    def superseded(self) -> int:
        return self.updated + self.deleted

    def as_dict(self) -> dict[str, int]:
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
        }


@dataclass(frozen=True)
class ImportSummary:
    """The outcome of one `import_ledger` run: counts per entity, the import id, the time it took."""

    import_id: int
    source: str
    entities: Mapping[str, EntityCounts]
    elapsed_seconds: float
    rows_read: int
    warnings: tuple[str, ...] = field(default=())

    def __getitem__(self, entity: str) -> EntityCounts:
        return self.entities[entity]

    @property
    def inserted(self) -> int:
        return sum(c.inserted for c in self.entities.values())

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self.entities.values())

    @property
    def deleted(self) -> int:
        return sum(c.deleted for c in self.entities.values())

    @property
    def unchanged(self) -> int:
        return sum(c.unchanged for c in self.entities.values())

    @property
    def superseded(self) -> int:
        return self.updated + self.deleted

    @property
    def rows_per_second(self) -> float:
        """Input rows handled per second (the figure the import speed target is stated in)."""
        return self.rows_read / self.elapsed_seconds if self.elapsed_seconds > 0 else float("inf")

    def describe_short(self) -> str:
        """One line: what changed, how many rows, how fast."""
        changes = (
            f"inserted {self.inserted:,}, updated {self.updated:,}, deleted {self.deleted:,}, "
            f"unchanged {self.unchanged:,}"
        )
        return (
            f"import #{self.import_id} of {self.source!r}: {changes} "
            f"({self.rows_read:,} rows in {self.elapsed_seconds:.2f} s, {self.rows_per_second:,.0f} rows/s)"
        )

    def describe(self) -> str:
        """A few lines for people: the totals, then one line per entity."""
        lines = [self.describe_short() + (" - no changes" if self.inserted == self.superseded == 0 else "")]
        for name, c in self.entities.items():
            lines.append(
                f"  {name:<13} inserted {c.inserted:>10,}  updated {c.updated:>10,}  "
                f"deleted {c.deleted:>10,}  unchanged {c.unchanged:>10,}"
            )
        lines.extend(f"  warning: {w}" for w in self.warnings)
        return "\n".join(lines)


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    return None


def utc_naive(moment: datetime) -> datetime:
    """The store keeps timestamps as naive UTC; aware values are converted, naive ones are local."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def run_import(
    engine: sa.Engine,
    tables: LedgerTablesLike,
    source: str,
    progress: Progress | None = None,
    full: bool = True,
) -> ImportSummary:
    """Import `tables` as the ledger of `source` in one transaction (see the module docstring).

    `full=True`: the tables are the whole ledger of the source, so current records missing from
    them are superseded. `full=False` (an incremental pull): missing records are left alone.
    """
    if not source or len(source) > 64:
        raise ImportRejected(f"source must be a non-empty name of at most 64 characters, got {source!r}")
    report = progress or _no_progress
    clock = time.perf_counter()
    started = datetime.now(UTC)
    frames = {e.attribute: _prepare(e, getattr(tables, e.attribute)) for e in ENTITIES}
    rows_read = sum(f.height for f in frames.values())
    warnings = tuple(str(w) for w in getattr(tables, "warnings", ()))
    dbapi_error: type[BaseException] = getattr(engine.dialect.loaded_dbapi, "Error", sa.exc.DBAPIError)
    try:
        with engine.begin() as conn:
            io = bulk_io(conn)
            if conn.dialect.name == "postgresql":  # one import per source at a time: ids follow commits
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(source)})
            import_id = _start(conn, source, started, full)
            rehash = _previous_scheme(conn, source, import_id) not in (None, HASH_SCHEME)
            frames[APPLICATIONS.attribute] = _with_currency(
                conn, io, source, frames[APPLICATIONS.attribute], frames, APPLICATIONS
            )
            frames[WRITEOFFS.attribute] = _with_currency(
                conn, io, source, frames[WRITEOFFS.attribute], frames, WRITEOFFS
            )
            counts: dict[str, EntityCounts] = {}
            for entity in ENTITIES:
                frame = frames[entity.attribute].with_columns(content_hash(entity))
                counts[entity.attribute] = _sync(conn, io, entity, frame, source, import_id, full, rehash, report)
            if full:
                snapshots.write(conn, source, import_id, snapshots.parts_of(frames))
            else:
                snapshots.drop(conn, source)
            conn.execute(
                sa.update(schema.imports)
                .where(schema.imports.c.id == import_id)
                .values(
                    finished_at=utc_naive(datetime.now(UTC)),
                    rows_read=rows_read,
                    rows_inserted=sum(c.inserted for c in counts.values()),
                    rows_updated=sum(c.updated for c in counts.values()),
                    rows_deleted=sum(c.deleted for c in counts.values()),
                    rows_unchanged=sum(c.unchanged for c in counts.values()),
                    counts={k: v.as_dict() for k, v in counts.items()},
                    warnings=list(warnings),
                )
            )
    except (sa.exc.SQLAlchemyError, dbapi_error) as exc:
        raise StoreError(f"import of source {source!r} failed and was rolled back: {exc}") from exc
    except pl.exceptions.PolarsError as exc:
        raise ImportRejected(f"import of source {source!r} rejected and rolled back: {exc}") from exc
    return ImportSummary(import_id, source, counts, time.perf_counter() - clock, rows_read, warnings)


def _lock_key(source: str) -> int:
    digest = hashlib.blake2b(f"creditbridge.import:{source}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _start(conn: sa.Connection, source: str, started: datetime, full: bool) -> int:
    """Record the run; on SQLite this first write also takes the write lock for the whole import."""
    result = conn.execute(
        sa.insert(schema.imports).values(
            source=source,
            started_at=utc_naive(started),
            full_snapshot=full,
            hash_scheme=HASH_SCHEME,
            rows_read=0,
            rows_inserted=0,
            rows_updated=0,
            rows_deleted=0,
            rows_unchanged=0,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _previous_scheme(conn: sa.Connection, source: str, import_id: int) -> str | None:
    imports = schema.imports
    return conn.execute(
        sa.select(imports.c.hash_scheme)
        .where(imports.c.source == source, imports.c.id < import_id, imports.c.finished_at.is_not(None))
        .order_by(imports.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _prepare(entity: Entity, frame: pl.DataFrame) -> pl.DataFrame:
    """The input frame as the table's typed columns (derived ones left for later), validated."""
    read_fields = [f for f in entity.fields if f.input_name != ""]
    typed = (
        _typed(entity, frame, read_fields)
        if frame.height
        else pl.DataFrame(schema={f.name: f.dtype for f in read_fields})
    )
    if entity is APPLICATIONS:
        typed = with_sequence(typed, ["payment_id", "item_id"], ["applied_on", "amount"])
    elif entity is WRITEOFFS:
        typed = with_sequence(typed, ["item_id"], ["written_off_on", "amount", "reason"])
    _refuse_duplicates(entity, typed)
    return typed


def _typed(entity: Entity, frame: pl.DataFrame, read_fields: list[Field]) -> pl.DataFrame:
    """Cast a non-empty input frame to the table's types; refuse missing columns and nulls."""
    label = entity.attribute
    missing = [
        f.source_name
        for f in read_fields
        if f.source_name not in frame.columns and not f.nullable and f.default is None
    ]
    if missing:
        raise ImportRejected(f"{label}: missing column(s) {', '.join(missing)}")
    exprs: list[pl.Expr] = []
    for f in read_fields:
        if f.source_name in frame.columns:
            expr = pl.col(f.source_name).cast(f.dtype, strict=True)
            if f.default is not None:
                expr = expr.fill_null(pl.lit(f.default, f.dtype))
        else:
            expr = pl.lit(f.default, f.dtype)
        exprs.append(expr.alias(f.name))
    try:
        typed = frame.select(exprs)
    except pl.exceptions.PolarsError as exc:
        raise ImportRejected(f"{label}: a column has values of the wrong type: {exc}") from exc
    for f in read_fields:
        if not f.nullable and (nulls := typed[f.name].null_count()):
            raise ImportRejected(f"{label}: {nulls} row(s) without {f.source_name}")
    if entity is INVOICES:
        bad = typed.filter(~pl.col("doc_type").is_in(DOC_TYPES))
        if bad.height:
            raise ImportRejected(
                f"invoices: doc_type must be one of {', '.join(DOC_TYPES)}; "
                f"invoice {bad['item_id'][0]!r} has {bad['doc_type'][0]!r}"
            )
    return typed


def _refuse_duplicates(entity: Entity, frame: pl.DataFrame) -> None:
    keys = entity.key_names
    duplicated = frame.filter(pl.struct(keys).is_duplicated()) if frame.height else frame
    if duplicated.height:
        first = duplicated.row(0, named=True)
        key = ", ".join(f"{f.source_name}={first[f.name]!r}" for f in entity.keys)
        raise ImportRejected(f"{entity.attribute}: {duplicated.height} rows share a key, e.g. {key}")


def _with_currency(
    conn: sa.Connection,
    io: BulkIO,
    source: str,
    frame: pl.DataFrame,
    frames: Mapping[str, pl.DataFrame],
    entity: Entity,
) -> pl.DataFrame:
    """Applications take the payment's currency (else the item's); write-offs the item's.

    Looked up in this import first, then in the store's current records of the same source
    (an incremental import may bring an application without its payment).
    """
    lookups = [(INVOICES, "item_id")]
    if entity is APPLICATIONS:
        lookups.insert(0, (PAYMENTS, "payment_id"))
    result = frame.with_columns(pl.lit(None, pl.Utf8).alias("currency"))
    for owner, key in lookups:
        for from_store in (False, True):
            if not result["currency"].null_count():
                break
            if from_store:
                lookup = io.read(
                    conn,
                    [column(owner.key_names[0], pl.Utf8()), column("currency", pl.Utf8())],
                    f"FROM {owner.table} WHERE source = {io.placeholder} AND valid_to IS NULL",
                    [source],
                )
            else:
                lookup = frames[owner.attribute].select(owner.key_names[0], "currency")
            found = lookup.rename({owner.key_names[0]: key, "currency": "_found"}).unique(subset=[key])
            result = (
                result.join(found, on=key, how="left", maintain_order="left")
                .with_columns(pl.coalesce("currency", "_found").alias("currency"))
                .drop("_found")
            )
    unresolved = result.filter(pl.col("currency").is_null())
    if unresolved.height:
        example = unresolved.row(0, named=True)
        what = f"payment {example['payment_id']!r} / " if entity is APPLICATIONS else ""
        raise ImportRejected(
            f"{entity.attribute}: {unresolved.height} row(s) refer to unknown records, e.g. "
            f"{what}invoice {example['item_id']!r}"
        )
    return result.select(entity.key_names + entity.content_names)


def _sync(
    conn: sa.Connection,
    io: BulkIO,
    entity: Entity,
    frame: pl.DataFrame,
    source: str,
    import_id: int,
    full: bool,
    rehash: bool,
    progress: Progress,
) -> EntityCounts:
    """Bring the current versions of one table in line with `frame` (hashes included)."""
    label, total = entity.attribute, frame.height
    progress(label, 0, total)
    where = f"FROM {entity.table} WHERE source = {io.placeholder} AND valid_to IS NULL"
    key_columns = [column(f.name, f.dtype) for f in entity.keys]
    current = io.read(
        conn, [column("row_id", pl.Int64()), *key_columns, column("content_hash", pl.Int64())], where, [source]
    ).rename({"content_hash": "stored_hash"})
    if rehash and current.height:
        current = _rehashed(conn, io, entity, current, where, source)

    if current.height == 0:
        to_write, close_ids, counts = frame, pl.Series("row_id", [], pl.Int64), EntityCounts(inserted=total)
    else:
        joined = frame.join(current, on=entity.key_names, how="left")
        is_new = pl.col("row_id").is_null()
        is_changed = pl.col("row_id").is_not_null() & (pl.col("stored_hash") != pl.col("content_hash"))
        to_write = joined.filter(is_new | is_changed)
        changed_ids = to_write.filter(pl.col("row_id").is_not_null())["row_id"]
        missing_ids = (
            current.join(frame.select(entity.key_names), on=entity.key_names, how="anti")["row_id"]
            if full
            else pl.Series("row_id", [], pl.Int64)
        )
        close_ids = pl.concat([changed_ids, missing_ids])
        n_new = to_write.height - changed_ids.len()
        counts = EntityCounts(
            inserted=n_new, updated=changed_ids.len(), deleted=missing_ids.len(), unchanged=total - to_write.height
        )
    io.close_versions(conn, entity.table, close_ids, import_id)

    # In key order, index inserts append to the b-tree instead of splitting pages at random.
    rows = to_write.sort(entity.key_names).select(
        pl.lit(source, pl.Utf8).alias("source"),
        *entity.key_names,
        *entity.content_names,
        "content_hash",
        pl.lit(import_id, pl.Int32).alias("valid_from"),
    )
    done = total - rows.height
    if done:
        progress(label, done, total)

    def advance(n: int) -> None:
        nonlocal done
        done += n
        progress(label, done, total)

    io.insert(conn, entity.table, rows, advance)
    return counts


def _rehashed(
    conn: sa.Connection, io: BulkIO, entity: Entity, current: pl.DataFrame, where: str, source: str
) -> pl.DataFrame:
    """The current rows with hashes recomputed under this HASH_SCHEME, written back in place.

    Runs once after a polars upgrade, so that unchanged records stay unchanged instead of all
    looking modified (which would add a spurious version of every record to history).
    """
    content = io.read(
        conn,
        [column("row_id", pl.Int64()), *(column(f.name, f.dtype, nullable=True) for f in entity.content)],
        where,
        [source],
    )
    fresh = content.select("row_id", content_hash(entity))
    merged = current.join(fresh, on="row_id", how="left")
    stale = merged.filter(pl.col("content_hash") != pl.col("stored_hash")).select("row_id", "content_hash")
    io.set_hashes(conn, entity.table, stale)
    return merged.drop("stored_hash").rename({"content_hash": "stored_hash"})


# --- Page upserts: a pull writes one page of changes at a time -------------------------------------


@dataclass(frozen=True)
class TableChange:
    """What one page says about one replica table.

    `rows` (the table's typed key and content columns, one row per key) are the records as the
    ERP has them now. `scope` says what the page speaks for: its columns are some of the table's
    key columns (the first one text), and every current version matching a row of `scope` that is
    not among `rows` is gone. A page of customers has scope = the keys of its records and of its
    deletions; a page of payments speaks for all applications of its payments (scope: payment_id).
    """

    entity: Entity
    rows: pl.DataFrame
    scope: pl.DataFrame


@dataclass(frozen=True)
class PageWrite:
    """What `upsert_page` did: per table the counts, and the import id if anything was written.

    `touched`: per table, the values of the scope's first column (the key, or the payment of an
    application) of every row that was inserted, updated or closed.
    """

    import_id: int | None
    counts: Mapping[str, EntityCounts]
    touched: Mapping[str, frozenset[str]]

    @property
    def changed(self) -> bool:
        return self.import_id is not None


_SCOPE_CHUNK = 500  # values per IN (...) list: far below SQLite's and PostgreSQL's parameter limits


@contextmanager
def source_transaction(engine: sa.Engine, source: str) -> Iterator[sa.Connection]:
    """One write transaction for `source`, serialized with its imports and other pages.

    SQLite takes the write lock at BEGIN (a page reads before it writes; a deferred transaction
    could not upgrade its lock if another writer committed in between); PostgreSQL takes the
    source's advisory lock, as `run_import` does, so import ids follow commit order per source.
    Database errors roll back and surface as `StoreError`.
    """
    dbapi_error: type[BaseException] = getattr(engine.dialect.loaded_dbapi, "Error", sa.exc.DBAPIError)
    try:
        with engine.connect() as conn:
            conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(source)})
                yield conn
    except (sa.exc.SQLAlchemyError, dbapi_error) as exc:
        raise StoreError(f"a write to source {source!r} failed and was rolled back: {exc}") from exc


def upsert_page(conn: sa.Connection, source: str, changes: Sequence[TableChange], rows_read: int) -> PageWrite:
    """Apply one page's `changes` on `conn` (inside the caller's `source_transaction`).

    Only the page's keys are read (never the whole table), their stored hashes recomputed under
    this HASH_SCHEME (so a polars upgrade never makes an unchanged record look changed), and only
    new and changed rows written; changed and gone ones have their current version closed. An
    `imports` row (full_snapshot false) is created only if something changes: a page of
    unchanged records writes nothing. When rows change, the source's column snapshot is dropped.
    """
    plans = [_plan_page(conn, source, change) for change in changes]
    counts = {plan.entity.table: plan.counts for plan in plans}
    touched = {plan.entity.table: plan.touched for plan in plans}
    if not any(plan.to_write.height or plan.close_ids.len() for plan in plans):
        return PageWrite(None, counts, touched)
    io = bulk_io(conn)
    now = utc_naive(datetime.now(UTC))
    inserted = conn.execute(
        sa.insert(schema.imports).values(
            source=source,
            started_at=now,
            finished_at=now,
            full_snapshot=False,
            hash_scheme=_latest_scheme(conn, source) or HASH_SCHEME,
            rows_read=rows_read,
            rows_inserted=sum(c.inserted for c in counts.values()),
            rows_updated=sum(c.updated for c in counts.values()),
            rows_deleted=sum(c.deleted for c in counts.values()),
            rows_unchanged=sum(c.unchanged for c in counts.values()),
            counts={table: c.as_dict() for table, c in counts.items()},
            warnings=[],
        )
    ).inserted_primary_key
    assert inserted is not None
    import_id = int(inserted[0])
    for plan in plans:
        io.close_versions(conn, plan.entity.table, plan.close_ids, import_id)
        rows = plan.to_write.sort(plan.entity.key_names).select(
            pl.lit(source, pl.Utf8).alias("source"),
            *plan.entity.key_names,
            *plan.entity.content_names,
            "content_hash",
            pl.lit(import_id, pl.Int32).alias("valid_from"),
        )
        io.insert(conn, plan.entity.table, rows, _ignore_chunk)
    snapshots.drop(conn, source)
    return PageWrite(import_id, counts, touched)


@dataclass(frozen=True)
class _PagePlan:
    entity: Entity
    to_write: pl.DataFrame
    close_ids: pl.Series
    counts: EntityCounts
    touched: frozenset[str]


def _ignore_chunk(_rows: int) -> None:
    return None


def _latest_scheme(conn: sa.Connection, source: str) -> str | None:
    """The hash scheme of the source's last import: a page keeps it, so a full import after a
    polars upgrade still re-hashes the rows that pages did not touch."""
    imports = schema.imports
    return conn.execute(
        sa.select(imports.c.hash_scheme)
        .where(imports.c.source == source, imports.c.finished_at.is_not(None))
        .order_by(imports.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _plan_page(conn: sa.Connection, source: str, change: TableChange) -> _PagePlan:
    """Sort one table's page rows into new, changed, unchanged and gone (see `upsert_page`)."""
    entity = change.entity
    _refuse_duplicates(entity, change.rows)
    frame = change.rows.select(entity.key_names + entity.content_names).with_columns(content_hash(entity))
    current = _current_in_scope(conn, source, entity, change.scope)
    current = current.with_columns(content_hash(entity))
    stale = current.filter(pl.col("content_hash") != pl.col("stored_hash")).select("row_id", "content_hash")
    bulk_io(conn).set_hashes(conn, entity.table, stale)
    current = current.select("row_id", *entity.key_names, pl.col("content_hash").alias("current_hash"))
    joined = frame.join(current, on=entity.key_names, how="left")
    is_new = pl.col("row_id").is_null()
    is_changed = pl.col("row_id").is_not_null() & (pl.col("current_hash") != pl.col("content_hash"))
    to_write = joined.filter(is_new | is_changed)
    changed_ids = to_write.filter(pl.col("row_id").is_not_null())["row_id"]
    gone = current.join(frame.select(entity.key_names), on=entity.key_names, how="anti")
    gone_ids = gone["row_id"]
    first = change.scope.columns[0]
    touched = frozenset(to_write[first].cast(pl.Utf8).to_list()) | frozenset(gone[first].cast(pl.Utf8).to_list())
    counts = EntityCounts(
        inserted=to_write.height - changed_ids.len(),
        updated=changed_ids.len(),
        deleted=gone_ids.len(),
        unchanged=frame.height - to_write.height,
    )
    return _PagePlan(entity, to_write, pl.concat([changed_ids, gone_ids]).cast(pl.Int64), counts, touched)


def _pg_lookup(table: sa.Table, names: Sequence[str], key: str) -> sa.TextClause:
    """Current versions for an array of key values, one index probe per value, on PostgreSQL.

    Why not `key = ANY(:keys)` (or IN): right after a big first pull the table's statistics still
    say it is nearly empty, so the planner - and psycopg's prepared generic plan - scans every
    current row of the source per page (seconds per page at a million rows). The LATERAL probe
    (`OFFSET 0` keeps it from being flattened into a join) uses the current-version index on
    (source, key) whatever the statistics say. Names are the store's own columns, never input.
    """
    columns = ", ".join(f"t.{n}" for n in ("row_id", *names, "content_hash"))
    return sa.text(
        f"SELECT {columns} FROM unnest(CAST(:k AS text[])) AS k(v) CROSS JOIN LATERAL ("
        f"SELECT * FROM {table.name} AS c WHERE c.source = :s AND c.{key} = k.v AND c.valid_to IS NULL OFFSET 0"
        ") AS t"
    )


def _current_in_scope(conn: sa.Connection, source: str, entity: Entity, scope: pl.DataFrame) -> pl.DataFrame:
    """The current versions (row id, key, content, stored hash) that match a row of `scope`.

    Selected by the scope's first column (`IN`, in chunks), then narrowed by all of its columns.
    """
    table = schema.metadata.tables[entity.table]
    names = [f.name for f in entity.fields]
    frame_schema: dict[str, pl.DataType] = {
        "row_id": pl.Int64(),
        **{f.name: f.dtype for f in entity.fields},
        "stored_hash": pl.Int64(),
    }
    first = scope.columns[0]
    values = sorted(set(scope[first].to_list()))
    rows: list[tuple[object, ...]] = []
    if conn.dialect.name == "postgresql" and values:
        rows.extend(tuple(row) for row in conn.execute(_pg_lookup(table, names, first), {"s": source, "k": values}))
    else:
        for offset in range(0, len(values), _SCOPE_CHUNK):
            query = sa.select(table.c.row_id, *(table.c[n] for n in names), table.c.content_hash).where(
                table.c.source == source,
                table.c.valid_to.is_(None),
                table.c[first].in_(values[offset : offset + _SCOPE_CHUNK]),
            )
            rows.extend(tuple(row) for row in conn.execute(query))
    current = pl.DataFrame(rows, schema=frame_schema, orient="row")
    if scope.width > 1 and current.height:
        current = current.join(scope.unique(), on=scope.columns, how="semi")
    return current
