"""Credit decisions and the policies that made them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

credit_policies: one row per policy text (version = its SHA-256). credit_decisions: every
application and review decision with its inputs, result, policy version, who or what made it and
the change request a review decision became. Indexes for the order-time credit check: a customer's
current rows by id and by parent, its open items (open amount not zero) and its orders (covering
the columns the check sums). Written out in full (not imported from
credit_tables.py) so this revision never changes after release.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_policies",
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("first_used_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_credit_policies"),
    )
    op.create_table(
        "credit_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source", sa.String(64), nullable=True),
        sa.Column("customer_id", sa.String(), nullable=True),
        sa.Column("applicant", sa.String(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("decided_by", sa.String(128), nullable=False),
        sa.Column("decision", sa.String(64), nullable=False),
        sa.Column("score", sa.String(32), nullable=True),
        sa.Column("risk_class", sa.String(64), nullable=True),
        sa.Column("recommended_limit", sa.String(40), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["policy_version"], ["credit_policies.version"],
                                name="fk_credit_decisions_policy_version_credit_policies"),
        sa.PrimaryKeyConstraint("id", name="pk_credit_decisions"),
    )
    op.create_index("ix_credit_decisions_customer_id_kind_decided_at", "credit_decisions",
                    ["customer_id", "kind", "decided_at"])
    op.create_index("ix_credit_decisions_decided_at", "credit_decisions", ["decided_at"])
    current = sa.text("valid_to IS NULL")
    open_current = sa.text("valid_to IS NULL AND open_amount <> 0")
    op.create_index("ix_customers_credit", "customers", ["customer_id", "source"],
                    sqlite_where=current, postgresql_where=current)
    op.create_index("ix_customers_parent", "customers", ["source", "parent_id"],
                    sqlite_where=current, postgresql_where=current)
    op.create_index("ix_open_items_credit", "open_items",
                    ["source", "customer_id", "currency", "invoice_date", "due_date", "open_amount"],
                    sqlite_where=open_current, postgresql_where=open_current)
    op.create_index("ix_orders_credit", "orders", ["source", "customer_id", "currency", "status", "amount"],
                    sqlite_where=current, postgresql_where=current)


def downgrade() -> None:
    op.drop_index("ix_orders_credit", table_name="orders")
    op.drop_index("ix_open_items_credit", table_name="open_items")
    op.drop_index("ix_customers_parent", table_name="customers")
    op.drop_index("ix_customers_credit", table_name="customers")
    op.drop_index("ix_credit_decisions_decided_at", table_name="credit_decisions")
    op.drop_index("ix_credit_decisions_customer_id_kind_decided_at", table_name="credit_decisions")
    op.drop_table("credit_decisions")
    op.drop_table("credit_policies")
