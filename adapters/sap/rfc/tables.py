"""Typed reads of the ECC tables the adapter needs, through RFC_READ_TABLE (read_table.py)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from creditbridge.adapters.sap.rfc.read_table import quoted, read_table
from creditbridge.adapters.sap.rfc.session import RfcSession

IN_CHUNK = 100
"""Values per IN list: OPTIONS lines are 72 characters each and the statement has a length limit."""


class _SessionConnection:
    """RfcSession as the plain connection read_table expects (errors already translated)."""

    def __init__(self, session: RfcSession) -> None:
        self.session = session

    def call(self, function: str, **params: Any) -> dict[str, Any]:
        return self.session.call(function, **params)

    def close(self) -> None:
        self.session.close()


def rows(
    session: RfcSession, table: str, fields: Sequence[str], conditions: Sequence[str] = ()
) -> list[dict[str, str]]:
    return list(read_table(_SessionConnection(session), table, fields, conditions))


def rows_in(
    session: RfcSession,
    table: str,
    fields: Sequence[str],
    field: str,
    values: Sequence[str],
    conditions: Sequence[str] = (),
) -> Iterator[dict[str, str]]:
    """Rows whose `field` is one of `values`, asked for in chunks."""
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        condition = f"{field} IN ( {' , '.join(quoted(v) for v in chunk)} )"
        yield from read_table(_SessionConnection(session), table, fields, [condition, *conditions])


def in_list(field: str, values: Sequence[str]) -> str:
    return f"{field} IN ( {' , '.join(quoted(v) for v in values)} )"
