"""Reading a mapping file: YAML with line numbers in, a frozen `ErpMapping` or every error out.

Why ruamel.yaml in round-trip mode: it keeps the line of every key and value, so each problem,
whether YAML syntax, a wrong type or a missing setting, is reported as
`FILE:LINE: field.path: message (hint)`, all of them at once, in line order, and finance IT
fixes the file in one pass. Nothing in the file is executed: only plain YAML scalars, lists and
maps are accepted (no tags), and files over `MAX_BYTES` are refused.
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Union, cast

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from creditbridge.mappings.issues import FileIssue
from creditbridge.mappings.schema import ERP_KINDS, MAPPING_MODELS, ErpMapping

MAX_BYTES = 1_000_000
"""A mapping is a page or two of YAML; anything this large is not one."""

Path_ = tuple[str | int, ...]


MappingIssue = FileIssue
"""One problem in a mapping file (see `FileIssue`)."""


class MappingError(ValueError):
    """A mapping file has problems; `issues` lists every one (the message has one per line)."""

    def __init__(self, issues: list[MappingIssue]) -> None:
        super().__init__("\n".join(str(i) for i in issues))
        self.issues: tuple[MappingIssue, ...] = tuple(issues)


def load_mapping(path: str | Path) -> ErpMapping:
    """Read and check the mapping at `path`; raises `MappingError` listing every problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MappingError(
            [MappingIssue(str(path), None, "", f"cannot read the mapping: {exc.strerror or exc}")]
        ) from None
    if len(raw) > MAX_BYTES:
        raise MappingError(
            [MappingIssue(str(path), None, "", f"the file is {len(raw):,} bytes; a mapping is at most {MAX_BYTES:,}")]
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise MappingError(
            [MappingIssue(str(path), line, "", "the file is not UTF-8 text", "save it as UTF-8")]
        ) from None
    return parse_mapping(text, str(path), source=path)


def check_mapping(path: str | Path) -> list[MappingIssue]:
    """Every problem of the mapping at `path` (empty: the file is good)."""
    try:
        load_mapping(path)
    except MappingError as exc:
        return list(exc.issues)
    return []


def parse_mapping(text: str, name: str = "<mapping>", source: Path | None = None) -> ErpMapping:
    """Check mapping YAML `text`; `name` is the file name shown in errors."""
    data, lines = _read_yaml(text, name)
    issues: list[MappingIssue] = []

    def issue(path: Path_, message: str, hint: str | None = None) -> None:
        issues.append(MappingIssue(name, _line_of(lines, path), _dotted(path, data), message, hint))

    if not isinstance(data, dict):
        issue((), "the file must be a set of `key: value` lines (erp:, scope:, fields:, translations:, writeback:)")
        raise MappingError(issues)
    erp = data.get("erp")
    if erp is None:
        issue(("erp",), "erp is missing", f"add `erp: <kind>` with one of {', '.join(ERP_KINDS)}")
        raise MappingError(issues)
    if not isinstance(erp, str) or erp not in MAPPING_MODELS:
        issue(("erp",), f"unknown ERP {erp!r}", _did_you_mean(str(erp), ERP_KINDS) or f"one of {', '.join(ERP_KINDS)}")
        raise MappingError(issues)
    model = MAPPING_MODELS[erp]
    context = {"defer_checks": True, "erp": erp}
    try:
        mapping = model.model_validate(data, context=context)
    except ValidationError as exc:
        source_lines = text.splitlines()
        for error in exc.errors(include_url=False):
            path, message, hint = _explain(model, data, error)
            if path and error["loc"][-1] == "[key]":  # show the code as written, before YAML read it as a number
                line = _line_of(lines, path)
                written = source_lines[line - 1].split(":")[0].strip() if line else str(error.get("input"))
                message = f"the code {written} must be text"
                hint = f"write it in quotes: '{written}'; unquoted digits are read as a number and lose leading zeros"
                shown = f"{_dotted(path[:-1], data)}.{written}"
                issues.append(MappingIssue(name, line, shown, message, hint))
                continue
            issue(path, message, hint)
        sections = {name: _section(model, name, data, context) for name in ("scope", "fields", "writeback")}
        skipped = {(name, key) for name, (_, wrong) in sections.items() for key in wrong}
        try:
            found = model.section_problems(sections["scope"][0], sections["fields"][0], sections["writeback"][0])
        except (AttributeError, TypeError):  # a section built from its right keys lacks one the checks need
            found = []
        problems = [p for p in found if tuple(p.path[:2]) not in skipped]
    else:
        problems = model.section_problems(mapping.scope, mapping.fields, mapping.writeback)
        if not problems:
            mapping._source = source
            return mapping
    for problem in problems:
        issue(problem.path, problem.message, problem.hint)
    issues.sort(key=lambda i: (i.line is None, i.line or 0))
    raise MappingError(issues)


def _section(model: type[ErpMapping], name: str, data: dict[str, Any], context: dict[str, Any]) -> tuple[Any, set[str]]:
    """One section validated alone, for the checks across sections, and the keys left out of it.

    A section with errors is validated again without its wrong keys, so that the checks across
    sections still run on the rest of it (None if even that fails); checks about a left-out key
    are then skipped, since that key has its own error already.
    """
    field = model.model_fields[name]
    if name not in data:
        return (None if field.is_required() else field.get_default(call_default_factory=True)), set()
    adapter: TypeAdapter[Any] = TypeAdapter(cast(Any, field.annotation))
    value = data[name]
    try:
        return adapter.validate_python(value, context=context), set()
    except ValidationError as exc:
        if not isinstance(value, dict):
            return None, set()
        wrong = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
    rest = {k: v for k, v in value.items() if k not in wrong}
    try:
        return adapter.validate_python(rest, context=context), wrong
    except ValidationError:
        pass
    # A required key was wrong: build the section from the keys that are right, unvalidated (they
    # passed validation above); a check that needs a missing key then raises and is skipped.
    annotation = field.annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.model_construct(**rest), wrong
    return None, set()


def mapping_json_schema() -> dict[str, Any]:
    """The JSON Schema of mapping files, for editors' YAML language servers."""
    models: Any = Union[tuple(MAPPING_MODELS.values())]  # noqa: UP007 (built from the table of models)
    union: Any = Annotated[models, Field(discriminator="erp")]
    schema: dict[str, Any] = TypeAdapter(union).json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "creditbridge mapping",
        "description": "How creditbridge reads one ERP and writes credit limits and holds back to it.",
        **schema,
    }


def mapping_json_schema_text() -> str:
    return json.dumps(mapping_json_schema(), indent=2, sort_keys=False) + "\n"


# YAML with lines -----------------------------------------------------------------------------


def _read_yaml(text: str, name: str) -> tuple[Any, dict[Path_, int]]:
    yaml = YAML(typ="rt")
    try:
        document = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        hint = "a key appears twice in the same block; keep one" if "duplicate key" in problem else _yaml_hint(problem)
        if "duplicate key" in problem:
            problem = re.sub(r' with value ".*', "", problem)
        raise MappingError([MappingIssue(name, line, "", f"YAML syntax: {problem}", hint)]) from None
    except YAMLError as exc:
        raise MappingError([MappingIssue(name, None, "", f"YAML syntax: {exc}")]) from None
    lines: dict[Path_, int] = {}
    plain = _plain(document, (), lines, name)
    return plain, lines


def _yaml_hint(problem: str) -> str | None:
    if "mapping values are not allowed" in problem:
        return "a value containing ': ' must be in quotes"
    if "could not find expected ':'" in problem:
        return "check the indentation and that every key ends with ':'"
    if "found character '\\t'" in problem:
        return "indent with spaces, not tabs"
    return None


def _plain(node: Any, path: Path_, lines: dict[Path_, int], name: str) -> Any:
    """The document as dict/list/str/int/float/bool/None, noting the line of every key and item."""
    if isinstance(node, CommentedMap):
        if path == ():
            lines[()] = node.lc.line + 1
        result: dict[Any, Any] = {}
        for key, value in node.items():
            plain_key = _plain(key, (*path, "[key]"), {}, name)
            lines[(*path, plain_key)] = node.lc.key(key)[0] + 1
            result[plain_key] = _plain(value, (*path, plain_key), lines, name)
        return result
    if isinstance(node, CommentedSeq):
        if path == ():
            lines[()] = node.lc.line + 1
        items = []
        for index, value in enumerate(node):
            lines[(*path, index)] = node.lc.item(index)[0] + 1
            items.append(_plain(value, (*path, index), lines, name))
        return items
    if node is None or isinstance(node, bool):
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, date):
        return node
    raise MappingError([MappingIssue(name, _line_of(lines, path), _dotted(path, None),
                                     f"unsupported YAML value of type {type(node).__name__}",
                                     "use plain text, numbers, true/false, lists and maps")])  # fmt: skip


def _line_of(lines: dict[Path_, int], path: Path_) -> int | None:
    """The line of `path`, or of its nearest ancestor that is in the file."""
    for end in range(len(path), -1, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return None


def _dotted(path: Path_, data: Any = None) -> str:
    """`fields.customers.name`; list items as `[0]` (an int key of a map, as in a code table, as `.1`)."""
    text = ""
    for index, part in enumerate(path):
        if isinstance(part, int) and not isinstance(part, bool) and isinstance(_get(data, path[:index]), list):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


# Explaining pydantic's errors to finance IT ------------------------------------------------------

_PATTERN_MESSAGES = {
    "currency": "must be an ISO currency code: 3 capital letters, e.g. USD",
    "default_currency": "must be an ISO currency code: 3 capital letters, e.g. USD",
    "home_currency": "must be an ISO currency code: 3 capital letters, e.g. USD",
    "currencies": "must be an ISO currency code: 3 capital letters, e.g. USD",
    "company_code": "must be 4 capital letters or digits, e.g. '1000'",
    "credit_control_area": "must be 4 capital letters or digits, e.g. '1000'",
    "sales_organization": "must be 4 capital letters or digits, e.g. '1000'",
    "credit_segment": "must be 1 to 10 capital letters, digits or _, e.g. '1000'",
    "realm_id": "must be the company id: digits only, in quotes",
    "function_module": "must be an ABAP function name in capitals, e.g. Z_CREDITBRIDGE_SET_CREDIT",
    "block_reason": "must be a 1- or 2-character block reason code",
    "field": "must be a field name without quotes, ; or \\, at most 128 characters",
}


def _explain(model: type[BaseModel], data: Any, error: Any) -> tuple[Path_, str, str | None]:
    path: Path_ = tuple(error["loc"])
    kind: str = error["type"]
    message: str = error["msg"]
    value = error.get("input")
    # `name: DisplayName` is shorthand for `name: {field: DisplayName}`: report at `name`.
    named = [p for p in path if isinstance(p, str) and p != "[key]"]
    if path and path[-1] == "field" and isinstance(_get(data, path[:-1]), str):
        path = path[:-1]
    last = named[-1] if named else ""
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, path[:-1])
        guess = _did_you_mean(str(path[-1]), allowed)
        listing = f"allowed here: {', '.join(allowed)}" if allowed else None
        return path, f"unknown key {path[-1]!r}", "; ".join(h for h in (guess, listing) if h) or None
    if kind == "missing":
        last = str(path[-1]) if path else ""
        return path, f"{last} is missing", f"add `{last}:` under {_dotted(path[:-1]) or 'the top level'}"
    if path and path[-1] == "[key]":
        hint = "write the code in quotes, e.g. '0001': unquoted digits are read as a number and lose leading zeros"
        return path[:-1], f"the code {value!r} must be text", hint
    if kind == "string_pattern_mismatch":
        key = last if last in _PATTERN_MESSAGES else (named[-2] if len(named) > 1 else last)
        return path, _PATTERN_MESSAGES.get(key, message), None
    if kind == "string_type" and isinstance(value, int | float | date) and not isinstance(value, bool):
        return path, "must be text", "put the value in quotes; unquoted digits and dates are read as numbers and dates"
    if kind == "bool_type":
        return path, "must be true or false", None
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return path, "must be a whole number", None
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        return path, message.replace("Input should be", "must be"), _did_you_mean(str(value), choices)
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return path, "must be a block of `key: value` lines", None
    return path, message.replace("Input should be", "must be"), None


def _get(data: Any, path: Path_) -> Any:
    for part in path:
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if in_list or (isinstance(data, dict) and part in data):
            data = data[part]
        else:
            return None
    return data


def _allowed_keys(model: type[BaseModel], path: Path_) -> list[str]:
    current: type[BaseModel] | None = model
    for part in path:
        if current is None or not isinstance(part, str) or part not in current.model_fields:
            return []
        current = _model_in(current.model_fields[part].annotation)
    return list(current.model_fields) if current is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is Annotated or origin is Union or origin is types.UnionType:
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _did_you_mean(word: str, choices: typing.Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None
