"""Tables of the pull job: where each connection's sweep of each entity stands.

One row per (connection, entity): the inclusive cursor of the last finished sweep, and, while a
sweep is under way, its page token and start time, so a crashed pull resumes on the page it was
on (re-fetching at most that page). Written in the same transaction as the rows of each page.
"""

from __future__ import annotations

import sqlalchemy as sa

from creditbridge.sync.store.schema import metadata

pull_state = sa.Table(
    "pull_state",
    metadata,
    sa.Column("connection", sa.String(64), primary_key=True),
    sa.Column("entity", sa.String(32), primary_key=True),
    sa.Column("cursor", sa.DateTime, nullable=True),
    sa.Column("sweep_started_at", sa.DateTime, nullable=True),
    sa.Column("page_token", sa.String, nullable=True),
    sa.Column("pages_fetched", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("records_seen", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)
