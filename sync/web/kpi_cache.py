"""The AR report (KPIs and their 12-month trend) kept between requests until the store's data changes.

Why: the dashboard and the customer list run the KPI engine over the whole ledger thirteen times
(as of the day and at twelve month-ends); at tens of thousands of customers that is seconds, and
the answer only changes when the data does. Every change of the replica tables (a full import, an
incremental pull's page) is one committed `imports` row, finished in the same transaction as its
rows, so the highest finished import id of the source is a version of the data that costs one
indexed lookup. A report is kept per (store, source, data version, as-of date, period); a new
import gives a new key, and the least recently used entries are dropped beyond `size`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from creditbridge.sync.reports.ar_report import ArReport
from creditbridge.sync.store import Store, schema

Key = tuple[str, str | None, int | None, date, int]


def data_version(engine: sa.Engine, source: str | None) -> int | None:
    """The id of the last finished import (of `source`, else of any source); None before the first."""
    imports = schema.imports
    query = sa.select(sa.func.max(imports.c.id)).where(imports.c.finished_at.is_not(None))
    if source is not None:
        query = query.where(imports.c.source == source)
    with engine.connect() as conn:
        found = conn.execute(query).scalar_one_or_none()
    return None if found is None else int(found)


class KpiCache:
    """Reports and rows derived from them, by `Key`; thread-safe (pages run in a thread pool)."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._entries: OrderedDict[Key, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def report(self, store: Store, source: str | None, as_of: date, period_days: int,
               build: Callable[[], ArReport | None]) -> ArReport | None:  # fmt: skip
        """The report of this data version, built by `build()` when it is not kept."""
        report: ArReport | None = self._get(store, source, as_of, period_days, "report", build)
        return report

    def derived(self, store: Store, source: str | None, as_of: date, period_days: int, name: str,
                build: Callable[[], Sequence[Mapping[str, Any]]]) -> Sequence[Mapping[str, Any]]:  # fmt: skip
        """Something computed from the report (the customer list's rows), kept with it under `name`."""
        rows: Sequence[Mapping[str, Any]] = self._get(store, source, as_of, period_days, name, build)
        return rows

    def _get(self, store: Store, source: str | None, as_of: date, period_days: int, name: str,
             build: Callable[[], Any]) -> Any:  # fmt: skip
        key: Key = (store.url, source, data_version(store.engine, source), as_of, period_days)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                if name in entry:
                    return entry[name]
        value = build()  # outside the lock: two first requests may both build; the last one is kept
        with self._lock:
            self._entries.setdefault(key, {})[name] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value
