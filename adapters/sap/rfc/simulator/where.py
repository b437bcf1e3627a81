"""The WHERE clause of RFC_READ_TABLE (OPTIONS lines), as Open SQL reads it — the subset we use.

Conditions `FIELD op 'value'` (op: = <> > >= < <= or EQ NE GT GE LT LE) and `FIELD IN ( 'a' , 'b' )`
joined by AND, over any number of lines. Anything else is OPTION_NOT_VALID, as in SAP.
"""

from __future__ import annotations

import re
from collections.abc import Callable

TOKEN = re.compile(r"\s*(?:('(?:[^']|'')*')|(<>|>=|<=|=|>|<|\(|\)|,)|([A-Za-z_][A-Za-z0-9_]*))")
OPS: dict[str, Callable[[str, str], bool]] = {
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}
WORD_OPS = {"EQ": "=", "NE": "<>", "GT": ">", "GE": ">=", "LT": "<", "LE": "<="}

Predicate = Callable[[dict[str, str]], bool]


def _in(field: str, values: frozenset[str]) -> Predicate:
    return lambda row: row.get(field, "") in values


def _compare(field: str, op: Callable[[str, str], bool], value: str) -> Predicate:
    return lambda row: op(row.get(field, ""), value)


class OptionError(ValueError):
    pass


def _tokens(text: str) -> list[str]:
    found, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise OptionError(f"cannot read {text[pos : pos + 20]!r}")
        found.append(match.group(0).strip())
        pos = match.end()
    return [t for t in found if t]


def _value(token: str) -> str:
    if not (token.startswith("'") and token.endswith("'")):
        raise OptionError(f"expected a quoted value, got {token!r}")
    return token[1:-1].replace("''", "'")


def parse(lines: list[str], fields: set[str]) -> Predicate:
    """A predicate over rows (field -> text) for the OPTIONS lines; OptionError if SAP would refuse it."""
    tokens = _tokens(" ".join(lines))
    conditions: list[Predicate] = []
    i = 0
    while i < len(tokens):
        field = tokens[i].upper()
        if field not in fields:
            raise OptionError(f"unknown field {tokens[i]!r}")
        op = tokens[i + 1].upper() if i + 1 < len(tokens) else ""
        if op == "IN":
            if tokens[i + 2 : i + 3] != ["("]:
                raise OptionError("IN needs a list in parentheses")
            j, values = i + 3, set[str]()
            while j < len(tokens) and tokens[j] != ")":
                if tokens[j] != ",":
                    values.add(_value(tokens[j]))
                j += 1
            conditions.append(_in(field, frozenset(values)))
            i = j + 1
        else:
            op = WORD_OPS.get(op, op)
            if op not in OPS or i + 2 >= len(tokens):
                raise OptionError(f"bad condition at {' '.join(tokens[i : i + 3])!r}")
            value = _value(tokens[i + 2])
            conditions.append(_compare(field, OPS[op], value))
            i += 3
        if i < len(tokens):
            if tokens[i].upper() != "AND":
                raise OptionError(f"expected AND, got {tokens[i]!r}")
            i += 1
    return lambda row: all(c(row) for c in conditions)
