"""Turn a `RawSheet` of text into typed columns, logging every cell that cannot be read.

Why vectorized with messages only for failures: a folder of a million rows is the normal case
and must read in well under a second, yet each refused cell must still be named by file, line
and column. So every column is parsed and flagged by polars in one pass, and Python only touches
the (few) flagged rows to word their message.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from creditbridge.adapters.files.amounts import describe_bad_amount, units_expr
from creditbridge.adapters.files.errors import IssueLog, line_word
from creditbridge.adapters.files.raw import LINE, RawSheet
from creditbridge.adapters.files.schema import ColumnSpec, Kind, SheetSpec

ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")
MAX_DAYS_DIGITS = 6

DTYPES: dict[Kind, pl.DataType] = {
    Kind.TEXT: pl.String(),
    Kind.DATE: pl.Date(),
    Kind.AMOUNT: pl.Int64(),
    Kind.DAYS: pl.Int32(),
    Kind.BOOL: pl.Boolean(),
    Kind.CURRENCY: pl.String(),
    Kind.CHOICE: pl.String(),
    Kind.LIST: pl.String(),
}


@dataclass(frozen=True, slots=True)
class TypedSheet:
    """The rows of a sheet whose every cell was readable, typed; plus what other sheets refer to.

    `keys` holds every non-empty key value of the sheet, including rows with bad cells, so a
    reference to such a row is not reported as unknown on top of the row's own problem.
    """

    name: str
    label: str
    rows: pl.DataFrame
    keys: pl.Series | None


def empty_frame(spec: SheetSpec) -> pl.DataFrame:
    """A frame with the sheet's typed columns and no rows (an optional file that is absent)."""
    return pl.DataFrame(schema={LINE: pl.Int64, **{c.name: DTYPES[c.kind] for c in spec.columns}})


def convert_sheet(raw: RawSheet, spec: SheetSpec, log: IssueLog) -> TypedSheet | None:
    """Typed rows of `raw`; None when a required column is missing (nothing else can be checked).

    Typed columns are first parsed as they are (the common case: clean exports); only a column
    where that fails somewhere is stripped and parsed again leniently (padding, '', 'inv' for
    'INV', 'Yes'). Text columns are stripped when they need it. Every cell still failing is logged.
    """
    present = set(raw.frame.columns)
    missing = [c.name for c in spec.columns if c.required and c.name not in present]
    for name in missing:
        found = ", ".join(c for c in raw.found_columns if c) or "none"
        log.add(raw.label, raw.header_line, name, f"required column is missing (columns found: {found})")
    if missing:
        return None

    text_kinds = (Kind.TEXT, Kind.LIST)
    text_names = [c.name for c in spec.columns if c.kind in text_kinds and c.name in present]
    stripped = dict(zip(text_names, _stripped(raw.frame, text_names), strict=True))
    text = raw.frame.select(
        pl.col(LINE),
        *(
            stripped.get(c.name, pl.col(c.name)) if c.name in present else pl.lit(None, pl.String).alias(c.name)
            for c in spec.columns
        ),
    )
    values = text.select(_parse(c, lenient=False).alias(c.name) for c in spec.columns)
    failed = values.select(
        (pl.col(c.name).is_null() & text.get_column(c.name).is_not_null()).any() for c in spec.columns
    ).row(0)
    retry = [c for c, fail in zip(spec.columns, failed, strict=True) if fail and c.kind not in text_kinds]
    if retry:
        text = text.with_columns(_stripped(text, [c.name for c in retry], always=True))
        values = values.with_columns(text.select(_parse(c, lenient=True).alias(c.name) for c in retry))

    blank = text.select(pl.all_horizontal(pl.col(c.name).is_null() for c in spec.columns)).to_series()
    if blank.any():
        text, values = text.filter(~blank), values.filter(~blank)

    bad = pl.DataFrame([_bad_cells(c, text.get_column(c.name), values.get_column(c.name)) for c in spec.columns])
    keys = None
    if spec.key is not None:
        key_text = text.select(LINE, spec.key).filter(pl.col(spec.key).is_not_null())
        if key_text.get_column(spec.key).n_unique() < key_text.height:
            _log_duplicates(key_text, spec.key, raw.label, log)
        keys = key_text.get_column(spec.key)

    bad_counts = bad.select(pl.all().sum()).row(0)
    rows = values.with_columns(text.get_column(LINE)).select(LINE, *(c.name for c in spec.columns))
    if sum(bad_counts):
        _log_bad_cells(text, bad, spec, bad_counts, raw.label, log)
        rows = rows.filter(~bad.select(pl.any_horizontal(pl.all())).to_series())
    return TypedSheet(spec.name, raw.label, rows, keys)


def _stripped(frame: pl.DataFrame, names: list[str], always: bool = False) -> list[pl.Expr]:
    """Each column with surrounding whitespace removed and empty text as null.

    Unless `always`, looking first is cheaper than stripping: most exports have neither padding
    nor empty quoted values.
    """
    looks: dict[str, bool] = {}
    if names and not always:
        looks = frame.select(
            *(pl.col(name).str.contains(r"^\s|\s$").any().alias(f"strip_{name}") for name in names),
            *((pl.col(name).str.len_bytes() == 0).any().alias(f"empty_{name}") for name in names),
        ).row(0, named=True)
    exprs = []
    for name in names:
        strip = always or looks[f"strip_{name}"]
        value = pl.col(name).str.strip_chars() if strip else pl.col(name)
        if strip or looks[f"empty_{name}"]:
            value = pl.when(value != "").then(value)
        exprs.append(value.alias(name))
    return exprs


def _parse(spec: ColumnSpec, lenient: bool) -> pl.Expr:
    """The typed value of a text column; null where empty or unreadable.

    `lenient` accepts any letter case for choices and yes/no words (it costs a lowercase pass).
    """
    s = pl.col(spec.name)
    match spec.kind:
        case Kind.TEXT:
            return s
        case Kind.DATE:
            return pl.when(s.str.contains(ISO_DATE)).then(s.str.to_date("%Y-%m-%d", strict=False))
        case Kind.AMOUNT:
            return units_expr(s)
        case Kind.DAYS:
            return pl.when(s.str.contains(rf"^[0-9]{{1,{MAX_DAYS_DIGITS}}}$")).then(s.cast(pl.Int32, strict=False))
        case Kind.BOOL:
            word = s.str.to_lowercase() if lenient else s
            return (
                pl.when(word.is_in(TRUE_WORDS))
                .then(pl.lit(True))
                .when(word.is_in(FALSE_WORDS) | s.is_null())  # empty means not on hold
                .then(pl.lit(False))
            )
        case Kind.CURRENCY:
            return pl.when(s.str.contains(r"^[A-Z]{3}$")).then(s)
        case Kind.CHOICE:
            if not lenient:
                return pl.when(s.is_in(spec.choices)).then(s)
            canonical = {choice.lower(): choice for choice in spec.choices}
            return s.str.to_lowercase().replace_strict(canonical, default=None, return_dtype=pl.String)
        case Kind.LIST:
            items = s.str.split(";").list.eval(pl.element().str.strip_chars().filter(pl.element() != ""))
            joined = items.list.join(";")
            return pl.when(joined != "").then(joined)
    raise AssertionError(spec.kind)  # pragma: no cover


def _bad_cells(spec: ColumnSpec, text: pl.Series, value: pl.Series) -> pl.Series:
    """True where a required cell is empty or a non-empty cell did not parse."""
    empty = text.is_null()
    bad = empty if spec.required else pl.Series(spec.name, [False] * text.len(), dtype=pl.Boolean)
    if spec.kind not in (Kind.TEXT, Kind.LIST):
        bad = bad | (~empty & value.is_null())
    return bad.alias(spec.name)


def describe_bad_cell(spec: ColumnSpec, value: str | None) -> str:
    """The message for one refused cell."""
    if value is None:
        return "empty, but a value is required"
    match spec.kind:
        case Kind.DATE:
            return f"{value!r} is not a date (expected YYYY-MM-DD)"
        case Kind.AMOUNT:
            return describe_bad_amount(value)
        case Kind.DAYS:
            if value.startswith("-"):
                return f"{value!r} is negative; expected a number of days, 0 or more"
            return f"{value!r} is not a whole number of days"
        case Kind.BOOL:
            return f"{value!r} is not a yes/no value (expected true, false, yes, no, 1 or 0)"
        case Kind.CURRENCY:
            hint = f" (write {value.upper()!r})" if len(value) == 3 and value.isalpha() else ""
            return f"{value!r} is not a currency code (expected 3 uppercase letters like USD){hint}"
        case Kind.CHOICE:
            return f"{value!r} is not a valid {spec.name} (expected {', '.join(spec.choices)})"
    return f"{value!r} cannot be read"  # pragma: no cover


def _log_bad_cells(
    text: pl.DataFrame,
    bad: pl.DataFrame,
    spec: SheetSpec,
    bad_counts: tuple[int, ...],
    label: str,
    log: IssueLog,
) -> None:
    """Word the first failures in line order; the rest are counted."""
    found: list[tuple[int, int, str | None]] = []
    for position, (column, count) in enumerate(zip(spec.columns, bad_counts, strict=True)):
        if not count:
            continue
        sample = text.filter(bad.get_column(column.name)).head(log.room)
        found.extend((line, position, value) for line, value in sample.select(LINE, column.name).iter_rows())
    found.sort(key=lambda f: (f[0], f[1]))
    shown = found[: log.room]
    for line, position, value in shown:
        column = spec.columns[position]
        log.add(label, line, column.name, describe_bad_cell(column, value))
    log.count_more(sum(bad_counts) - len(shown))


def _log_duplicates(key_text: pl.DataFrame, key: str, label: str, log: IssueLog) -> None:
    """Each repeated key is reported on its later line(s), naming the first line."""
    repeated = key_text.filter(pl.col(key).is_duplicated())
    if repeated.is_empty():
        return
    groups = (
        repeated.group_by(key)
        .agg(pl.col(LINE).sort())
        .with_columns(pl.col(LINE).list.first().alias("_first"))
        .sort("_first")
    )
    n_issues = repeated.height - groups.height
    shown = 0
    for value, lines, _ in groups.iter_rows():
        for line in lines[1:]:
            if not log.room:
                break
            log.add(label, line, key, f"duplicate {key} {value!r}: also on {line_word(label)} {lines[0]}")
            shown += 1
        if not log.room:
            break
    log.count_more(n_issues - shown)
