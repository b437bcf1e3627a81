"""Tables of cash application: statements read, their payments with the match decided, learned facts.

Why a statement row keyed by the file's SHA-256: re-running the same file finds it and creates
nothing twice. A payment row keeps the bank's data (to re-match and to learn from) and the
decision (auto/suggest/unapplied, confidence, evidence, alternatives as JSON); `status` follows
it through the worklist (auto, open, confirmed, rejected). `cashapp_allocations` are the invoice
applications of a payment (the matcher's, or a person's on confirm) — what later runs subtract
from the open amounts. `cashapp_memory` is what confirmations taught (payer account/name →
customer, reference habits, rejected payer/customer pairs), read back as `MatchMemory`.
Money is BIGINT units of 1/UNITS_PER_MAJOR with a currency; timestamps are naive UTC.
"""

from __future__ import annotations

import sqlalchemy as sa

from creditbridge.sync.store.schema import ROW_ID, metadata

cashapp_statements = sa.Table(
    "cashapp_statements",
    metadata,
    sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
    sa.Column("file_sha256", sa.String(64), nullable=False),
    sa.Column("file_name", sa.String, nullable=False),
    sa.Column("format", sa.String(32), nullable=False),
    sa.Column("payments", sa.Integer, nullable=False),
    sa.Column("skipped_debits", sa.Integer, nullable=False),
    sa.Column("skipped_reversals", sa.Integer, nullable=False),
    sa.Column("imported_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("file_sha256"),
)

cashapp_payments = sa.Table(
    "cashapp_payments",
    metadata,
    sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
    sa.Column("statement_id", ROW_ID, sa.ForeignKey("cashapp_statements.id"), nullable=False),
    sa.Column("payment_id", sa.String(200), nullable=False),
    sa.Column("booked_on", sa.Date, nullable=False),
    sa.Column("value_date", sa.Date, nullable=True),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("payer_name", sa.String, nullable=True),
    sa.Column("payer_account", sa.String, nullable=True),
    sa.Column("remittance_text", sa.Text, nullable=True),
    sa.Column("remittance_lines", sa.JSON, nullable=False),
    sa.Column("end_to_end_id", sa.String, nullable=True),
    sa.Column("bank_reference", sa.String, nullable=True),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("confidence", sa.String(16), nullable=False),
    sa.Column("customer_id", sa.String, nullable=True),
    sa.Column("stage", sa.String(32), nullable=False),
    sa.Column("residual", sa.String(32), nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("alternatives", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("decided_by", sa.String(128), nullable=True),
    sa.Column("decided_at", sa.DateTime, nullable=True),
    sa.UniqueConstraint("statement_id", "payment_id"),
    sa.Index(None, "status"),
    sa.Index(None, "payment_id"),
)

cashapp_allocations = sa.Table(
    "cashapp_allocations",
    metadata,
    sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
    sa.Column("payment_row", ROW_ID, sa.ForeignKey("cashapp_payments.id"), nullable=False),
    sa.Column("item_id", sa.String, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("origin", sa.String(16), nullable=False),
    sa.Index(None, "payment_row"),
    sa.Index(None, "item_id"),
)

cashapp_memory = sa.Table(
    "cashapp_memory",
    metadata,
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("customer_id", sa.String, primary_key=True),
    sa.Column("learned_from", ROW_ID, nullable=True),
    sa.Column("learned_by", sa.String(128), nullable=False),
    sa.Column("learned_at", sa.DateTime, nullable=False),
)
