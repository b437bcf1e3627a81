"""The server's warm-up: after an import, today's KPI report and worklist are built before anyone asks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from creditbridge.adapters.files import read_ledger
from creditbridge.core.credit import CreditPolicy
from creditbridge.sync.config import Config
from creditbridge.sync.service.app import StoreHolder
from creditbridge.sync.store import Store
from creditbridge.sync.web import collections_views, views
from creditbridge.sync.web.context import Workspace
from creditbridge.sync.web.sessions import LoginLimiter
from creditbridge.sync.web.warmup import Warmer

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_kpi"
AS_OF = date(2026, 3, 31)


def test_the_warmer_builds_once_per_import_and_the_pages_then_reuse_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with Store.open(url) as store:
        store.import_ledger(read_ledger(FIXTURE), source="erp1")
        config = Config(store_url=url)
        ws = Workspace(config, StoreHolder(config, store), CreditPolicy(), LoginLimiter())
        warmer = Warmer(ws)

        assert warmer.warm_once(AS_OF) is True
        report = views.kpi_report(store, None, AS_OF)
        work = collections_views.worklist(store, config, AS_OF)
        assert report is not None and work.entries
        assert views.kpi_report(store, None, AS_OF) is report  # the page gets what the warmer built
        assert warmer.warm_once(AS_OF) is False  # nothing changed: no work

        store.import_ledger(read_ledger(FIXTURE), source="erp1")  # a new pull finished
        assert warmer.warm_once(AS_OF) is True
        assert views.kpi_report(store, None, AS_OF) is not report
