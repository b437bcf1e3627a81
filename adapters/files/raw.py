"""A sheet as read from disk, before any checking: text cells, known columns, physical line numbers.

Why a shape of its own: CSV files and workbook sheets arrive differently, but every check after
reading should not care which it was. Both readers produce this; the converter takes it from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

LINE = "_line"
"""Column holding each row's physical line (CSV) or row number (workbook), for messages."""


@dataclass(frozen=True, slots=True)
class RawSheet:
    """`frame` has one Utf8 column per known column found (normalized name) plus `LINE` (Int64)."""

    name: str  # the sheet name from the format ('invoices')
    label: str  # how messages name it ('invoices.csv', 'book.xlsx[invoices]')
    frame: pl.DataFrame
    found_columns: tuple[str, ...]  # the header as written, for "columns found: ..." messages
    header_line: int
