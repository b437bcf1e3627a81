"""Compute today's dashboard figures and worklist in the background whenever the store's data changes.

Why: the workspace keeps the KPI report and the collections worklist until the next import or pull
(`replica_cache`), but building them reads the whole ledger — seconds on a large company. Without
this, the first person to open the dashboard after each pull waits for that; with it, `creditbridge
serve` notices the new import within `interval` seconds and does the work before anyone asks.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from datetime import date

from creditbridge.sync.logs import get_logger
from creditbridge.sync.web import collections_views, views
from creditbridge.sync.web.context import Workspace
from creditbridge.sync.web.replica_cache import CACHE

_log = get_logger(__name__)


class Warmer:
    def __init__(self, ws: Workspace, interval: float = 20.0) -> None:
        self._ws = ws
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._warmed: tuple[Hashable, ...] | None = None

    def warm_once(self, today: date | None = None) -> bool:
        """Build today's KPI report and worklist if the data changed since the last time; True if it did."""
        store = self._ws.store
        key = CACHE.key(store)
        if key == self._warmed:
            return False
        as_of = today or date.today()
        views.kpi_report(store, self._ws.source, as_of)
        try:
            collections_views.worklist(store, self._ws.config, as_of)
        except collections_views.PolicyUnreadable as exc:  # the pages say so when asked; nothing to warm
            _log.warning("web.warmup_skipped", part="worklist", error=str(exc))
        self._warmed = key
        return True

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="creditbridge-web-warmup", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self.warm_once():
                    _log.info("web.warmed")
            except Exception as exc:  # a store that is down now may answer next time; the pages report it
                _log.warning("web.warmup_failed", error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            self._stop.wait(self._interval)
