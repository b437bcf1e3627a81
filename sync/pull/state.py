"""Reading and writing the pull's own tables (see `creditbridge.sync.store.pull_tables`).

Everything here runs on the caller's connection, inside the page transaction that also writes the
page's replica rows: the state of a sweep never gets ahead of (or behind) the rows it covers.
Timestamps are stored as naive UTC and handed out timezone-aware (ERPs compare aware instants).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from creditbridge.core.model import WriteOff
from creditbridge.core.ports import Entity
from creditbridge.sync.pull.replica_rows import TABLE_OF, WriteoffKey
from creditbridge.sync.store import schema
from creditbridge.sync.store.pull_tables import pull_seen, pull_state, pull_writeoff_keys


def to_store(moment: datetime) -> datetime:
    """A naive UTC timestamp for the store (a naive input is taken to be UTC already)."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def from_store(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


def as_utc(moment: datetime) -> datetime:
    """`moment` as an aware UTC datetime (a naive one is taken to be UTC already)."""
    stored = from_store(to_store(moment))
    assert stored is not None
    return stored


@dataclass(frozen=True)
class SweepCounts:
    """Counters of one sweep (they survive a crash: stored with each page)."""

    pages: int = 0
    records_seen: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class PullState:
    """Where a connection's pull of one entity stands.

    `cursor`: the inclusive cursor of the last finished sweep (None: never finished one).
    While a sweep is under way, `sweep_started_at` is the served_at of its first page (the next
    cursor), `page_token` the token of the next page to fetch, and `sweep_full` whether it reads
    everything (since None) rather than from the cursor.
    """

    connection: str
    entity: Entity
    cursor: datetime | None = None
    sweep_started_at: datetime | None = None
    sweep_full: bool = False
    page_token: str | None = None
    counts: SweepCounts = SweepCounts()
    last_sweep_finished_at: datetime | None = None
    run_id: str | None = None

    @property
    def in_progress(self) -> bool:
        return self.sweep_started_at is not None

    @property
    def since(self) -> datetime | None:
        """The `since` of the sweep under way (or of the next one): None for a full sweep."""
        return None if self.sweep_full else self.cursor

    @property
    def position(self) -> tuple[datetime | None, datetime | None, str | None]:
        """What must not change between fetching a page and committing it (see `load_state`)."""
        return (self.cursor, self.sweep_started_at, self.page_token)


def load_state(conn: sa.Connection, connection: str, entity: Entity) -> PullState:
    """The stored state (a blank one if the entity was never pulled on this connection)."""
    row = (
        conn.execute(
            sa.select(pull_state).where(pull_state.c.connection == connection, pull_state.c.entity == entity.value)
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        return PullState(connection, entity)
    return _state_of(row)


def load_states(conn: sa.Connection, connection: str | None = None) -> list[PullState]:
    """Every stored state (of one connection, if given), by connection and entity."""
    query = sa.select(pull_state).order_by(pull_state.c.connection, pull_state.c.entity)
    if connection is not None:
        query = query.where(pull_state.c.connection == connection)
    return [_state_of(row) for row in conn.execute(query).mappings()]


def _state_of(row: sa.RowMapping) -> PullState:
    return PullState(
        connection=row["connection"],
        entity=Entity(row["entity"]),
        cursor=from_store(row["cursor"]),
        sweep_started_at=from_store(row["sweep_started_at"]),
        sweep_full=bool(row["sweep_full"]),
        page_token=row["page_token"],
        counts=SweepCounts(
            pages=int(row["pages_fetched"]),
            records_seen=int(row["records_seen"]),
            inserted=int(row["rows_inserted"]),
            updated=int(row["rows_updated"]),
            deleted=int(row["rows_deleted"]),
            unchanged=int(row["rows_unchanged"]),
        ),
        last_sweep_finished_at=from_store(row["last_sweep_finished_at"]),
        run_id=row["run_id"],
    )


def save_state(conn: sa.Connection, state: PullState) -> None:
    """Insert or replace the state row of (connection, entity)."""
    values: dict[str, Any] = {
        "cursor": None if state.cursor is None else to_store(state.cursor),
        "sweep_started_at": None if state.sweep_started_at is None else to_store(state.sweep_started_at),
        "sweep_full": state.sweep_full,
        "page_token": state.page_token,
        "pages_fetched": state.counts.pages,
        "records_seen": state.counts.records_seen,
        "rows_inserted": state.counts.inserted,
        "rows_updated": state.counts.updated,
        "rows_deleted": state.counts.deleted,
        "rows_unchanged": state.counts.unchanged,
        "last_sweep_finished_at": (
            None if state.last_sweep_finished_at is None else to_store(state.last_sweep_finished_at)
        ),
        "run_id": state.run_id,
        "updated_at": to_store(datetime.now(UTC)),
    }
    where = (pull_state.c.connection == state.connection) & (pull_state.c.entity == state.entity.value)
    if conn.execute(sa.update(pull_state).where(where).values(**values)).rowcount == 0:
        conn.execute(sa.insert(pull_state).values(connection=state.connection, entity=state.entity.value, **values))


# --- keys seen by a full sweep (readers that cannot report deletions) ------------------------------


def clear_seen(conn: sa.Connection, connection: str, entity: Entity) -> None:
    conn.execute(sa.delete(pull_seen).where(pull_seen.c.connection == connection, pull_seen.c.entity == entity.value))


def mark_seen(conn: sa.Connection, connection: str, entity: Entity, keys: Iterable[str]) -> None:
    """Remember `keys` as seen by the full sweep under way (a key seen twice is kept once)."""
    rows = [{"connection": connection, "entity": entity.value, "erp_key": key} for key in set(keys)]
    if not rows:
        return
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    conn.execute(dialect.insert(pull_seen).values(rows).on_conflict_do_nothing())


def unseen_keys(conn: sa.Connection, connection: str, entity: Entity) -> list[str]:
    """ERP keys of the connection's current replica records of `entity` that the sweep did not see."""
    seen = sa.select(pull_seen.c.erp_key).where(
        pull_seen.c.connection == connection, pull_seen.c.entity == entity.value
    )
    if entity is Entity.WRITEOFFS:
        w, m = schema.writeoffs, pull_writeoff_keys
        query = (
            sa.select(m.c.erp_key)
            .join(w, (w.c.source == m.c.source) & (w.c.item_id == m.c.item_id) & (w.c.seq == m.c.seq))
            .where(m.c.source == connection, w.c.valid_to.is_(None), m.c.erp_key.not_in(seen))
        )
    else:
        table = schema.metadata.tables[TABLE_OF[entity].table]
        key = table.c[TABLE_OF[entity].key_names[0]]
        query = sa.select(key).where(table.c.source == connection, table.c.valid_to.is_(None), key.not_in(seen))
    return sorted(conn.execute(query).scalars())


# --- write-off keys: the ERP's key of a write-off ↔ the replica's (item_id, seq) --------------------


def place_writeoffs(
    conn: sa.Connection, source: str, live: Mapping[str, object], deleted: Collection[str]
) -> dict[str, WriteoffKey]:
    """(item_id, seq) of each write-off key of a page, assigning new ones for unseen keys.

    A known key keeps its place; a new key (or one whose write-off moved to another item) gets
    the item's next free seq - above every seq the item ever had in the replica or the mapping,
    so a number is never reused for a different write-off. A deleted key that was never pulled
    has no place (and nothing to delete). The old place of a moved write-off is returned under
    its key with a `#moved` suffix, so the page supersedes it.
    """
    keys = sorted({*live, *deleted})
    known: dict[str, WriteoffKey] = {}
    m = pull_writeoff_keys
    for offset in range(0, len(keys), 500):
        chunk = keys[offset : offset + 500]
        query = sa.select(m.c.erp_key, m.c.item_id, m.c.seq).where(m.c.source == source, m.c.erp_key.in_(chunk))
        known.update({key: (item_id, int(seq)) for key, item_id, seq in conn.execute(query)})
    placed = dict(known)
    next_seq: dict[str, int] = {}
    for key, record in live.items():
        assert isinstance(record, WriteOff)
        old = known.get(key)
        if old is not None and old[0] == record.item_id:
            continue
        if old is not None:
            placed[f"{key}#moved"] = old
        item_id = record.item_id
        if item_id not in next_seq:
            next_seq[item_id] = _max_seq(conn, source, item_id) + 1
        placed[key] = (item_id, next_seq[item_id])
        next_seq[item_id] += 1
        values = {"item_id": item_id, "seq": placed[key][1]}
        if old is None:
            conn.execute(sa.insert(m).values(source=source, erp_key=key, **values))
        else:
            conn.execute(sa.update(m).where(m.c.source == source, m.c.erp_key == key).values(**values))
    return placed


def _max_seq(conn: sa.Connection, source: str, item_id: str) -> int:
    w, m = schema.writeoffs, pull_writeoff_keys
    in_replica = sa.select(sa.func.max(w.c.seq)).where(w.c.source == source, w.c.item_id == item_id)
    in_mapping = sa.select(sa.func.max(m.c.seq)).where(m.c.source == source, m.c.item_id == item_id)
    found = [conn.execute(q).scalar_one_or_none() for q in (in_replica, in_mapping)]
    return max((int(v) for v in found if v is not None), default=-1)
