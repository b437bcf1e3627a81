"""Tables of the HTTP service: the queue of pulls that ERP webhooks asked for.

Why a queue in the store and not a pull inside the request: Intuit wants a 2xx within seconds
and retries anything else, while a pull can take minutes. The webhook receiver only writes a
row here; a worker (`creditbridge serve`'s thread, or `creditbridge webhooks drain` from cron)
claims rows with a conditional UPDATE and pulls.

`pull_requests`: one row per accepted webhook delivery. `entities` is the JSON list of core
entity names to pull, `event_ids` the JSON list of the events it carried, `orders` the ERP
keys of the orders (QuickBooks Estimates) they named, which get an order-time credit check. `started_at` is set
when a worker claims the row (with the pull's `run_id`), `finished_at` when the pull ended;
`error` says why it failed (NULL when it succeeded). Times are naive UTC.

`webhook_events`: every event id a connection has received, so a retried or duplicated
delivery is queued once (the primary key refuses the second insert on both databases).
"""

from __future__ import annotations

import sqlalchemy as sa

from creditbridge.sync.store.schema import metadata

pull_requests = sa.Table(
    "pull_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("connection", sa.String(64), nullable=False),
    sa.Column("entities", sa.JSON, nullable=False),
    sa.Column("event_ids", sa.JSON, nullable=False),
    sa.Column("orders", sa.JSON, nullable=True),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=True),
    sa.Column("finished_at", sa.DateTime, nullable=True),
    sa.Column("run_id", sa.String(64), nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Index(None, "finished_at", "connection"),
    sa.Index(None, "run_id"),
)

webhook_events = sa.Table(
    "webhook_events",
    metadata,
    sa.Column("connection", sa.String(64), primary_key=True),
    sa.Column("event_id", sa.String(200), primary_key=True),
    sa.Column("request_id", sa.Integer, nullable=False),
    sa.Column("received_at", sa.DateTime, nullable=False),
)
