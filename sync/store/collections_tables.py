"""Tables of collections: reminders (messages and their items), promises, disputes, contacts, contact log.

Why a message row and an item row per (item, level): the unique (item_id, level) index is what
makes "never twice for the same level" hold even when two `send` runs race — the second insert
fails. A message row is written as `queued` (the intent) before the SMTP conversation and marked
`sent` after it: see sync/collections/job.py for the crash window.
Money is BIGINT units of 1/UNITS_PER_MAJOR with a currency; timestamps are naive UTC.
"""

from __future__ import annotations

import sqlalchemy as sa

from creditbridge.sync.store.schema import metadata

dunning_messages = sa.Table(
    "dunning_messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("customer_id", sa.String, nullable=False),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("template", sa.String(64), nullable=True),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # queued, sending, sent
    sa.Column("recipient", sa.String, nullable=True),
    sa.Column("message_id", sa.String(200), nullable=False),
    sa.Column("warning", sa.Text, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("sent_at", sa.DateTime, nullable=True),
    sa.Index(None, "status"),
    sa.Index(None, "customer_id"),
)

dunning_items = sa.Table(
    "dunning_items",
    metadata,
    sa.Column("message_id", sa.Integer, sa.ForeignKey("dunning_messages.id"), nullable=False),
    sa.Column("item_id", sa.String, nullable=False),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("days_past_due", sa.Integer, nullable=False),
    sa.Column("open_amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.PrimaryKeyConstraint("item_id", "level"),
    sa.Index(None, "message_id"),
)

promises = sa.Table(
    "promises",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("customer_id", sa.String, nullable=False),
    sa.Column("promise_date", sa.Date, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("invoice_numbers", sa.Text, nullable=False, server_default=""),
    sa.Column("made_on", sa.Date, nullable=False),
    sa.Column("owner", sa.String(128), nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("cancelled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Index(None, "customer_id"),
)

disputes = sa.Table(
    "disputes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("invoice_number", sa.String, nullable=False),
    sa.Column("customer_id", sa.String, nullable=False),
    sa.Column("opened_on", sa.Date, nullable=False),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("owner", sa.String(128), nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("resolution", sa.String(32), nullable=True),
    sa.Column("resolved_on", sa.Date, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Index(None, "invoice_number"),
    sa.Index(None, "status"),
)

collection_contacts = sa.Table(
    "collection_contacts",
    metadata,
    sa.Column("customer_id", sa.String, primary_key=True),
    sa.Column("email", sa.String, nullable=True),
    sa.Column("phone", sa.String, nullable=True),
    sa.Column("address", sa.Text, nullable=True),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

contact_log = sa.Table(
    "contact_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("customer_id", sa.String, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # call, email, letter, inquiry, note, escalation
    sa.Column("status", sa.String(16), nullable=False),  # open, done
    sa.Column("owner", sa.String(128), nullable=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("follow_up_on", sa.Date, nullable=True),
    sa.Column("dunning_message_id", sa.Integer, nullable=True),
    sa.Index(None, "customer_id", "at"),
)
