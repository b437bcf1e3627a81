"""$filter of OData V2, the part SAP Gateway clients send: comparisons joined by and/or/not, parentheses.

Literals: 'text' ('' escapes a quote), true/false, null, numbers, datetime'2026-01-01T00:00:00'.
An expression the simulator cannot read is a 400, as Gateway answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

TOKEN = re.compile(r"\s*(?:(datetime'[^']*')|('(?:[^']|'')*')|(\(|\))|(-?\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_/]*))")
Row = dict[str, Any]
Predicate = Callable[[Row], bool]
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a is not None and b is not None and a > b,
    "ge": lambda a, b: a is not None and b is not None and a >= b,
    "lt": lambda a, b: a is not None and b is not None and a < b,
    "le": lambda a, b: a is not None and b is not None and a <= b,
}


class FilterError(ValueError):
    pass


def _tokens(text: str) -> list[str]:
    found, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise FilterError(f"Invalid token at position {pos}: {text[pos : pos + 20]!r}")
        found.append(match.group(0).strip())
        pos = match.end()
    return found


def _literal(token: str) -> Any:
    if token.startswith("datetime'"):
        return datetime.fromisoformat(token[len("datetime'") : -1]).date()
    if token.startswith("'"):
        return token[1:-1].replace("''", "'")
    if token in ("true", "false"):
        return token == "true"
    if token == "null":
        return None
    try:
        return Decimal(token)
    except ArithmeticError as exc:
        raise FilterError(f"not a literal: {token!r}") from exc


def parse(text: str, properties: set[str]) -> Predicate:
    tokens = _tokens(text)
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise FilterError("the filter ends too early")
        pos += 1
        return tokens[pos - 1]

    def expression() -> Predicate:
        left = term()
        while peek() == "or":
            take()
            right = term()
            left = (lambda a, b: lambda row: a(row) or b(row))(left, right)
        return left

    def term() -> Predicate:
        left = factor()
        while peek() == "and":
            take()
            right = factor()
            left = (lambda a, b: lambda row: a(row) and b(row))(left, right)
        return left

    def factor() -> Predicate:
        token = take()
        if token == "(":
            inner = expression()
            if take() != ")":
                raise FilterError("a parenthesis is not closed")
            return inner
        if token == "not":
            inner = factor()
            return lambda row: not inner(row)
        if token not in properties:
            raise FilterError(f"Property {token} not found")
        op = take()
        if op not in COMPARE:
            raise FilterError(f"Invalid operator {op!r}")
        value = _literal(take())
        compare = COMPARE[op]

        def predicate(row: Row) -> bool:
            have = row.get(token)
            if isinstance(have, datetime):
                have = have.date()
            if isinstance(value, date) and isinstance(have, str):
                return False
            return compare(have, value)

        return predicate

    predicate = expression()
    if pos != len(tokens):
        raise FilterError(f"unexpected {tokens[pos]!r}")
    return predicate
