"""Server-side sorting, paging and CSV export of the workspace's lists.

A list is rows of plain values and its columns; the query string says `sort`, `dir` and `page`.
Sorting puts empty values last in either direction; a sort key that is not a column is ignored
(so a hand-edited URL cannot break the page). CSV is the whole sorted list, not one page.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

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
    """Other query parameters the list's links carry on (an as-of date, say)."""

    def link(self, **changes: Any) -> str:
        """The query string of this list with `changes` (sort, dir, page) applied."""
        params = {"sort": self.sort, "dir": "desc" if self.descending else "asc", "page": self.page, **changes}
        return "?" + urlencode([*self.keep, *params.items()])

    def sort_link(self, key: str) -> str:
        descending = not self.descending if key == self.sort else False
        return self.link(sort=key, dir="desc" if descending else "asc", page=1)


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
            keep: tuple[tuple[str, str], ...] = ()) -> Page:  # fmt: skip
    ordered, key, descending = sorted_rows(rows, columns, sort, direction, default)
    pages = max(1, -(-len(ordered) // size))
    number = min(max(1, page or 1), pages)
    start = (number - 1) * size
    return Page(tuple(columns), tuple(ordered[start : start + size]), key, descending, number, pages, len(ordered),
                keep)  # fmt: skip


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
