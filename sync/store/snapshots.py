"""Column snapshots: the KPI columns of a source's latest full import, stored beside the replica.

Why: reading a million items row by row out of SQLite costs several seconds however it is done
(the per-value work is inside SQLite, and its threads contend on a global mutex), while the
same columns as a compressed Arrow IPC blob load in a tenth of a second. A full import knows
the source's whole current state (it is the input), so it writes the snapshot in the same
transaction, tagged with its import id. `load_columns` uses a snapshot only when that id is
exactly the snapshot it needs (current, or the one valid at `known_at`); anything else reads
the versioned rows. An incremental import drops the source's snapshot, as does a migration
that changes what a snapshot holds. Only the latest snapshot per source is kept.
"""

from __future__ import annotations

import io

import polars as pl
import sqlalchemy as sa

from creditbridge.sync.store import schema

FORMAT = "arrow-ipc-zstd/v1"
_CHUNK_ROWS = 1_000_000  # one blob per million rows keeps each far below the 1 GB value limits

PARTS: dict[str, dict[str, pl.DataType]] = {
    "customers": {"customer_id": pl.Utf8(), "name": pl.Utf8()},
    "items": {
        "item_id": pl.Utf8(),
        "customer_id": pl.Utf8(),
        "doc_type": pl.Utf8(),
        "invoice_date": pl.Date(),
        "due_date": pl.Date(),
        "currency": pl.Utf8(),
        "amount": pl.Int64(),
        "open_amount": pl.Int64(),
    },
    "applications": {"item_id": pl.Utf8(), "date": pl.Date(), "amount": pl.Int64()},
    "writeoffs": {"item_id": pl.Utf8(), "date": pl.Date(), "amount": pl.Int64()},
}
"""What a snapshot holds, per part: the columns `load_columns` reads from the replica."""


def parts_of(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The snapshot parts of an import's prepared frames (named as the replica's columns)."""
    return {
        "customers": frames["customers"].select(list(PARTS["customers"])),
        "items": frames["invoices"].select(list(PARTS["items"])),
        "applications": frames["applications"].select("item_id", pl.col("applied_on").alias("date"), "amount"),
        "writeoffs": frames["writeoffs"].select("item_id", pl.col("written_off_on").alias("date"), "amount"),
    }


def drop(conn: sa.Connection, source: str) -> None:
    """Forget the source's snapshot (its current state is no longer known in full)."""
    conn.execute(sa.delete(schema.column_snapshots).where(schema.column_snapshots.c.source == source))


def write(conn: sa.Connection, source: str, import_id: int, parts: dict[str, pl.DataFrame]) -> None:
    """Replace the source's snapshot by `parts`, valid as of `import_id`."""
    drop(conn, source)
    rows = []
    for part, frame in parts.items():
        for chunk, offset in enumerate(range(0, max(frame.height, 1), _CHUNK_ROWS)):
            buffer = io.BytesIO()
            piece = frame.slice(offset, _CHUNK_ROWS).cast(PARTS[part])  # type: ignore[arg-type]
            piece.write_ipc(buffer, compression="zstd")
            rows.append(
                {
                    "source": source,
                    "part": part,
                    "chunk": chunk,
                    "import_id": import_id,
                    "format": FORMAT,
                    "n_rows": piece.height,
                    "data": buffer.getvalue(),
                }
            )
    conn.execute(sa.insert(schema.column_snapshots), rows)


def read(conn: sa.Connection, source: str, import_id: int) -> dict[str, pl.DataFrame] | None:
    """The source's snapshot if it is the one of `import_id` and complete, else None."""
    table = schema.column_snapshots
    rows = conn.execute(
        sa.select(table.c.part, table.c.n_rows, table.c.data)
        .where(table.c.source == source, table.c.import_id == import_id, table.c.format == FORMAT)
        .order_by(table.c.part, table.c.chunk)
    ).all()
    pieces: dict[str, list[pl.DataFrame]] = {}
    for part, n_rows, data in rows:
        frame = pl.read_ipc(io.BytesIO(data))
        if frame.height != n_rows or part not in PARTS:
            return None
        pieces.setdefault(part, []).append(frame)
    if set(pieces) != set(PARTS):
        return None
    return {part: pl.concat(frames) for part, frames in pieces.items()}
