"""Read one CSV file of a ledger folder into a `RawSheet`, every cell as text.

Why read everything as text: type inference would turn '00123' into 123 and '1e5' into 100000.0
silently; the converter decides what a cell means and says so when it cannot. Line numbers are
the physical lines an editor shows (header = 1), including blank lines and quoted line breaks.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl

from creditbridge.adapters.files.errors import IssueLog
from creditbridge.adapters.files.raw import LINE, RawSheet
from creditbridge.adapters.files.schema import SheetSpec, normalize_header


def read_csv_sheet(path: Path, spec: SheetSpec, log: IssueLog) -> RawSheet | None:
    """The file's known columns as text with line numbers; None (and issues logged) if unreadable."""
    label = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        log.add(label, None, None, f"cannot be read: {exc.strerror or exc}")
        return None
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        log.add(label, None, None, f"the file is empty (expected a header line: {', '.join(spec.required_columns)})")
        return None
    header = _header(data)
    if len(header) == 1 and ";" in header[0]:
        log.add(label, 1, None, "the header has one column only; the file seems ';'-separated, but it must use ','")
        return None
    wanted = {c.name for c in spec.columns}
    first_at: dict[str, int] = {}
    for position, text in enumerate(header):
        name = normalize_header(text)
        if name not in wanted:
            continue
        if name in first_at:
            log.add(label, 1, name, f"the column appears twice (columns {first_at[name] + 1} and {position + 1})")
            continue
        first_at[name] = position
    by_position = sorted((pos, name) for name, pos in first_at.items())

    found = tuple(h.strip() for h in header)
    if not by_position:
        return RawSheet(spec.name, label, pl.DataFrame(schema={LINE: pl.Int64}), found, 1)
    try:
        # Only the known columns are parsed; extra columns cost nothing.
        df = pl.read_csv(data, infer_schema=False, encoding="utf8", columns=[pos for pos, _ in by_position])
        if data.count(b"\n") != _simple_newlines(df.height, data):
            # Quoted line breaks (or no known column): count lines over every column.
            every = pl.read_csv(data, infer_schema=False, encoding="utf8")
            lines = _physical_lines(every, data)
        else:
            lines = pl.int_range(2, df.height + 2, dtype=pl.Int64, eager=True)
    except pl.exceptions.PolarsError as exc:
        _explain_unreadable(data, label, exc, log)
        return None

    # One chunk per column: polars parses in parallel chunks, and every later step that lines the
    # columns up with LINE would otherwise copy them again.
    body = df.rename(dict(zip(df.columns, [name for _, name in by_position], strict=True)))
    body = body.with_columns(lines.alias(LINE)).rechunk()
    return RawSheet(spec.name, label, body, found, 1)


def _header(data: bytes) -> list[str]:
    """The header fields as written (the first line, BOM removed)."""
    end = data.find(b"\n")
    first = (data if end < 0 else data[:end]).decode("utf-8", errors="replace").lstrip("\ufeff")
    return next(csv.reader([first.rstrip("\r")]), [])


def _simple_newlines(n_rows: int, data: bytes) -> int:
    """Newlines in a file of a header and `n_rows` rows with no quoted line break."""
    return n_rows + 1 if data.endswith(b"\n") else n_rows


def _physical_lines(df: pl.DataFrame, data: bytes) -> pl.Series:
    """Line number of each data row (header = line 1), counting line breaks inside quoted values."""
    breaks = df.select(
        pl.sum_horizontal(pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in df.columns)
        .cast(pl.Int64)
        .alias("n")
    ).to_series()
    return pl.int_range(2, df.height + 2, eager=True, dtype=pl.Int64) + breaks.cum_sum().shift(1, fill_value=0)


def _explain_unreadable(data: bytes, label: str, exc: Exception, log: IssueLog) -> None:
    """Polars says only 'invalid utf-8' or 'more fields'; find the line so the user can fix it."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as bad:
        line = data.count(b"\n", 0, bad.start) + 1
        log.add(label, line, None, "is not UTF-8 text (save the file as 'CSV UTF-8')")
        return
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    width: int | None = None
    found = False
    for row in reader:
        if width is None:
            width = len(row)
            continue
        if len(row) > width and log.room:
            log.add(
                label,
                reader.line_num,
                None,
                f"has {len(row)} values but the header has {width} columns (a ',' inside a value needs quotes)",
            )
            found = True
    if not found:
        log.add(label, None, None, f"cannot be read as CSV: {exc}")
