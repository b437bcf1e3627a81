"""Turning an ERP's codes into ours (and back), by the mapping's translation tables.

The rule finance IT can rely on: a table that is absent from the mapping means "the ERP already
uses our codes" (an ISO currency, a number of days, INV/DM/CM, true/false), and anything else is
an error; a table that is present is complete, and a code missing from it is an error naming the
table and the mapping file, with the line to add. Nothing is guessed, so a new payment-terms code
in the ERP stops the sync of that record with a clear message instead of a wrong due date.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from creditbridge.core.model import DocType, OrderStatus

if TYPE_CHECKING:
    from creditbridge.mappings.schema import ErpMapping

TableName = Literal["payment_terms", "currencies", "document_types", "risk_classes", "hold_flags", "order_statuses"]
TABLES: tuple[TableName, ...] = (
    "payment_terms", "currencies", "document_types", "risk_classes", "hold_flags", "order_statuses",
)  # fmt: skip

_WHAT: dict[str, tuple[str, str]] = {
    # table: (what a code is, what it translates to)
    "payment_terms": ("payment terms code", "<days>"),
    "currencies": ("currency code", "<ISO code, e.g. USD>"),
    "document_types": ("document type", "INV, DM or CM"),
    "risk_classes": ("customer group", "<risk class>"),
    "hold_flags": ("hold flag", "true or false"),
    "order_statuses": ("order status", "open, closed or cancelled"),
}
_ISO_CURRENCY = re.compile(r"^[A-Z]{3}$")
_SHOWN_CODES = 10


class TranslationError(LookupError):
    """An ERP code the mapping cannot translate; the message names the table and the file."""

    def __init__(self, message: str, table: str, code: str) -> None:
        super().__init__(message)
        self.table = table
        self.code = code

    def __str__(self) -> str:
        return str(self.args[0])


def code_text(code: object) -> str:
    """The code as the tables key it: text; None (an empty ERP field) is ''."""
    if code is None:
        return ""
    if isinstance(code, bool):
        return "true" if code else "false"
    return str(code)


def translate(mapping: ErpMapping, table: TableName, code: object) -> object:
    """The value of `code` in `table` (see the module docstring for absent tables)."""
    if table not in _WHAT:
        raise TranslationError(
            f"there is no translation table {table!r}; the tables are {', '.join(TABLES)}", table, code_text(code)
        )
    entries: dict[str, object] | None = getattr(mapping.translations, table)
    key = code_text(code)
    if entries is None:
        return _identity(mapping, table, code, key)
    if key in entries:
        return _typed(table, entries[key])
    what, value_hint = _WHAT[table]
    known = ", ".join(repr(k) for k in list(entries)[:_SHOWN_CODES]) or "nothing"
    more = f" and {len(entries) - _SHOWN_CODES} more" if len(entries) > _SHOWN_CODES else ""
    raise TranslationError(
        f"{what} {key!r} is not in translations.{table} of {_where(mapping)} (it has {known}{more}); "
        f"add the line  '{key}': {value_hint}  there",
        table,
        key,
    )


def erp_code(mapping: ErpMapping, table: TableName, value: object) -> str:
    """The ERP code that `table` translates to `value`: the first such code in the file."""
    entries: dict[str, object] | None = getattr(mapping.translations, table, None)
    wanted = _typed(table, value.value if isinstance(value, DocType | OrderStatus) else value)
    if entries is None:
        return code_text(wanted)
    for code, translated in entries.items():
        if _typed(table, translated) == wanted:
            return code
    what, _ = _WHAT.get(table, ("code", ""))
    raise TranslationError(
        f"no {what} in translations.{table} of {_where(mapping)} stands for {code_text(wanted)!r}; "
        f"add the ERP's code for it there",
        table,
        code_text(wanted),
    )


def translate_terms(mapping: ErpMapping, code: object) -> int:
    value = translate(mapping, "payment_terms", code)
    assert isinstance(value, int)
    return value


def translate_currency(mapping: ErpMapping, code: object) -> str:
    return str(translate(mapping, "currencies", code))


def translate_doc_type(mapping: ErpMapping, code: object) -> DocType:
    value = translate(mapping, "document_types", code)
    assert isinstance(value, DocType)
    return value


def translate_risk_class(mapping: ErpMapping, code: object) -> str:
    return str(translate(mapping, "risk_classes", code))


def translate_hold(mapping: ErpMapping, code: object) -> bool:
    return bool(translate(mapping, "hold_flags", code))


def translate_order_status(mapping: ErpMapping, code: object) -> OrderStatus:
    value = translate(mapping, "order_statuses", code)
    assert isinstance(value, OrderStatus)
    return value


def _typed(table: str, value: object) -> object:
    if table == "document_types" and isinstance(value, str):
        return DocType(value)
    if table == "order_statuses" and isinstance(value, str):
        return OrderStatus(value)
    return value


def _identity(mapping: ErpMapping, table: TableName, code: object, key: str) -> object:
    """No table: the code must already be ours."""
    if table == "payment_terms" and not isinstance(code, bool) and key.isdigit():
        return int(key)
    if table == "currencies" and _ISO_CURRENCY.match(key):
        return key
    if table == "document_types" and key in {d.value for d in DocType}:
        return DocType(key)
    if table == "order_statuses" and key.lower() in {s.value for s in OrderStatus}:
        return OrderStatus(key.lower())
    if table == "risk_classes" and key:
        return key
    if table == "hold_flags" and key.lower() in ("true", "false"):
        return key.lower() == "true"
    what, value_hint = _WHAT[table]
    raise TranslationError(
        f"{what} {key!r} needs translating, but {_where(mapping)} has no translations.{table} "
        f"(without one, the ERP's values must already be {value_hint}); add  {table}: {{'{key}': {value_hint}}}",
        table,
        key,
    )


def _where(mapping: ErpMapping) -> str:
    return str(mapping.source) if mapping.source is not None else f"the {mapping.erp} mapping"
