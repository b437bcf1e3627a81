"""Exact JSON for core records, so an ERP's state can live in a file and survive a `kill -9`.

Why a tagged encoding: a credit limit of 5000.00 must come back as Decimal('5000.00'), a DocType
as a DocType and a tuple as a tuple, or a record read from the file would not equal the one
written. Decimals travel as strings (never floats); dataclasses and enums carry their type name.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from creditbridge.core.model import (
    Application,
    CreditProfile,
    Customer,
    DocType,
    OpenItem,
    Order,
    OrderStatus,
    Payment,
    WriteOff,
)
from creditbridge.core.money import Money
from creditbridge.core.ports import Change, Entity, WriteOutcome, WriteResult

_DATACLASSES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (Customer, CreditProfile, OpenItem, Payment, Application, Order, WriteOff, Money, WriteResult, Change)
}
_ENUMS: dict[str, type[Enum]] = {cls.__name__: cls for cls in (DocType, OrderStatus, WriteOutcome, Entity)}


def encode(value: Any) -> Any:
    """A JSON-ready form of `value` (records, Money, Decimal, dates, enums, tuples) that `decode` inverts."""
    if value is None or (isinstance(value, bool | int | str) and not isinstance(value, Enum)):
        return value
    if isinstance(value, Enum):
        return {"$enum": type(value).__name__, "v": value.value}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type) and type(value).__name__ in _DATACLASSES:
        return {"$type": type(value).__name__, **{f.name: encode(getattr(value, f.name)) for f in fields(value)}}
    raise TypeError(f"cannot encode {type(value).__name__} exactly")


def decode(value: Any) -> Any:
    """The value `encode` was given (lists come back as tuples: every sequence in the model is one)."""
    if isinstance(value, list):
        return tuple(decode(v) for v in value)
    if not isinstance(value, dict):
        return value
    if "$dec" in value:
        return Decimal(value["$dec"])
    if "$dt" in value:
        return datetime.fromisoformat(value["$dt"])
    if "$date" in value:
        return date.fromisoformat(value["$date"])
    if "$enum" in value:
        return _ENUMS[value["$enum"]](value["v"])
    if "$type" in value:
        cls = _DATACLASSES[value["$type"]]
        return cls(**{k: decode(v) for k, v in value.items() if k != "$type"})
    raise ValueError(f"not an encoded value: {value!r}")
