"""What each replica table holds, and how an input frame becomes rows of it.

One spec per entity of a ledger: its table, its key (within a source), its content columns
with their polars types, and where each comes from in the `LedgerTables` frames (the files
adapter's names). The content hash that tells a changed record from an unchanged one is
computed here, from the canonical typed columns, so a frame read back from the database hashes
exactly as the input that wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

HASH_SCHEME = f"polars-{pl.__version__}/v1"
"""Polars' hash is stable within one polars version only; an import that finds a different
scheme recorded by the previous one re-hashes the stored rows instead of trusting their hashes."""

_NULL = "\x00"  # stands for NULL in the hashed text, so NULL and "" hash differently
_SEP = "\x1f"


@dataclass(frozen=True, slots=True)
class Field:
    """A column of a replica table and where it comes from in the input frame."""

    name: str
    dtype: pl.DataType
    nullable: bool = True
    input_name: str | None = None  # None: same name; "" : derived by the import, not read
    default: object = None  # for optional input columns that are absent

    @property
    def source_name(self) -> str:
        return self.name if self.input_name is None else self.input_name


@dataclass(frozen=True, slots=True)
class Entity:
    """One kind of ledger record: `attribute` in LedgerTables, `table` in the store."""

    attribute: str
    table: str
    keys: tuple[Field, ...]
    content: tuple[Field, ...]

    @property
    def key_names(self) -> list[str]:
        return [f.name for f in self.keys]

    @property
    def content_names(self) -> list[str]:
        return [f.name for f in self.content]

    @property
    def fields(self) -> tuple[Field, ...]:
        return self.keys + self.content


_S, _I64, _I32, _D, _B = pl.Utf8(), pl.Int64(), pl.Int32(), pl.Date(), pl.Boolean()

CUSTOMERS = Entity(
    "customers",
    "customers",
    (Field("customer_id", _S, False),),
    (
        Field("name", _S, False),
        Field("parent_id", _S),
        Field("currency", _S, False),
        Field("payment_terms_days", _I32),
        Field("credit_limit", _I64),
        Field("on_hold", _B, False, default=False),
        Field("risk_class", _S),
        Field("tax_id", _S),
        Field("bank_accounts", _S),
    ),
)
INVOICES = Entity(
    "invoices",
    "open_items",
    (Field("item_id", _S, False, "invoice_number"),),
    (
        Field("doc_type", _S, False),
        Field("customer_id", _S, False),
        Field("invoice_date", _D, False),
        Field("due_date", _D, False),
        Field("currency", _S, False),
        Field("amount", _I64, False),
        Field("open_amount", _I64, False),
        Field("po_number", _S),
        Field("discount_percent", _I64),
        Field("discount_days", _I32),
    ),
)
PAYMENTS = Entity(
    "payments",
    "payments",
    (Field("payment_id", _S, False),),
    (
        Field("customer_id", _S, False),
        Field("payment_date", _D, False),
        Field("currency", _S, False),
        Field("amount", _I64, False),
        Field("reference", _S),
    ),
)
APPLICATIONS = Entity(
    "applications",
    "applications",
    (Field("payment_id", _S, False), Field("item_id", _S, False, "invoice_number"), Field("seq", _I32, False, "")),
    (Field("applied_on", _D, False), Field("currency", _S, False, ""), Field("amount", _I64, False)),
)
ORDERS = Entity(
    "orders",
    "orders",
    (Field("order_number", _S, False),),
    (
        Field("customer_id", _S, False),
        Field("order_date", _D, False),
        Field("currency", _S, False),
        Field("amount", _I64, False),
        Field("status", _S, False),
    ),
)
WRITEOFFS = Entity(
    "writeoffs",
    "writeoffs",
    (Field("item_id", _S, False, "invoice_number"), Field("seq", _I32, False, "")),
    (
        Field("written_off_on", _D, False, "date"),
        Field("currency", _S, False, ""),
        Field("amount", _I64, False),
        Field("reason", _S),
    ),
)

ENTITIES: tuple[Entity, ...] = (CUSTOMERS, INVOICES, PAYMENTS, APPLICATIONS, ORDERS, WRITEOFFS)
"""In import order: applications and write-offs take their currency from payments and invoices."""

DOC_TYPES = ("INV", "DM", "CM")


def content_hash(entity: Entity) -> pl.Expr:
    """A 64-bit hash of the content columns (signed, to fit a BIGINT)."""
    parts = [pl.col(f.name).cast(pl.Utf8).fill_null(_NULL) for f in entity.content]
    return pl.concat_str(parts, separator=_SEP).hash(seed=0).reinterpret(signed=True).alias("content_hash")


def with_sequence(frame: pl.DataFrame, group: list[str], order: list[str]) -> pl.DataFrame:
    """Number rows 0, 1, … within each `group`, in `order`: a key for records the ERP gives no id.

    Ordering by content makes the numbering independent of the file's row order, so a re-export
    that only reorders lines changes nothing.
    """
    if frame.is_empty():
        return frame.with_columns(pl.lit(0, pl.Int32).alias("seq"))
    return frame.sort([*group, *order], nulls_last=True).with_columns(
        pl.int_range(pl.len(), dtype=pl.Int32).over(group).alias("seq")
    )
