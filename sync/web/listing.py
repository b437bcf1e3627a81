"""Server-side filtering, sorting, paging and CSV/XLSX export of the workspace's lists.

A list is rows of plain values and its columns; the query string says `q` (text that must appear
in a row's text columns), `sort`, `dir` and `page`. Sorting puts empty values last in either
direction; a sort key that is not a column is ignored (so a hand-edited URL cannot break the page).
An export is the whole filtered, sorted list, not one page.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import xlsxwriter
from fastapi.responses import Response

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    numeric: bool = False


@dataclass(frozen=True, slots=True)
class Page:
    columns: tuple[Column, ...]
    rows: tuple[Mapping[str, Any], ...]
    sort: str
    descending: bool
    page: int
    pages: int
    total: int
    keep: tuple[tuple[str, str], ...] = ()
    """Other query parameters the list's links carry on (an as-of date, a filter)."""
    query: str = ""
    """The filter text (`q`) the rows were chosen by."""

    def link(self, **changes: Any) -> str:
        """The query string of this list with `changes` (sort, dir, page) applied."""
        params = {"sort": self.sort, "dir": "desc" if self.descending else "asc", "page": self.page, **changes}
        return "?" + urlencode([*self.keep, *params.items()])

    def sort_link(self, key: str) -> str:
        descending = not self.descending if key == self.sort else False
        return self.link(sort=key, dir="desc" if descending else "asc", page=1)


def filtered_rows(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column],
                  query: str | None) -> Sequence[Mapping[str, Any]]:  # fmt: skip
    """The rows whose text columns contain every word of `query` (case-insensitive); all rows without one."""
    words = (query or "").casefold().split()
    if not words:
        return rows
    text_keys = [c.key for c in columns if not c.numeric]
    return [r for r in rows
            if all(any(w in str(r.get(k) or "").casefold() for k in text_keys) for w in words)]  # fmt: skip


def sorted_rows(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], sort: str | None,
                direction: str | None, default: str) -> tuple[list[Mapping[str, Any]], str, bool]:  # fmt: skip
    keys = {c.key for c in columns}
    key = sort if sort in keys else default
    descending = direction == "desc"
    present = [r for r in rows if r.get(key) is not None and r.get(key) != ""]
    empty = [r for r in rows if r.get(key) is None or r.get(key) == ""]
    present.sort(key=lambda r: r[key], reverse=descending)
    return present + empty, key, descending


def page_of(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], *, sort: str | None, direction: str | None,
            page: int | None, default: str, size: int = PAGE_SIZE,
            keep: tuple[tuple[str, str], ...] = (), query: str | None = None) -> Page:  # fmt: skip
    chosen = filtered_rows(rows, columns, query)
    ordered, key, descending = sorted_rows(chosen, columns, sort, direction, default)
    pages = max(1, -(-len(ordered) // size))
    number = min(max(1, page or 1), pages)
    start = (number - 1) * size
    return Page(tuple(columns), tuple(ordered[start : start + size]), key, descending, number, pages, len(ordered),
                keep, query or "")  # fmt: skip


def csv_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key for c in columns])
    for row in rows:
        writer.writerow([_cell(row.get(c.key)) for c in columns])
    return out.getvalue()


def _cell(value: Any) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is prefixed with a quote."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "@", "\t", "\r"):
        return "'" + value
    return str(value)


def xlsx_bytes(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], sheet: str = "List") -> bytes:
    """The rows as one worksheet: a header row, numbers as numbers (exact decimals written as such)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    ws = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True})
    for col, c in enumerate(columns):
        ws.write_string(0, col, c.title, bold)
        ws.set_column(col, col, max(10, min(40, len(c.title) + 4)))
    for line, row in enumerate(rows, start=1):
        for col, c in enumerate(columns):
            value = row.get(c.key)
            if value is None:
                continue
            if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
                ws.write_number(line, col, value)
            else:
                ws.write_string(line, col, str(value))
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(0, len(rows)), max(0, len(columns) - 1))
    book.close()
    return out.getvalue()


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_response(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], filename: str) -> Response:
    """A download of `rows`: XLSX when `filename` ends in .xlsx, else CSV."""
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if filename.endswith(".xlsx"):
        return Response(xlsx_bytes(rows, columns, filename.rsplit(".", 1)[0]), media_type=XLSX_TYPE,
                        headers=disposition)  # fmt: skip
    return Response(csv_text(rows, columns), media_type="text/csv; charset=utf-8", headers=disposition)
