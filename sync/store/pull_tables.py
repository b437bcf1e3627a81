"""Tables of the pull job: where each sweep stands, and the replica tables only a pull fills.

`pull_state`: one row per (connection, entity). `cursor` is the inclusive cursor of the last
finished sweep (the ERP's `served_at` of that sweep's first page, naive UTC); while a sweep is
under way, `sweep_started_at` (its first page's served_at), `sweep_full` and `page_token` (of the
next page to fetch) say where it stands, so a crashed pull resumes on the page it was on,
re-fetching at most that page. The counters describe the current (or last) sweep. The row is
written in the same transaction as the replica rows of each page: rows and cursor commit together.

`pull_seen`: the ERP keys a full sweep has seen so far, kept only for readers that cannot report
deletions (see `creditbridge.sync.pull`); what a finished full sweep did not see is superseded.

`pull_writeoff_keys`: write-offs have no id of their own in the replica (they are keyed by item
and a sequence number); the ERP's key of each pulled write-off is mapped here to that number.

`credit_profiles`: the credit limit, hold and risk class a pulled ERP holds per customer, with
the ERP's version (`source_version`) that a write-back must name; versioned like every replica
table (see `schema`). A ledger-folder import keeps these in the `customers` columns instead.
"""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa

from creditbridge.sync.store.entities import Entity, Field
from creditbridge.sync.store.schema import _col, _key, _versioned, metadata

pull_state = sa.Table(
    "pull_state",
    metadata,
    sa.Column("connection", sa.String(64), primary_key=True),
    sa.Column("entity", sa.String(32), primary_key=True),
    sa.Column("cursor", sa.DateTime, nullable=True),
    sa.Column("sweep_started_at", sa.DateTime, nullable=True),
    sa.Column("sweep_full", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("page_token", sa.String, nullable=True),
    sa.Column("pages_fetched", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("records_seen", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("rows_inserted", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("rows_updated", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("rows_deleted", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("rows_unchanged", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("last_sweep_finished_at", sa.DateTime, nullable=True),
    sa.Column("run_id", sa.String(64), nullable=True),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

pull_seen = sa.Table(
    "pull_seen",
    metadata,
    sa.Column("connection", sa.String(64), primary_key=True),
    sa.Column("entity", sa.String(32), primary_key=True),
    sa.Column("erp_key", sa.String, primary_key=True),
)

pull_writeoff_keys = sa.Table(
    "pull_writeoff_keys",
    metadata,
    sa.Column("source", sa.String(64), primary_key=True),
    sa.Column("erp_key", sa.String, primary_key=True),
    sa.Column("item_id", sa.String, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Index(None, "source", "item_id"),
)

credit_profiles = _versioned(
    "credit_profiles",
    [_key("customer_id")],
    [
        _col("currency", sa.String(3)),
        _col("credit_limit", sa.BigInteger),
        _col("on_hold", sa.Boolean, nullable=False),
        _col("risk_class", sa.String),
        _col("score", sa.BigInteger),
        _col("review_date", sa.Date),
        _col("source_version", sa.String),
    ],
)
sa.Index(
    "ix_credit_profiles_history", credit_profiles.c.source, credit_profiles.c.customer_id, credit_profiles.c.valid_from
)

_S, _I64, _D, _B = pl.Utf8(), pl.Int64(), pl.Date(), pl.Boolean()

CREDIT_PROFILES = Entity(
    "credit_profiles",
    "credit_profiles",
    (Field("customer_id", _S, False),),
    (
        Field("currency", _S),
        Field("credit_limit", _I64),
        Field("on_hold", _B, False, default=False),
        Field("risk_class", _S),
        Field("score", _I64),
        Field("review_date", _D),
        Field("source_version", _S),
    ),
)
"""The replica spec of `credit_profiles` (money and score in units of 1/UNITS_PER_MAJOR)."""
