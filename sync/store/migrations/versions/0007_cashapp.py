"""Cash application: statements, their payments and match decisions, allocations, learned facts.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

cashapp_statements: one row per statement file, unique by its SHA-256 (a re-run creates nothing).
cashapp_payments: the bank's data of each payment and the decision (status auto/open/confirmed/
rejected). cashapp_allocations: applications to invoices (the matcher's or a person's).
cashapp_memory: learned payer accounts, names, reference habits and rejections. Money is BIGINT
units of 1/10_000 with a currency. Written out in full (not imported from cashapp_tables.py) so
this revision never changes after release.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "cashapp_statements",
        sa.Column("id", _ROW_ID, autoincrement=True, nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("format", sa.String(32), nullable=False),
        sa.Column("payments", sa.Integer(), nullable=False),
        sa.Column("skipped_debits", sa.Integer(), nullable=False),
        sa.Column("skipped_reversals", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cashapp_statements"),
        sa.UniqueConstraint("file_sha256", name="uq_cashapp_statements_file_sha256"),
    )
    op.create_table(
        "cashapp_payments",
        sa.Column("id", _ROW_ID, autoincrement=True, nullable=False),
        sa.Column("statement_id", _ROW_ID, nullable=False),
        sa.Column("payment_id", sa.String(200), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("payer_name", sa.String(), nullable=True),
        sa.Column("payer_account", sa.String(), nullable=True),
        sa.Column("remittance_text", sa.Text(), nullable=True),
        sa.Column("remittance_lines", sa.JSON(), nullable=False),
        sa.Column("end_to_end_id", sa.String(), nullable=True),
        sa.Column("bank_reference", sa.String(), nullable=True),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("confidence", sa.String(16), nullable=False),
        sa.Column("customer_id", sa.String(), nullable=True),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("residual", sa.String(32), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("alternatives", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["statement_id"], ["cashapp_statements.id"], name="fk_cashapp_payments_statement_id_cashapp_statements"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cashapp_payments"),
        sa.UniqueConstraint("statement_id", "payment_id", name="uq_cashapp_payments_statement_id_payment_id"),
    )
    op.create_index("ix_cashapp_payments_status", "cashapp_payments", ["status"])
    op.create_index("ix_cashapp_payments_payment_id", "cashapp_payments", ["payment_id"])
    op.create_table(
        "cashapp_allocations",
        sa.Column("id", _ROW_ID, autoincrement=True, nullable=False),
        sa.Column("payment_row", _ROW_ID, nullable=False),
        sa.Column("item_id", sa.String(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_row"], ["cashapp_payments.id"], name="fk_cashapp_allocations_payment_row_cashapp_payments"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cashapp_allocations"),
    )
    op.create_index("ix_cashapp_allocations_payment_row", "cashapp_allocations", ["payment_row"])
    op.create_index("ix_cashapp_allocations_item_id", "cashapp_allocations", ["item_id"])
    op.create_table(
        "cashapp_memory",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("customer_id", sa.String(), nullable=False),
        sa.Column("learned_from", _ROW_ID, nullable=True),
        sa.Column("learned_by", sa.String(128), nullable=False),
        sa.Column("learned_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", "customer_id", name="pk_cashapp_memory"),
    )


def downgrade() -> None:
    op.drop_table("cashapp_memory")
    op.drop_index("ix_cashapp_allocations_item_id", table_name="cashapp_allocations")
    op.drop_index("ix_cashapp_allocations_payment_row", table_name="cashapp_allocations")
    op.drop_table("cashapp_allocations")
    op.drop_index("ix_cashapp_payments_payment_id", table_name="cashapp_payments")
    op.drop_index("ix_cashapp_payments_status", table_name="cashapp_payments")
    op.drop_table("cashapp_payments")
    op.drop_table("cashapp_statements")
