"""The store's tables as SQLAlchemy Core metadata: the replica of ERP data, with history.

Why history in the replica itself: reports must be reproducible "as known at" a past import
(system time), not only "as of" a past business date. Every replica row is one *version* of an
ERP record: `valid_from` is the import that recorded it, `valid_to` the import that superseded
or deleted it (NULL while it is current). A record's key is (source, ERP key); at most one
version per key is current (a partial unique index says so on SQLite and PostgreSQL alike).

Money is BIGINT in units of 1/`UNITS_PER_MAJOR` next to a currency column: exact on both
databases (SQLite's NUMERIC would be float-backed). Dates are DATE.

`valid_from` and `valid_to` hold ids of `imports` rows but are not declared foreign keys:
checking them per row halves PostgreSQL's COPY speed, and the importer, which writes them in
the same transaction as the import row, is their only writer.

Migrations (migrations/versions) create these tables on their own, without importing this
module, so an old migration never changes when this file does; a test compares the two.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""Surrogate key of a version row: BIGINT on PostgreSQL, INTEGER (the rowid) on SQLite."""

imports = sa.Table(
    "imports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime, nullable=True),
    sa.Column("full_snapshot", sa.Boolean, nullable=False),
    sa.Column("hash_scheme", sa.String(64), nullable=False),
    sa.Column("rows_read", sa.BigInteger, nullable=False),
    sa.Column("rows_inserted", sa.BigInteger, nullable=False),
    sa.Column("rows_updated", sa.BigInteger, nullable=False),
    sa.Column("rows_deleted", sa.BigInteger, nullable=False),
    sa.Column("rows_unchanged", sa.BigInteger, nullable=False),
    sa.Column("counts", sa.JSON, nullable=True),
    sa.Column("warnings", sa.JSON, nullable=True),
    sa.Index(None, "source", "finished_at"),
)


_Type = sa.types.TypeEngine[Any] | type[sa.types.TypeEngine[Any]]


def _versioned(name: str, keys: list[sa.Column[Any]], content: list[sa.Column[Any]]) -> sa.Table:
    """A replica table: surrogate row id, (source, keys) + content, hash and validity range."""
    key_names = ["source", *(c.name for c in keys)]
    return sa.Table(
        name,
        metadata,
        sa.Column("row_id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(64), nullable=False),
        *keys,
        *content,
        sa.Column("content_hash", sa.BigInteger, nullable=False),
        sa.Column("valid_from", sa.Integer, nullable=False),
        sa.Column("valid_to", sa.Integer, nullable=True),
        sa.Index(
            f"ux_{name}_current",
            *key_names,
            unique=True,
            sqlite_where=sa.text("valid_to IS NULL"),
            postgresql_where=sa.text("valid_to IS NULL"),
        ),
    )


def _key(name: str, type_: _Type = sa.String) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=False)


def _col(name: str, type_: _Type, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=nullable)


customers = _versioned(
    "customers",
    [_key("customer_id")],
    [
        _col("name", sa.String, nullable=False),
        _col("parent_id", sa.String),
        _col("currency", sa.String(3), nullable=False),
        _col("payment_terms_days", sa.Integer),
        _col("credit_limit", sa.BigInteger),
        _col("on_hold", sa.Boolean, nullable=False),
        _col("risk_class", sa.String),
        _col("tax_id", sa.String),
        _col("bank_accounts", sa.String),
    ],
)
sa.Index("ix_customers_history", customers.c.source, customers.c.customer_id, customers.c.valid_from)

open_items = _versioned(
    "open_items",
    [_key("item_id")],
    [
        _col("doc_type", sa.String(3), nullable=False),
        _col("customer_id", sa.String, nullable=False),
        _col("invoice_date", sa.Date, nullable=False),
        _col("due_date", sa.Date, nullable=False),
        _col("currency", sa.String(3), nullable=False),
        _col("amount", sa.BigInteger, nullable=False),
        _col("open_amount", sa.BigInteger, nullable=False),
        _col("po_number", sa.String),
        _col("discount_percent", sa.BigInteger),
        _col("discount_days", sa.Integer),
    ],
)

payments = _versioned(
    "payments",
    [_key("payment_id")],
    [
        _col("customer_id", sa.String, nullable=False),
        _col("payment_date", sa.Date, nullable=False),
        _col("currency", sa.String(3), nullable=False),
        _col("amount", sa.BigInteger, nullable=False),
        _col("reference", sa.String),
    ],
)

applications = _versioned(
    "applications",
    [_key("payment_id"), _key("item_id"), _key("seq", sa.Integer())],
    [
        _col("applied_on", sa.Date, nullable=False),
        _col("currency", sa.String(3), nullable=False),
        _col("amount", sa.BigInteger, nullable=False),
    ],
)

orders = _versioned(
    "orders",
    [_key("order_number")],
    [
        _col("customer_id", sa.String, nullable=False),
        _col("order_date", sa.Date, nullable=False),
        _col("currency", sa.String(3), nullable=False),
        _col("amount", sa.BigInteger, nullable=False),
        _col("status", sa.String(16), nullable=False),
    ],
)

writeoffs = _versioned(
    "writeoffs",
    [_key("item_id"), _key("seq", sa.Integer())],
    [
        _col("written_off_on", sa.Date, nullable=False),
        _col("currency", sa.String(3), nullable=False),
        _col("amount", sa.BigInteger, nullable=False),
        _col("reason", sa.String),
    ],
)

column_snapshots = sa.Table(
    "column_snapshots",
    metadata,
    sa.Column("source", sa.String(64), primary_key=True),
    sa.Column("part", sa.String(32), primary_key=True),
    sa.Column("chunk", sa.Integer, primary_key=True),
    sa.Column("import_id", sa.Integer, nullable=False),
    sa.Column("format", sa.String(32), nullable=False),
    sa.Column("n_rows", sa.BigInteger, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)
"""Derived data: the KPI columns of each source's latest full import (see `snapshots`)."""

REPLICA_TABLES: tuple[sa.Table, ...] = (customers, open_items, payments, applications, orders, writeoffs)

# Tables of later features live in modules of their own, on this same metadata; importing them
# here registers them, so `metadata` always describes the whole schema the migrations create.
from creditbridge.sync.store import (  # noqa: E402, F401
    cashapp_tables,
    collections_tables,
    credit_tables,
    pull_tables,
    reconcile_tables,
    scheduling_tables,
    secret_tables,
    service_tables,
    web_tables,
    writeback_tables,
)
