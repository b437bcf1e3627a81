"""`creditbridge demo`: a sample company end to end, on the embedded default (SQLite, no server).

generate the ledger folder -> read and validate it -> import into the store -> load the
columns back from the store -> KPIs and the HTML/XLSX report, and a bank statement of today's
payments to try cash application on. The same path a real user takes
with their own exports, so the demo also proves the install works.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from creditbridge.adapters.files import read_ledger
from creditbridge.core.kpis import KpiReport
from creditbridge.sync.demo_statement import write_demo_statement
from creditbridge.sync.reports import build_report, write_html, write_xlsx
from creditbridge.sync.sample_company import generate_sample_company
from creditbridge.sync.settings import sqlite_url
from creditbridge.sync.store import ImportSummary, Store

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoResult:
    ledger_dir: Path
    store_url: str
    import_summary: ImportSummary
    kpis: KpiReport
    html_report: Path
    xlsx_report: Path
    bank_statement: Path
    seconds: float


def _labelled(progress: Progress | None, verb: str) -> Progress | None:
    """Prefix a stage name ('invoices') with what is being done to it ('Importing invoices')."""
    if progress is None:
        return None
    report = progress
    return lambda stage, done, total: report(f"{verb} {stage}", done, total)


def run_demo(
    directory: Path,
    *,
    customers: int,
    invoices: int,
    as_of: date,
    seed: int,
    progress: Progress | None = None,
) -> DemoResult:
    started = time.perf_counter()
    directory.mkdir(parents=True, exist_ok=True)
    ledger_dir = directory / "ledger"
    generate_sample_company(
        ledger_dir, customers=customers, invoices=invoices, as_of=as_of, seed=seed,
        progress=_labelled(progress, "Generating"),
    )  # fmt: skip
    tables = read_ledger(ledger_dir)
    url = sqlite_url(directory / "creditbridge.db")
    with Store.open(url) as store:
        summary = store.import_ledger(tables, source="demo", progress=_labelled(progress, "Importing"))
        columns = store.load_columns(source="demo")
    if progress:
        progress("Writing the report", 0, 1)
    report = build_report(columns, as_of, 90, title="Demo Company — accounts receivable")
    html, xlsx = directory / "report.html", directory / "report.xlsx"
    write_html(report, html)
    write_xlsx(report, xlsx)
    if progress:
        progress("Writing the report", 1, 1)
    statement = directory / "bank-statement.xml"
    write_demo_statement(ledger_dir, statement, as_of, seed)
    return DemoResult(
        ledger_dir=ledger_dir.resolve(),
        store_url=url,
        import_summary=summary,
        kpis=report.kpis,
        html_report=html.resolve(),
        xlsx_report=xlsx.resolve(),
        bank_statement=statement.resolve(),
        seconds=time.perf_counter() - started,
    )
