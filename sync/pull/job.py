"""The pull job: ERP changes into the replica, page by page, each page committed with its cursor.

The rules (DESIGN.md "Sync rules (reads)", reliability.md R7), and how this module keeps them:

- **Rows and cursor commit together.** Each page is one transaction: its records are upserted
  into the replica (source = the connection's name) and the `pull_state` row records the next
  page's token. A crash before the commit loses only that page's work, which the next run
  fetches again; a crash after it loses nothing. So a resumed sweep re-fetches at most one page.
- **Inclusive cursors, deduplicated by key.** A sweep reads `since` = the cursor (`>=`), so a
  record stamped exactly at the cursor is read again; the replica writes a new version only
  where a record's content hash changed, so reading it again writes nothing.
- **The cursor advances only when a sweep ends**, to the `served_at` of the sweep's *first*
  page: whatever changed after the sweep began is read again by the next sweep. While a sweep
  is under way the cursor does not move at all (`sweep_started_at` holds the next one).
- **Deletions** arrive as tombstones and supersede the current version (history keeps it).
  A reader whose ERP cannot report deletions lacks the READ_DELETIONS capability; for it,
  a finished *full* sweep (`full=True`) supersedes every current record it did not see (the keys
  seen are kept in `pull_seen` as the sweep goes, so this survives a crash too). Incremental
  sweeps of such a reader never delete anything.
- **Retries** (`retry.RetryPolicy`): `ErpUnavailable` is retried with backoff, honouring
  `retry_after`, bounded in attempts and time; then the run fails (`PullFailed`) with the
  cursor untouched. Other ERP errors fail at once.

A run pulls each entity the adapter declares (or those asked for) in turn: it finishes a sweep
that a crashed or failed run left under way, and then runs a fresh one, so a successful run
has read everything the ERP changed before the run began. `full=True` starts a fresh sweep of
everything (since None) instead, unless a full sweep is already under way, which it resumes.

Crash points (`CREDITBRIDGE_CRASH_AT`, see `crashpoints`): `pull.page_fetched` (a page read,
nothing written), `pull.page_written` (rows and state written, not committed), `pull.page_committed`
(committed, the next page not yet read), `pull.sweep_done` (after the commit that ended a sweep).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from creditbridge.core.ports import (
    READ_CAPABILITY,
    Capability,
    ChangePage,
    ChangeReader,
    Entity,
    ErpError,
    ErpUnavailable,
)
from creditbridge.sync.crashpoints import crash_point
from creditbridge.sync.logs import get_logger, new_run_id
from creditbridge.sync.pull.errors import PullConfigError, PullConflict, PullFailed
from creditbridge.sync.pull.replica_rows import TABLE_OF, PageRecords, last_word, table_changes
from creditbridge.sync.pull.retry import RetryPolicy, call_with_retries
from creditbridge.sync.pull.state import (
    PullState,
    SweepCounts,
    as_utc,
    clear_seen,
    load_state,
    mark_seen,
    place_writeoffs,
    save_state,
    unseen_keys,
)
from creditbridge.sync.store import Store
from creditbridge.sync.store.importer import PageWrite, source_transaction, upsert_page

PullProgress = Callable[[str, int, int], None]
"""progress(entity, pages, records_seen): called after each committed page of the run."""

_log = get_logger("creditbridge.pull")


@dataclass(frozen=True)
class EntityPull:
    """What one run did for one entity: pages fetched, records seen, and what they did to the replica.

    `inserted`/`updated`/`deleted`/`unchanged` count records of the entity (keys); a payment
    whose applications changed counts as updated, its applications are versioned along with it.
    """

    entity: Entity
    pages: int = 0
    records_seen: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    sweeps_finished: int = 0
    resumed: bool = False
    cursor: datetime | None = None

    @property
    def rows_written(self) -> int:
        """Records that got a new version or had theirs closed (0 when nothing changed)."""
        return self.inserted + self.updated + self.deleted

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity.value,
            "pages": self.pages,
            "records_seen": self.records_seen,
            "inserted": self.inserted,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "sweeps_finished": self.sweeps_finished,
            "resumed": self.resumed,
            "cursor": None if self.cursor is None else self.cursor.isoformat(),
        }


@dataclass(frozen=True)
class PullSummary:
    """The outcome of one `pull` run over the entities it pulled (in pull order)."""

    connection: str
    run_id: str
    full: bool
    entities: tuple[EntityPull, ...]
    elapsed_seconds: float

    def __getitem__(self, entity: Entity | str) -> EntityPull:
        wanted = Entity(entity)
        for pulled in self.entities:
            if pulled.entity is wanted:
                return pulled
        raise KeyError(wanted.value)

    @property
    def pages(self) -> int:
        return sum(e.pages for e in self.entities)

    @property
    def records_seen(self) -> int:
        return sum(e.records_seen for e in self.entities)

    @property
    def rows_written(self) -> int:
        return sum(e.rows_written for e in self.entities)

    def as_dict(self) -> dict[str, Any]:
        return {
            "connection": self.connection,
            "run_id": self.run_id,
            "full": self.full,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "entities": [e.as_dict() for e in self.entities],
        }

    def describe(self) -> str:
        """A few lines for people: the totals, then one line per entity."""
        lines = [
            f"pull of {self.connection!r} (run {self.run_id}): {self.pages:,} pages, "
            f"{self.records_seen:,} records seen, {self.rows_written:,} written in {self.elapsed_seconds:.2f} s"
            + (" - no changes" if self.rows_written == 0 else "")
        ]
        for e in self.entities:
            lines.append(
                f"  {e.entity.value:<16} pages {e.pages:>6,}  seen {e.records_seen:>9,}  inserted {e.inserted:>9,}  "
                f"updated {e.updated:>9,}  deleted {e.deleted:>9,}  unchanged {e.unchanged:>9,}"
            )
        return "\n".join(lines)


def reports_deletions(reader: object) -> bool:
    """Whether the reader's ERP reports deletions as tombstones (the READ_DELETIONS capability)."""
    return Capability.READ_DELETIONS in getattr(reader, "capabilities", frozenset())


def entities_to_pull(reader: object, entities: Iterable[Entity | str] | None = None) -> list[Entity]:
    """The entities a run pulls, in pull order: those asked for, else all the adapter declares.

    An adapter without `capabilities` is taken to read every entity; asking for one it does not
    declare is a `PullConfigError` (the shell never calls a capability an adapter lacks).
    """
    declared = getattr(reader, "capabilities", None)
    available = [e for e in Entity if declared is None or READ_CAPABILITY[e] in declared]
    if entities is None:
        return available
    try:
        wanted = {Entity(e) for e in entities}
    except ValueError as exc:
        raise PullConfigError(f"{exc}; entities are {', '.join(e.value for e in Entity)}") from None
    lacking = sorted(e.value for e in wanted if e not in available)
    if lacking:
        name = getattr(reader, "erp_name", type(reader).__name__)
        raise PullConfigError(f"the {name} adapter cannot read {', '.join(lacking)}")
    return [e for e in Entity if e in wanted]


def pull(
    store: Store,
    connection: str,
    reader: ChangeReader,
    entities: Iterable[Entity | str] | None = None,
    *,
    full: bool = False,
    run_id: str | None = None,
    progress: PullProgress | None = None,
    retry: RetryPolicy | None = None,
) -> PullSummary:
    """Pull the ERP's changes into the store's replica as source `connection` (module docstring).

    Raises `PullFailed` (with the summary of what was committed) when the ERP cannot be read,
    `PullConflict` when another pull of the connection moved the state meanwhile,
    `PullConfigError` for an entity the adapter lacks, and `StoreError` from the store.
    """
    if not connection or len(connection) > 64:
        raise PullConfigError(f"a connection name has 1 to 64 characters, got {connection!r}")
    run = run_id or new_run_id()
    chosen = entities_to_pull(reader, entities)
    clock = time.perf_counter()
    log = _log.bind(run_id=run, connection=connection)
    log.info("pull.started", entities=[e.value for e in chosen], full=full)
    done: list[EntityPull] = []
    for entity in chosen:
        puller = _EntityPuller(store, connection, reader, entity, run, retry or RetryPolicy(), progress, log)
        try:
            done.append(puller.run(full))
        except PullFailed as exc:
            done.append(puller.result)
            exc.summary = PullSummary(connection, run, full, tuple(done), time.perf_counter() - clock)
            log.error("pull.failed", entity=entity.value, retriable=exc.retriable, error=str(exc))
            raise
    summary = PullSummary(connection, run, full, tuple(done), time.perf_counter() - clock)
    log.info("pull.finished", pages=summary.pages, records_seen=summary.records_seen, rows=summary.rows_written)
    return summary


class _EntityPuller:
    """One entity's part of a run: resume a sweep under way, then sweep afresh."""

    def __init__(
        self,
        store: Store,
        connection: str,
        reader: ChangeReader,
        entity: Entity,
        run_id: str,
        retry: RetryPolicy,
        progress: PullProgress | None,
        log: Any,
    ) -> None:
        self.engine = store.engine
        self.connection = connection
        self.reader = reader
        self.entity = entity
        self.run_id = run_id
        self.retry = retry
        self.progress = progress
        self.blind = not reports_deletions(reader)
        self.log = log.bind(entity=entity.value)
        self.result = EntityPull(entity)

    def run(self, full: bool) -> EntityPull:
        state = self._load()
        self.result = replace(self.result, cursor=state.cursor)
        if full and not (state.in_progress and state.sweep_full):
            self._sweep(state, fresh=True, full=True)
        else:
            if state.in_progress:
                self.result = replace(self.result, resumed=True)
                self.log.info("pull.sweep_resumed", full=state.sweep_full, pages_before=state.counts.pages)
                self._sweep(state, fresh=False, full=state.sweep_full)
                state = self._load()
            self._sweep(state, fresh=True, full=False)
        return self.result

    def _load(self) -> PullState:
        with self.engine.connect() as conn:
            return load_state(conn, self.connection, self.entity)

    def _sweep(self, state: PullState, *, fresh: bool, full: bool) -> None:
        since = None if full else state.cursor
        token = None if fresh else state.page_token
        position = state.position
        if fresh:
            self.log.info("pull.sweep_started", full=full, since=None if since is None else since.isoformat())
        while True:
            page = self._fetch(since, token)
            crash_point("pull.page_fetched")
            if token is not None and page.next_page_token == token:
                raise PullConfigError(f"{self.entity}: the ERP returned the token of the page it served again")
            with source_transaction(self.engine, self.connection) as conn:
                stored = load_state(conn, self.connection, self.entity)
                if stored.position != position:
                    raise PullConflict(
                        f"the pull state of {self.connection!r} {self.entity} changed during this run: "
                        "another pull of this connection is running (run one at a time)"
                    )
                sweep = (
                    replace(stored, sweep_started_at=as_utc(page.served_at), sweep_full=full, counts=SweepCounts())
                    if token is None
                    else stored
                )
                if token is None and self.blind and full:
                    clear_seen(conn, self.connection, self.entity)
                records = last_word(self.entity, page.changes)
                counts = self._apply(conn, records, len(page.changes))
                if self.blind and sweep.sweep_full:
                    mark_seen(conn, self.connection, self.entity, records.live)
                last = page.next_page_token is None
                if last and self.blind and sweep.sweep_full:
                    counts = _plus(counts, self._supersede_unseen(conn))
                    clear_seen(conn, self.connection, self.entity)
                total = _plus(sweep.counts, counts)
                if last:
                    new = replace(
                        sweep,
                        cursor=sweep.sweep_started_at,
                        sweep_started_at=None,
                        sweep_full=False,
                        page_token=None,
                        counts=total,
                        last_sweep_finished_at=datetime.now(UTC),
                        run_id=self.run_id,
                    )
                else:
                    new = replace(sweep, page_token=page.next_page_token, counts=total, run_id=self.run_id)
                save_state(conn, new)
                crash_point("pull.page_written")  # inside the transaction: nothing of the page is kept
            crash_point("pull.page_committed")
            self._count(counts, new, last)
            self.log.debug(
                "pull.page_committed",
                page=new.counts.pages,
                records=len(page.changes),
                inserted=counts.inserted,
                updated=counts.updated,
                deleted=counts.deleted,
            )
            if self.progress is not None:
                self.progress(self.entity.value, self.result.pages, self.result.records_seen)
            if last:
                crash_point("pull.sweep_done")
                self.log.info(
                    "pull.sweep_done",
                    pages=total.pages,
                    records_seen=total.records_seen,
                    inserted=total.inserted,
                    updated=total.updated,
                    deleted=total.deleted,
                    cursor=None if new.cursor is None else new.cursor.isoformat(),
                )
                return
            token, position = page.next_page_token, new.position

    def _fetch(self, since: datetime | None, token: str | None) -> ChangePage:
        def on_retry(attempt: int, wait: float, error: ErpUnavailable) -> None:
            self.log.warning("pull.retry", attempt=attempt, wait_seconds=round(wait, 3), error=str(error))

        try:
            return call_with_retries(lambda: self.reader.read_changes(self.entity, since, token), self.retry, on_retry)
        except ErpUnavailable as exc:
            raise PullFailed(
                f"the ERP stayed unavailable while reading {self.entity} ({exc}); "
                "pages committed so far are kept, rerun to resume",
                entity=self.entity.value,
                retriable=True,
            ) from exc
        except ErpError as exc:
            raise PullFailed(f"reading {self.entity} failed: {exc}", entity=self.entity.value, retriable=False) from exc

    def _apply(self, conn: Any, records: PageRecords, rows_read: int) -> SweepCounts:
        """Write one page's records; its counts as a sweep increment of one page."""
        placed = (
            place_writeoffs(conn, self.connection, records.live, records.deleted)
            if self.entity is Entity.WRITEOFFS
            else None
        )
        write = upsert_page(conn, self.connection, table_changes(records, placed), rows_read)
        return _page_counts(write, self.entity, pages=1, seen=rows_read)

    def _supersede_unseen(self, conn: Any) -> SweepCounts:
        """End of a full sweep of a reader blind to deletions: what it did not see is gone."""
        gone = unseen_keys(conn, self.connection, self.entity)
        if not gone:
            return SweepCounts()
        self.log.info("pull.unseen_superseded", records=len(gone))
        counts = self._apply(conn, PageRecords(self.entity, {}, frozenset(gone)), 0)
        return replace(counts, pages=0)

    def _count(self, page: SweepCounts, state: PullState, last: bool) -> None:
        r = self.result
        self.result = replace(
            r,
            pages=r.pages + page.pages,
            records_seen=r.records_seen + page.records_seen,
            inserted=r.inserted + page.inserted,
            updated=r.updated + page.updated,
            deleted=r.deleted + page.deleted,
            unchanged=r.unchanged + page.unchanged,
            sweeps_finished=r.sweeps_finished + (1 if last else 0),
            cursor=state.cursor,
        )


def _page_counts(write: PageWrite, entity: Entity, *, pages: int, seen: int) -> SweepCounts:
    """The page's counts in records of the entity: a payment whose applications alone changed is updated."""
    table = TABLE_OF[entity].table
    c = write.counts[table]
    updated, unchanged = c.updated, c.unchanged
    if entity is Entity.PAYMENTS:
        only_applications = len(write.touched.get("applications", frozenset()) - write.touched[table])
        updated, unchanged = updated + only_applications, unchanged - only_applications
    return SweepCounts(pages, seen, c.inserted, updated, c.deleted, unchanged)


def _plus(a: SweepCounts, b: SweepCounts) -> SweepCounts:
    return SweepCounts(
        a.pages + b.pages,
        a.records_seen + b.records_seen,
        a.inserted + b.inserted,
        a.updated + b.updated,
        a.deleted + b.deleted,
        a.unchanged + b.unchanged,
    )
