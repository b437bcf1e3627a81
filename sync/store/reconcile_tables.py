"""The store's record of reconciliation runs (store mode), for a schedule's "did the last one pass?".

`reconcile_runs`: one row per `run_reconcile_job`, written after the checks: when it ran (naive
UTC), the connections it covered, the as-of date and tolerance it used, how many differences were
above and within the tolerance, whether it passed (`ok`), and the JSON of `--format json` (the
differences and summary), so a report can show what a scheduled run found without running again.
"""

from __future__ import annotations

import sqlalchemy as sa

from creditbridge.sync.store.schema import metadata

reconcile_runs = sa.Table(
    "reconcile_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_at", sa.DateTime, nullable=False),
    sa.Column("connections", sa.String(500), nullable=False),
    sa.Column("as_of", sa.Date, nullable=True),
    sa.Column("tolerance", sa.Numeric(18, 4), nullable=False),
    sa.Column("differences", sa.Integer, nullable=False),
    sa.Column("within_tolerance", sa.Integer, nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("result", sa.Text, nullable=False),
    sa.Index(None, "run_at"),
)
