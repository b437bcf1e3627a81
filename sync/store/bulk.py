"""Moving millions of rows between polars frames and the database, per dialect.

Why not the ORM or plain `insert()`: building a Python object per row and binding it through
SQLAlchemy's type machinery costs more than the database's own work. Writes go through the
DBAPI directly (sqlite3 `executemany` of plain tuples; psycopg `COPY ... FROM STDIN` of CSV that
polars writes); reads avoid a Python object per value where the database allows it (SQLite
`group_concat` of NOT NULL columns, split by polars; PostgreSQL `COPY ... TO STDOUT`).
All of it runs on the caller's connection, inside the caller's transaction.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlalchemy as sa

_SEP = "\x1f"  # ASCII unit separator: joins values in SQLite group_concat reads
_INSERT_CHUNK_SQLITE = 50_000
_INSERT_CHUNK_POSTGRES = 200_000
_UPDATE_CHUNK = 100_000


@dataclass(frozen=True, slots=True)
class ReadColumn:
    """A column to read: its name in the frame, the SQL expression, the polars type, nullability."""

    name: str
    expr: str
    dtype: pl.DataType
    nullable: bool = False


def column(name: str, dtype: pl.DataType, nullable: bool = False, expr: str | None = None) -> ReadColumn:
    """A ReadColumn selecting `name` itself (booleans are read as 0/1 on both databases)."""
    if expr is None:
        expr = f"CAST({name} AS INTEGER)" if dtype == pl.Boolean else name
    return ReadColumn(name, expr, dtype, nullable)


def _driver(conn: sa.Connection) -> Any:
    return conn.connection.driver_connection


def _from_text(series: pl.Series, dtype: pl.DataType) -> pl.Series:
    """Convert a column read as text (or as plain Python values) to its polars type."""
    if dtype == pl.Date:
        if series.dtype == pl.Date:
            return series
        return series.cast(pl.Utf8).str.to_date("%Y-%m-%d")
    if dtype == pl.Boolean:
        return series.cast(pl.Int64).cast(pl.Boolean)
    return series.cast(dtype)


def _empty(columns: Sequence[ReadColumn]) -> pl.DataFrame:
    return pl.DataFrame(schema={c.name: c.dtype for c in columns})


class BulkIO:
    """Dialect-specific bulk reads and writes (use `bulk_io(connection)`)."""

    placeholder = "?"

    def read(
        self, conn: sa.Connection, columns: Sequence[ReadColumn], from_where: str, params: Sequence[object]
    ) -> pl.DataFrame:
        """`SELECT <columns> <from_where>` as a frame typed as the columns say."""
        raise NotImplementedError

    def insert(self, conn: sa.Connection, table: str, frame: pl.DataFrame, on_chunk: Callable[[int], None]) -> None:
        """Insert all rows of `frame` (columns named as the table's); `on_chunk(rows)` after each chunk."""
        raise NotImplementedError

    def close_versions(self, conn: sa.Connection, table: str, row_ids: pl.Series, import_id: int) -> None:
        """Set `valid_to = import_id` on the given version rows."""
        raise NotImplementedError

    def set_hashes(self, conn: sa.Connection, table: str, frame: pl.DataFrame) -> None:
        """Rewrite `content_hash` of rows (frame: row_id, content_hash) in place."""
        raise NotImplementedError


class SqliteBulkIO(BulkIO):
    placeholder = "?"

    def read(
        self, conn: sa.Connection, columns: Sequence[ReadColumn], from_where: str, params: Sequence[object]
    ) -> pl.DataFrame:
        cursor = _driver(conn).cursor()
        try:
            if not any(c.nullable for c in columns):
                dense = self._read_dense(cursor, columns, from_where, params)
                if dense is not None:
                    return dense
            cursor.execute(f"SELECT {', '.join(c.expr for c in columns)} {from_where}", tuple(params))
            rows = cursor.fetchall()
        finally:
            cursor.close()
        if not rows:
            return _empty(columns)
        values = list(zip(*rows, strict=True))
        return pl.DataFrame(
            [
                _from_text(pl.Series(c.name, v, dtype=_raw_type(c.dtype), strict=False), c.dtype)
                for c, v in zip(columns, values, strict=True)
            ]
        )

    @staticmethod
    def _read_dense(
        cursor: sqlite3.Cursor, columns: Sequence[ReadColumn], from_where: str, params: Sequence[object]
    ) -> pl.DataFrame | None:
        """All values of each column as one separator-joined string: no Python object per value.

        Returns None (caller falls back to fetchall) when a value contains the separator, which
        shows as a column whose split length differs from the row count, or when the joined
        string is too long for SQLite.
        """
        aggregates = ", ".join(f"group_concat({c.expr}, char(31))" for c in columns)
        try:
            cursor.execute(f"SELECT count(*), {aggregates} {from_where}", tuple(params))
        except (sqlite3.DataError, sqlite3.OperationalError) as exc:
            if "too big" in str(exc):
                return None
            raise
        count, *joined = cursor.fetchone()
        if count == 0:
            return _empty(columns)
        series: list[pl.Series] = []
        for c, text in zip(columns, joined, strict=True):
            parts = pl.Series(c.name, [text], dtype=pl.Utf8).str.split(_SEP).explode()
            if len(parts) != count:
                return None
            series.append(_from_text(parts, c.dtype))
        return pl.DataFrame(series)

    def insert(self, conn: sa.Connection, table: str, frame: pl.DataFrame, on_chunk: Callable[[int], None]) -> None:
        if frame.is_empty():
            return
        frame = frame.with_columns(pl.col(pl.Date).cast(pl.Utf8))  # SQLAlchemy's DATE text format
        names = frame.columns
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        cursor = _driver(conn).cursor()
        try:
            for offset in range(0, frame.height, _INSERT_CHUNK_SQLITE):
                chunk = frame.slice(offset, _INSERT_CHUNK_SQLITE)
                cursor.executemany(sql, chunk.rows())
                on_chunk(chunk.height)
        finally:
            cursor.close()

    def close_versions(self, conn: sa.Connection, table: str, row_ids: pl.Series, import_id: int) -> None:
        if row_ids.is_empty():
            return
        cursor = _driver(conn).cursor()
        try:
            sql = f"UPDATE {table} SET valid_to = {int(import_id)} WHERE row_id = ?"
            for offset in range(0, len(row_ids), _UPDATE_CHUNK):
                cursor.executemany(sql, ((i,) for i in row_ids.slice(offset, _UPDATE_CHUNK).to_list()))
        finally:
            cursor.close()

    def set_hashes(self, conn: sa.Connection, table: str, frame: pl.DataFrame) -> None:
        if frame.is_empty():
            return
        cursor = _driver(conn).cursor()
        try:
            cursor.executemany(
                f"UPDATE {table} SET content_hash = ? WHERE row_id = ?",
                frame.select("content_hash", "row_id").rows(),
            )
        finally:
            cursor.close()


class PostgresBulkIO(BulkIO):
    placeholder = "%s"

    def read(
        self, conn: sa.Connection, columns: Sequence[ReadColumn], from_where: str, params: Sequence[object]
    ) -> pl.DataFrame:
        # CSV cannot tell the NULL marker from a value equal to it, so nullable text travels with
        # a one-character prefix (NULL stays NULL) and only nullable columns know the marker.
        prefixed = {c.name for c in columns if c.nullable and c.dtype == pl.Utf8}
        exprs = [f"'v' || {c.expr}" if c.name in prefixed else c.expr for c in columns]
        buffer = io.BytesIO()
        select = f"SELECT {', '.join(exprs)} {from_where}"
        with (
            _driver(conn).cursor() as cursor,
            cursor.copy(f"COPY ({select}) TO STDOUT (FORMAT csv, NULL '\\N')", tuple(params)) as copy,
        ):
            for data in copy:
                buffer.write(data)
        if buffer.tell() == 0:
            return _empty(columns)
        buffer.seek(0)
        text = pl.read_csv(
            buffer,
            has_header=False,
            schema={c.name: pl.Utf8 for c in columns},
            null_values={c.name: "\\N" for c in columns if c.nullable},
            empty_string_is_null=False,
        )
        return pl.DataFrame(
            [_from_text(text[c.name].str.slice(1) if c.name in prefixed else text[c.name], c.dtype) for c in columns]
        )

    def insert(self, conn: sa.Connection, table: str, frame: pl.DataFrame, on_chunk: Callable[[int], None]) -> None:
        if frame.is_empty():
            return
        sql = f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN (FORMAT csv, NULL '\\N')"
        with _driver(conn).cursor() as cursor:
            for offset in range(0, frame.height, _INSERT_CHUNK_POSTGRES):
                chunk = frame.slice(offset, _INSERT_CHUNK_POSTGRES)
                data = chunk.write_csv(
                    include_header=False, null_value="\\N", quote_style="non_numeric", date_format="%Y-%m-%d"
                )
                with cursor.copy(sql) as copy:
                    copy.write(data)
                on_chunk(chunk.height)

    def close_versions(self, conn: sa.Connection, table: str, row_ids: pl.Series, import_id: int) -> None:
        with _driver(conn).cursor() as cursor:
            for offset in range(0, len(row_ids), _UPDATE_CHUNK):
                cursor.execute(
                    f"UPDATE {table} SET valid_to = %s WHERE row_id = ANY(%s)",
                    (import_id, row_ids.slice(offset, _UPDATE_CHUNK).to_list()),
                )

    def set_hashes(self, conn: sa.Connection, table: str, frame: pl.DataFrame) -> None:
        if frame.is_empty():
            return
        with _driver(conn).cursor() as cursor:
            for offset in range(0, frame.height, _UPDATE_CHUNK):
                chunk = frame.slice(offset, _UPDATE_CHUNK)
                cursor.execute(
                    f"UPDATE {table} AS t SET content_hash = v.h FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, h)"
                    " WHERE t.row_id = v.id",
                    (chunk["row_id"].to_list(), chunk["content_hash"].to_list()),
                )


def _raw_type(dtype: pl.DataType) -> pl.DataType:
    """The type a column has as the driver returns it (dates as text, booleans as 0/1)."""
    if dtype == pl.Date:
        return pl.Utf8()
    if dtype == pl.Boolean:
        return pl.Int64()
    return dtype


def bulk_io(conn: sa.Connection | sa.Engine) -> BulkIO:
    """The bulk reader/writer for the connection's (or engine's) database."""
    return PostgresBulkIO() if conn.dialect.name == "postgresql" else SqliteBulkIO()
