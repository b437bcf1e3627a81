"""The whole ledger as core records, read once per import rather than once per page.

Why: the collections rules (`plan_dunning`, `build_worklist`, promise outcomes) read the full
`Ledger`, and building it from the store takes seconds on the demo company. The ledger the loader
returns is fixed by each source's last finished import (`loader.Versions`), so it is kept under
that key — (source, import id, finished at) per source, per store URL — and read again as soon as
an import or pull finishes. Results computed from it (the worklist of a day) are kept the same
way under a key that also names everything else they read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

import sqlalchemy as sa

from creditbridge.core.model import Ledger
from creditbridge.sync.store import Store
from creditbridge.sync.store.schema import imports

T = TypeVar("T")

_LEDGERS = 2
_RESULTS = 16


def snapshot_key(conn: sa.Connection) -> tuple[Hashable, ...]:
    """(source, last finished import id, its finish time) per source: what `load_ledger` reads at."""
    latest = sa.select(sa.func.max(imports.c.id)).where(imports.c.finished_at.is_not(None)).group_by(imports.c.source)
    query = sa.select(imports.c.source, imports.c.id, imports.c.finished_at).where(imports.c.id.in_(latest))
    return tuple(sorted((str(s), int(i), str(f)) for s, i, f in conn.execute(query)))


class ReplicaCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ledgers: OrderedDict[tuple[Hashable, ...], Ledger] = OrderedDict()
        self._results: OrderedDict[Hashable, object] = OrderedDict()

    def key(self, store: Store) -> tuple[Hashable, ...]:
        with store.engine.connect() as conn:
            return (store.url, snapshot_key(conn))

    def ledger(self, store: Store) -> tuple[tuple[Hashable, ...], Ledger]:
        """The store's current ledger (all sources, as `creditbridge collections` reads it) and its key."""
        key = self.key(store)
        with self._lock:
            found = self._ledgers.get(key)
            if found is None:
                found = store.load_ledger(source=None)
                self._ledgers[key] = found
                while len(self._ledgers) > _LEDGERS:
                    self._ledgers.popitem(last=False)
            self._ledgers.move_to_end(key)
            return key, found

    def result(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, or what it returned last time for the same `key`."""
        with self._lock:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            self._results[key] = value
            while len(self._results) > _RESULTS:
                self._results.popitem(last=False)
        return value


CACHE = ReplicaCache()
