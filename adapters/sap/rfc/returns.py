"""RETURN parameters of BAPIs, in all three generations, judged the way SAP means them.

A BAPI reports business errors in RETURN (a structure or a table) while the RFC call itself
succeeds: TYPE 'E' (error) or 'A' (abort) is a failure, 'S', 'W', 'I' and blank are not.
BAPIRETURN has CODE (class+number in one), BAPIRETURN1 and BAPIRET2 have ID and NUMBER.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

FAILURE_TYPES = frozenset({"E", "A"})


@dataclass(frozen=True, slots=True)
class ReturnMessage:
    type: str
    id: str
    number: str
    message: str

    @property
    def failed(self) -> bool:
        return self.type in FAILURE_TYPES

    def __str__(self) -> str:
        code = f"{self.id} {self.number}".strip()
        return f"{self.type} {code}: {self.message}" if code else f"{self.type}: {self.message}"


def messages(answer: dict[str, Any], parameter: str = "RETURN") -> tuple[ReturnMessage, ...]:
    """Every message of the RETURN structure or table (empty rows of a structure dropped)."""
    value = answer.get(parameter)
    rows: Iterable[Any] = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    found = []
    for row in rows:
        kind = str(row.get("TYPE", "") or "").strip()
        text = str(row.get("MESSAGE", "") or "").strip()
        if not kind and not text:
            continue
        ident = str(row.get("ID", "") or "").strip()
        number = str(row.get("NUMBER", "") or "").strip()
        if not ident and row.get("CODE"):  # BAPIRETURN: CODE is class and number in one (e.g. 'F5 702')
            code = str(row["CODE"]).strip()
            ident, number = code[:-3].strip(), code[-3:]
        found.append(ReturnMessage(kind, ident, number, text))
    return tuple(found)


def failures(answer: dict[str, Any], parameter: str = "RETURN") -> tuple[ReturnMessage, ...]:
    return tuple(m for m in messages(answer, parameter) if m.failed)
