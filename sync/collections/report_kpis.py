"""The collections KPIs added to the AR report (`creditbridge report`), from a ledger folder or the store.

Why here and not in sync/reports: the report needs the collections records (promises, disputes,
reminders sent) that only the collections shell knows how to read; the report only renders
`CollectionsKpis`. The built-in dunning policy supplies the promise tolerance and window.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from creditbridge.core.collections.kpis import collections_kpis
from creditbridge.core.model import Dispute, DunningAction, PromiseToPay
from creditbridge.sync.collections.policy_file import builtin_policy
from creditbridge.sync.reports.ar_report import ArReport

EFFECTIVENESS_DAYS = 14
"""Dunning effectiveness counts an item as paid after a reminder when it is settled within this many days."""


def with_collections(report: ArReport, ledger_dir: Path | None, store_url: str | None, source: str | None) -> ArReport:
    """`report` with its collections KPIs, read from the ledger folder or else the store."""
    disputes: tuple[Dispute, ...] = ()
    promises: tuple[PromiseToPay, ...] = ()
    sent: tuple[DunningAction, ...] = ()
    if ledger_dir is not None:
        from creditbridge.adapters.files import read_ledger
        from creditbridge.adapters.files.collections_files import read_collections_files

        ledger = read_ledger(ledger_dir).to_ledger()
        extra = read_collections_files(ledger_dir, ledger)
        disputes, promises, sent = extra.disputes, extra.promises, extra.sent
    elif store_url is not None:
        from creditbridge.sync.collections import repository as repo
        from creditbridge.sync.store import Store

        with Store.open(store_url) as store:
            ledger = store.load_ledger(source=source)
            with store.engine.connect() as conn:
                disputes = tuple(repo.load_disputes(conn))
                promises = tuple(repo.load_promises(conn))
                sent = tuple(repo.load_sent(conn, delivered_only=True))
    else:
        return report
    kpis = collections_kpis(
        ledger,
        report.as_of,
        builtin_policy(),
        period_days=report.period_days,
        effectiveness_days=EFFECTIVENESS_DAYS,
        promises=promises,
        disputes=disputes,
        sent=sent,
        customer_figures=report.kpis.customers,
    )
    return dataclasses.replace(report, collections=kpis)
