"""Replica of ERP ledgers with history, and the log of import runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Every replica table holds versions of records keyed by (source, ERP key): `valid_from` is the
import that recorded a version, `valid_to` the import that superseded it (NULL = current); a
partial unique index allows one current version per key. valid_from/valid_to hold imports.id
values without a declared foreign key (a per-row check halves PostgreSQL's bulk load speed). Money is BIGINT units of 1/10_000 with
a currency column; dates are DATE. column_snapshots keeps the KPI columns of each source's
latest full import as Arrow IPC blobs (derived data, for fast loads). Written out in full (not imported from schema.py) so this
revision never changes after release.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_CURRENT = "valid_to IS NULL"


def _versioned(name: str, keys: list[sa.Column[Any]], content: list[sa.Column[Any]]) -> None:
    op.create_table(
        name,
        sa.Column("row_id", _ROW_ID, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        *keys,
        *content,
        sa.Column("content_hash", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.Integer(), nullable=False),
        sa.Column("valid_to", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("row_id", name=f"pk_{name}"),
    )
    op.create_index(
        f"ux_{name}_current",
        name,
        ["source", *(c.name for c in keys)],
        unique=True,
        sqlite_where=sa.text(_CURRENT),
        postgresql_where=sa.text(_CURRENT),
    )


def _key(name: str, type_: sa.types.TypeEngine[Any] | None = None) -> sa.Column[Any]:
    return sa.Column(name, type_ if type_ is not None else sa.String(), nullable=False)


def _col(name: str, type_: sa.types.TypeEngine[Any], nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("full_snapshot", sa.Boolean(), nullable=False),
        sa.Column("hash_scheme", sa.String(64), nullable=False),
        sa.Column("rows_read", sa.BigInteger(), nullable=False),
        sa.Column("rows_inserted", sa.BigInteger(), nullable=False),
        sa.Column("rows_updated", sa.BigInteger(), nullable=False),
        sa.Column("rows_deleted", sa.BigInteger(), nullable=False),
        sa.Column("rows_unchanged", sa.BigInteger(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("warnings", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_imports"),
    )
    op.create_index("ix_imports_source_finished_at", "imports", ["source", "finished_at"])

    _versioned(
        "customers",
        [_key("customer_id")],
        [
            _col("name", sa.String(), nullable=False),
            _col("parent_id", sa.String()),
            _col("currency", sa.String(3), nullable=False),
            _col("payment_terms_days", sa.Integer()),
            _col("credit_limit", sa.BigInteger()),
            _col("on_hold", sa.Boolean(), nullable=False),
            _col("risk_class", sa.String()),
            _col("tax_id", sa.String()),
            _col("bank_accounts", sa.String()),
        ],
    )
    op.create_index("ix_customers_history", "customers", ["source", "customer_id", "valid_from"])
    _versioned(
        "open_items",
        [_key("item_id")],
        [
            _col("doc_type", sa.String(3), nullable=False),
            _col("customer_id", sa.String(), nullable=False),
            _col("invoice_date", sa.Date(), nullable=False),
            _col("due_date", sa.Date(), nullable=False),
            _col("currency", sa.String(3), nullable=False),
            _col("amount", sa.BigInteger(), nullable=False),
            _col("open_amount", sa.BigInteger(), nullable=False),
            _col("po_number", sa.String()),
            _col("discount_percent", sa.BigInteger()),
            _col("discount_days", sa.Integer()),
        ],
    )
    _versioned(
        "payments",
        [_key("payment_id")],
        [
            _col("customer_id", sa.String(), nullable=False),
            _col("payment_date", sa.Date(), nullable=False),
            _col("currency", sa.String(3), nullable=False),
            _col("amount", sa.BigInteger(), nullable=False),
            _col("reference", sa.String()),
        ],
    )
    _versioned(
        "applications",
        [_key("payment_id"), _key("item_id"), _key("seq", sa.Integer())],
        [
            _col("applied_on", sa.Date(), nullable=False),
            _col("currency", sa.String(3), nullable=False),
            _col("amount", sa.BigInteger(), nullable=False),
        ],
    )
    _versioned(
        "orders",
        [_key("order_number")],
        [
            _col("customer_id", sa.String(), nullable=False),
            _col("order_date", sa.Date(), nullable=False),
            _col("currency", sa.String(3), nullable=False),
            _col("amount", sa.BigInteger(), nullable=False),
            _col("status", sa.String(16), nullable=False),
        ],
    )
    _versioned(
        "writeoffs",
        [_key("item_id"), _key("seq", sa.Integer())],
        [
            _col("written_off_on", sa.Date(), nullable=False),
            _col("currency", sa.String(3), nullable=False),
            _col("amount", sa.BigInteger(), nullable=False),
            _col("reason", sa.String()),
        ],
    )


    op.create_table(
        "column_snapshots",
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("part", sa.String(32), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(32), nullable=False),
        sa.Column("n_rows", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("source", "part", "chunk", name="pk_column_snapshots"),
    )


def downgrade() -> None:
    op.drop_table("column_snapshots")
    for name in ("writeoffs", "orders", "applications", "payments", "open_items", "customers"):
        op.drop_table(name)
    op.drop_index("ix_imports_source_finished_at", table_name="imports")
    op.drop_table("imports")
