"""Read the ledger sheets of an .xlsx workbook into `RawSheet`s, every cell turned into text.

Why text again: the CSV path and the workbook path then share one converter, so a workbook is
checked exactly like a folder of CSV files. Excel's typed cells are turned into the text a person
would have typed: dates as YYYY-MM-DD, numbers by their shortest repr (never kept as floats, so
0.1 + 0.2 shows up as '0.30000000000000004' and is refused rather than silently rounded).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import polars as pl

from creditbridge.adapters.files.errors import IssueLog
from creditbridge.adapters.files.raw import LINE, RawSheet
from creditbridge.adapters.files.schema import SHEETS_BY_NAME, SheetSpec, normalize_header


def cell_text(value: Any) -> str | None:
    """The text of a cell as a person would have typed it; None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def read_workbook(path: Path, log: IssueLog) -> dict[str, RawSheet]:
    """The ledger sheets found in the workbook (by sheet name, case-insensitive); others are ignored."""
    import openpyxl  # deferred: most ledgers are CSV, and openpyxl takes ~0.1 s to import
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        log.add(path.name, None, None, f"cannot be opened as an .xlsx workbook ({exc})")
        return {}
    sheets: dict[str, RawSheet] = {}
    titles: dict[str, str] = {}
    try:
        for worksheet in workbook.worksheets:
            name = normalize_header(worksheet.title)
            spec = SHEETS_BY_NAME.get(name)
            if spec is None:
                continue
            if name in titles:
                log.add(path.name, None, None, f"has two sheets named {titles[name]!r} and {worksheet.title!r}")
                continue
            titles[name] = worksheet.title
            sheet = _read_sheet(worksheet, spec, f"{path.name}[{worksheet.title}]", log)
            if sheet is not None:
                sheets[name] = sheet
    finally:
        workbook.close()
    return sheets


def _read_sheet(worksheet: Any, spec: SheetSpec, label: str, log: IssueLog) -> RawSheet | None:
    # Some writers store a wrong sheet dimension; without a reset, read-only mode would cut columns.
    worksheet.reset_dimensions()
    rows = worksheet.iter_rows(min_row=1, values_only=True)
    header_line = 0
    header: list[str] = []
    for number, row in enumerate(rows, start=1):
        if any(v is not None and str(v).strip() for v in row):
            header_line = number
            header = [str(v).strip() if v is not None else "" for v in row]
            break
    if not header_line:
        log.add(label, None, None, f"the sheet is empty (expected a header row: {', '.join(spec.required_columns)})")
        return None

    wanted = {c.name for c in spec.columns}
    positions: dict[str, int] = {}
    for position, text in enumerate(header):
        name = normalize_header(text)
        if name not in wanted:
            continue
        if name in positions:
            log.add(
                label, header_line, name, f"the column appears twice (columns {positions[name] + 1} and {position + 1})"
            )
            continue
        positions[name] = position

    columns: dict[str, list[str | None]] = {name: [] for name in positions}
    lines: list[int] = []
    for number, row in enumerate(rows, start=header_line + 1):
        if all(v is None for v in row):
            continue
        lines.append(number)
        width = len(row)
        for name, position in positions.items():
            columns[name].append(cell_text(row[position]) if position < width else None)
    frame = pl.DataFrame(
        {**columns, LINE: lines},
        schema={**dict.fromkeys(positions, pl.String), LINE: pl.Int64},
    )
    return RawSheet(spec.name, label, frame, tuple(header), header_line)
