"""RFC_READ_TABLE: read rows of an SAP table (KNA1, KNB1, KNKK…) with a WHERE clause, as dicts.

How SAP answers: DATA is a table of WA lines, each the selected fields side by side at the
OFFSET and LENGTH the returned FIELDS table gives (we ask for a delimiter too, but a value may
contain it, so fields are cut by offset). OPTIONS is the WHERE clause in lines of at most 72
characters. Rows come in no defined order; ROWSKIPS/ROWCOUNT page them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from creditbridge.adapters.sap.rfc.connection import RfcConnection

OPTION_LINE = 72
PAGE_ROWS = 5000
DELIMITER = "|"


def where_lines(conditions: Sequence[str]) -> list[dict[str, str]]:
    """`conditions` joined by AND, split into OPTIONS lines of at most 72 characters (never inside a word)."""
    lines: list[str] = []
    current = ""
    for n, condition in enumerate(conditions):
        for word in (("AND",) if n else ()) + tuple(condition.split(" ")):
            candidate = f"{current} {word}".strip()
            if len(candidate) > OPTION_LINE and current:
                lines.append(current)
                current = word
            else:
                current = candidate
    if current:
        lines.append(current)
    return [{"TEXT": line} for line in lines]


def quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def read_table(
    connection: RfcConnection,
    table: str,
    fields: Sequence[str],
    conditions: Sequence[str] = (),
    page_rows: int = PAGE_ROWS,
) -> Iterator[dict[str, str]]:
    """Every row of `table` matching all `conditions`, as {field: rstripped text}, page by page."""
    skip = 0
    while True:
        answer = connection.call(
            "RFC_READ_TABLE",
            QUERY_TABLE=table,
            DELIMITER=DELIMITER,
            FIELDS=[{"FIELDNAME": name} for name in fields],
            OPTIONS=where_lines(conditions),
            ROWSKIPS=skip,
            ROWCOUNT=page_rows,
        )
        layout = [(str(f["FIELDNAME"]), int(f["OFFSET"]), int(f["LENGTH"])) for f in answer.get("FIELDS", [])]
        data: list[Any] = answer.get("DATA", [])
        for line in data:
            wa = str(line["WA"])
            yield {name: wa[offset : offset + length].strip() for name, offset, length in layout}
        if len(data) < page_rows:
            return
        skip += page_rows
