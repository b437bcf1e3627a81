"""The subset of Intuit's query language that QuickBooks clients use, parsed and evaluated in memory.

`SELECT * | COUNT(*) FROM X [WHERE a op v [AND ...]] [ORDERBY f [ASC|DESC]] [STARTPOSITION n] [MAXRESULTS m]`
with ops `= != < > <= >= IN (...) LIKE '%..%'`. Like QuickBooks: no OR (parser error 4000),
STARTPOSITION is 1-based, MAXRESULTS defaults to 100 and is capped at 1000.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from creditbridge.adapters.quickbooks.simulator.faults import query_parse_error

DEFAULT_MAX_RESULTS = 100
MAX_RESULTS_CAP = 1000

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:\\.|[^'\\])*')
      | (?P<op><=|>=|!=|<>|=|<|>)
      | (?P<punct>[(),*])
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)

Literal = str | Decimal | bool


@dataclass(frozen=True)
class Condition:
    field: str
    op: str  # = != < > <= >= IN LIKE
    values: tuple[Literal, ...]


@dataclass
class Query:
    entity: str
    count: bool = False
    conditions: list[Condition] = field(default_factory=list)
    order_by: str | None = None
    descending: bool = False
    start_position: int = 1
    max_results: int = DEFAULT_MAX_RESULTS

    def filters_on(self, name: str) -> bool:
        return any(c.field.lower() == name.lower() for c in self.conditions)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip().rstrip(";")
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise query_parse_error(f"Encountered \"{text[pos:pos + 10]}\" at column {pos + 1}.")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise query_parse_error("Encountered \"<EOF>\".")
        self.i += 1
        return tok

    def keyword(self, *words: str) -> bool:
        tok = self.peek()
        if tok and tok[0] == "word" and tok[1].upper() in words:
            self.i += 1
            return True
        return False

    def expect_keyword(self, word: str) -> None:
        if not self.keyword(word):
            tok = self.peek()
            raise query_parse_error(f"Encountered \"{tok[1] if tok else '<EOF>'}\", was expecting {word}.")

    def expect_punct(self, char: str) -> None:
        tok = self.take()
        if tok != ("punct", char):
            raise query_parse_error(f"Encountered \"{tok[1]}\", was expecting \"{char}\".")

    def integer(self) -> int:
        kind, text = self.take()
        if kind != "number" or not text.isdigit():
            raise query_parse_error(f"Encountered \"{text}\", was expecting an integer.")
        return int(text)

    def literal(self) -> Literal:
        kind, text = self.take()
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "number":
            return Decimal(text)
        if kind == "word" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise query_parse_error(f"Encountered \"{text}\", was expecting a value.")

    def parse(self) -> Query:
        self.expect_keyword("SELECT")
        count = False
        if self.keyword("COUNT"):
            self.expect_punct("(")
            self.expect_punct("*")
            self.expect_punct(")")
            count = True
        else:
            self.expect_punct("*")
            while self.peek() == ("punct", ","):  # "SELECT *, Sku FROM Item": extra columns are ignored
                self.take()
                self.take()
        self.expect_keyword("FROM")
        kind, entity = self.take()
        if kind != "word":
            raise query_parse_error(f"Encountered \"{entity}\", was expecting an entity name.")
        query = Query(entity=entity, count=count)
        if self.keyword("WHERE"):
            query.conditions.append(self.condition())
            while True:
                if self.keyword("AND"):
                    query.conditions.append(self.condition())
                elif self.keyword("OR"):
                    raise query_parse_error("Encountered \" <OR> \"OR \"\". OR is not supported in queries.")
                else:
                    break
        while self.peek() is not None:
            if self.keyword("ORDERBY") or (self.keyword("ORDER") and self._by()):
                kind, name = self.take()
                query.order_by = name
                if self.keyword("DESC"):
                    query.descending = True
                else:
                    self.keyword("ASC")
            elif self.keyword("STARTPOSITION"):
                query.start_position = max(1, self.integer())
            elif self.keyword("MAXRESULTS"):
                query.max_results = min(self.integer(), MAX_RESULTS_CAP)
            else:
                tok = self.take()
                if tok[0] == "word" and tok[1].upper() == "OR":
                    raise query_parse_error("Encountered \" <OR> \"OR \"\". OR is not supported in queries.")
                raise query_parse_error(f"Encountered \"{tok[1]}\".")
        return query

    def _by(self) -> bool:
        self.expect_keyword("BY")
        return True

    def condition(self) -> Condition:
        kind, name = self.take()
        if kind != "word":
            raise query_parse_error(f"Encountered \"{name}\", was expecting a property name.")
        if self.keyword("IN"):
            self.expect_punct("(")
            values = [self.literal()]
            while self.peek() == ("punct", ","):
                self.take()
                values.append(self.literal())
            self.expect_punct(")")
            return Condition(name, "IN", tuple(values))
        if self.keyword("LIKE"):
            return Condition(name, "LIKE", (self.literal(),))
        op_kind, op = self.take()
        if op_kind != "op":
            raise query_parse_error(f"Encountered \"{op}\", was expecting an operator.")
        return Condition(name, "!=" if op == "<>" else op, (self.literal(),))


def parse_query(text: str) -> Query:
    """Parse one query statement; raises the 4000 QueryParserError fault on anything unsupported."""
    return _Parser(text).parse()


def field_value(obj: dict[str, Any], path: str) -> Any:
    """A (dotted) property of an entity; references compare by their `value`."""
    current: Any = obj
    for part in path.split("."):
        if not isinstance(current, dict):
            return None
        match = next((k for k in current if k.lower() == part.lower()), None)
        if match is None:
            return None
        current = current[match]
    if isinstance(current, dict) and "value" in current:
        return current["value"]
    return current


def _coerce(stored: Any, literal: Literal) -> tuple[Any, Any]:
    if isinstance(stored, bool):
        if isinstance(literal, bool):
            return stored, literal
        return stored, str(literal).lower() == "true"
    if isinstance(stored, int | float | Decimal):
        try:
            return Decimal(str(stored)), Decimal(str(literal))
        except InvalidOperation:
            return str(stored), str(literal)
    text, lit = str(stored), str(literal)
    if len(text) > 10 and "T" in text:  # a dateTime: compare as instants
        try:
            return _instant(text), _instant(lit)
        except ValueError:
            return text, lit
    if text.isdigit() and lit.isdigit():  # Ids are numeric strings
        return int(text), int(lit)
    return text.lower(), lit.lower()


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _matches(obj: dict[str, Any], cond: Condition) -> bool:
    stored = field_value(obj, cond.field)
    if stored is None:
        return False
    if cond.op == "IN":
        return any(a == b for a, b in (_coerce(stored, v) for v in cond.values))
    if cond.op == "LIKE":
        pattern = "".join(".*" if ch == "%" else re.escape(ch) for ch in str(cond.values[0]))
        return re.fullmatch(pattern, str(stored), re.IGNORECASE | re.DOTALL) is not None
    a, b = _coerce(stored, cond.values[0])
    try:
        return bool(
            {"=": a == b, "!=": a != b}.get(cond.op)
            if cond.op in ("=", "!=")
            else {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[cond.op]
        )
    except TypeError:
        return False


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float | Decimal):
        return (1, Decimal(str(value)))
    text = str(value)
    if text.isdigit():
        return (1, Decimal(text))
    return (2, text.lower())


def select(
    query: Query, objects: list[dict[str, Any]], *, active_only_default: bool
) -> tuple[list[dict[str, Any]], int]:
    """Filter, order and page `objects`; returns (page, total matching)."""
    rows = [o for o in objects if all(_matches(o, c) for c in query.conditions)]
    if active_only_default and not query.filters_on("Active"):
        rows = [o for o in rows if o.get("Active", True)]
    order = query.order_by or "Id"
    rows.sort(key=lambda o: _sort_key(field_value(o, order)), reverse=query.descending)
    start = query.start_position - 1
    return rows[start:start + query.max_results], len(rows)
