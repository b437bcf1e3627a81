"""Tables of the credit engine: every credit decision with its inputs, and the policies that made them.

Why keep inputs and the policy text: a decision must be reproducible (issue "Audit"): replaying
`inputs` under the policy `policy_version` names gives the same `result`. `credit_policies` keeps
each policy's text once, keyed by its version (the SHA-256 of the text). `kind` is `application`,
`review` or `order_check` (a store-mode credit check); `decided_by` is the person (`--user`), the
job (`creditbridge-credit-review`) or the service route that made the decision; `request_id` links a
review's decision to the write-back change request it became. Times are naive UTC; JSON columns
hold amounts as decimal strings.
"""

from __future__ import annotations

import sqlalchemy as sa

from creditbridge.sync.store import schema
from creditbridge.sync.store.schema import metadata

credit_policies = sa.Table(
    "credit_policies",
    metadata,
    sa.Column("version", sa.String(64), primary_key=True),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("first_used_at", sa.DateTime, nullable=False),
)

credit_decisions = sa.Table(
    "credit_decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("source", sa.String(64), nullable=True),
    sa.Column("customer_id", sa.String, nullable=True),
    sa.Column("applicant", sa.String, nullable=True),
    sa.Column("decided_at", sa.DateTime, nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("decided_by", sa.String(128), nullable=False),
    sa.Column("decision", sa.String(64), nullable=False),
    sa.Column("score", sa.String(32), nullable=True),
    sa.Column("risk_class", sa.String(64), nullable=True),
    sa.Column("recommended_limit", sa.String(40), nullable=True),
    sa.Column("currency", sa.String(3), nullable=True),
    sa.Column("policy_version", sa.String(64), sa.ForeignKey("credit_policies.version"), nullable=False),
    sa.Column("inputs", sa.JSON, nullable=False),
    sa.Column("result", sa.JSON, nullable=False),
    sa.Column("request_id", sa.Integer, nullable=True),
    sa.Index(None, "customer_id", "kind", "decided_at"),
    sa.Index(None, "decided_at"),
)


# Indexes of the order-time credit check (`credit_reads`): a customer's current rows by id, its
# group by parent, its open items (open amount not zero) and its orders, without scanning a table.
# The item and order indexes cover the columns the check sums: no table row is read for them.
_CURRENT = "valid_to IS NULL"
sa.Index("ix_customers_credit", schema.customers.c.customer_id, schema.customers.c.source,
         sqlite_where=sa.text(_CURRENT), postgresql_where=sa.text(_CURRENT))  # fmt: skip
sa.Index("ix_customers_parent", schema.customers.c.source, schema.customers.c.parent_id,
         sqlite_where=sa.text(_CURRENT), postgresql_where=sa.text(_CURRENT))  # fmt: skip
_items, _orders = schema.open_items.c, schema.orders.c
sa.Index("ix_open_items_credit", _items.source, _items.customer_id, _items.currency, _items.invoice_date,
         _items.due_date, _items.open_amount,
         sqlite_where=sa.text(f"{_CURRENT} AND open_amount <> 0"),
         postgresql_where=sa.text(f"{_CURRENT} AND open_amount <> 0"))  # fmt: skip
sa.Index("ix_orders_credit", _orders.source, _orders.customer_id, _orders.currency, _orders.status, _orders.amount,
         sqlite_where=sa.text(_CURRENT), postgresql_where=sa.text(_CURRENT))  # fmt: skip
