"""Collections: reminders sent (messages and items), promises to pay, disputes, contacts, contact log.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

dunning_items has primary key (item_id, level): an item is dunned at most once per level.
Written out in full (not imported from collections_tables.py) so this revision never changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dunning_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("template", sa.String(64), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(), nullable=True),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("warning", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_dunning_messages"),
    )
    op.create_index("ix_dunning_messages_status", "dunning_messages", ["status"])
    op.create_index("ix_dunning_messages_customer_id", "dunning_messages", ["customer_id"])
    op.create_table(
        "dunning_items",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        sa.Column("open_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["dunning_messages.id"], name="fk_dunning_items_message_id_dunning_messages"
        ),
        sa.PrimaryKeyConstraint("item_id", "level", name="pk_dunning_items"),
    )
    op.create_index("ix_dunning_items_message_id", "dunning_items", ["message_id"])
    op.create_table(
        "promises",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(), nullable=False),
        sa.Column("promise_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("invoice_numbers", sa.Text(), server_default="", nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("owner", sa.String(128), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_promises"),
    )
    op.create_index("ix_promises_customer_id", "promises", ["customer_id"])
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("invoice_number", sa.String(), nullable=False),
        sa.Column("customer_id", sa.String(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("owner", sa.String(128), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("resolution", sa.String(32), nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_disputes"),
    )
    op.create_index("ix_disputes_invoice_number", "disputes", ["invoice_number"])
    op.create_index("ix_disputes_status", "disputes", ["status"])
    op.create_table(
        "collection_contacts",
        sa.Column("customer_id", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name="pk_collection_contacts"),
    )
    op.create_table(
        "contact_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(128), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("dunning_message_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_contact_log"),
    )
    op.create_index("ix_contact_log_customer_id_at", "contact_log", ["customer_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_contact_log_customer_id_at", table_name="contact_log")
    op.drop_table("contact_log")
    op.drop_table("collection_contacts")
    op.drop_index("ix_disputes_status", table_name="disputes")
    op.drop_index("ix_disputes_invoice_number", table_name="disputes")
    op.drop_table("disputes")
    op.drop_index("ix_promises_customer_id", table_name="promises")
    op.drop_table("promises")
    op.drop_index("ix_dunning_items_message_id", table_name="dunning_items")
    op.drop_table("dunning_items")
    op.drop_index("ix_dunning_messages_customer_id", table_name="dunning_messages")
    op.drop_index("ix_dunning_messages_status", table_name="dunning_messages")
    op.drop_table("dunning_messages")
