"""The ledger folder format: which sheets exist and what each column holds.

This is the contract with whoever exports from an ERP (documented in README): exact column names,
matched case-insensitively after stripping spaces; extra columns are ignored. Keeping the specs as
data lets one converter check every sheet the same way and name the column in every message.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """How a cell's text is read."""

    TEXT = "text"  # kept as stripped text
    DATE = "date"  # YYYY-MM-DD
    AMOUNT = "amount"  # plain decimal, at most 4 places -> Int64 units
    DAYS = "days"  # whole number >= 0 -> Int32
    BOOL = "bool"  # true/false/yes/no/1/0, empty = false
    CURRENCY = "currency"  # 3 uppercase letters
    CHOICE = "choice"  # one of `choices` (case-insensitive; stored as written in `choices`)
    LIST = "list"  # ';'-separated, items trimmed, stored ';'-joined


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    name: str
    kind: Kind
    required: bool = True
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SheetSpec:
    """A sheet (a CSV file or a workbook sheet of the same name) and its columns."""

    name: str
    columns: tuple[ColumnSpec, ...]
    required: bool
    key: str | None = None  # column whose values must be unique

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


def _col(name: str, kind: Kind = Kind.TEXT, required: bool = True, choices: tuple[str, ...] = ()) -> ColumnSpec:
    return ColumnSpec(name, kind, required, choices)


DOC_TYPES = ("INV", "DM", "CM")
ORDER_STATUSES = ("open", "closed", "cancelled")

CUSTOMERS = SheetSpec(
    "customers",
    (
        _col("customer_id"),
        _col("name"),
        _col("parent_id", required=False),
        _col("currency", Kind.CURRENCY),
        _col("payment_terms_days", Kind.DAYS, required=False),
        _col("credit_limit", Kind.AMOUNT, required=False),
        _col("on_hold", Kind.BOOL, required=False),
        _col("risk_class", required=False),
        _col("tax_id", required=False),
        _col("bank_accounts", Kind.LIST, required=False),
    ),
    required=True,
    key="customer_id",
)

INVOICES = SheetSpec(
    "invoices",
    (
        _col("invoice_number"),
        _col("doc_type", Kind.CHOICE, choices=DOC_TYPES),
        _col("customer_id"),
        _col("invoice_date", Kind.DATE),
        _col("due_date", Kind.DATE),
        _col("currency", Kind.CURRENCY),
        _col("amount", Kind.AMOUNT),
        _col("open_amount", Kind.AMOUNT),
        _col("po_number", required=False),
        _col("discount_percent", Kind.AMOUNT, required=False),
        _col("discount_days", Kind.DAYS, required=False),
    ),
    required=True,
    key="invoice_number",
)

PAYMENTS = SheetSpec(
    "payments",
    (
        _col("payment_id"),
        _col("customer_id"),
        _col("payment_date", Kind.DATE),
        _col("currency", Kind.CURRENCY),
        _col("amount", Kind.AMOUNT),
        _col("reference", required=False),
        _col("applied_to", required=False),
    ),
    required=True,
    key="payment_id",
)

ORDERS = SheetSpec(
    "orders",
    (
        _col("order_number"),
        _col("customer_id"),
        _col("order_date", Kind.DATE),
        _col("currency", Kind.CURRENCY),
        _col("amount", Kind.AMOUNT),
        _col("status", Kind.CHOICE, choices=ORDER_STATUSES),
    ),
    required=False,
    key="order_number",
)

WRITEOFFS = SheetSpec(
    "writeoffs",
    (
        _col("invoice_number"),
        _col("date", Kind.DATE),
        _col("amount", Kind.AMOUNT),
        _col("reason", required=False),
    ),
    required=False,
)

SHEETS: tuple[SheetSpec, ...] = (CUSTOMERS, INVOICES, PAYMENTS, ORDERS, WRITEOFFS)
SHEETS_BY_NAME: dict[str, SheetSpec] = {s.name: s for s in SHEETS}


def normalize_header(name: str) -> str:
    """Header names match case-insensitively after stripping spaces (and a stray BOM)."""
    return name.replace("\ufeff", "").strip().lower()
