"""The `creditbridge` command line: import a ledger, print KPIs, write reports, run the demo.

Each command works off a ledger folder (`--ledger DIR`, no store needed) or the store that
`import` filled (`--store URL`, default a SQLite file in the current folder). Errors a user can
fix (a bad file, an unreachable database) are printed as one clear message and exit non-zero,
never as a traceback.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from creditbridge.adapters.files import LedgerError, read_ledger
from creditbridge.core.columns import LedgerColumns
from creditbridge.core.kpis.engine import KpiEngine
from creditbridge.sync import kpi_output
from creditbridge.sync.settings import DEFAULT_DEMO_DIR, missing_store_message, store_url_from_env

if TYPE_CHECKING:
    from creditbridge.sync.run_job import RunReport

app = typer.Typer(
    name="creditbridge",
    help="Credit management next to your ERP: AR KPIs, reports, credit limits and holds.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console(soft_wrap=True)

ProgressCallback = Callable[[str, int, int], None]


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


LedgerOption = Annotated[
    Path | None,
    typer.Option(
        "--ledger",
        help="A ledger folder (customers.csv, invoices.csv, payments.csv, …) or .xlsx workbook; "
        "read directly, no store needed.",
    ),
]
StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Store URL (sqlite:///file.db or postgresql+psycopg://…). "
        "Default: $CREDITBRIDGE_STORE_URL, else sqlite:///creditbridge.db.",
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Report date, YYYY-MM-DD (default: today). Figures are as of the end of it."),
]
SourceOption = Annotated[
    str | None,
    typer.Option("--source", help="Only this source of the store (an import's --source or a connection name)."),
]
PeriodOption = Annotated[
    int, typer.Option("--period-days", min=1, help="Length of the period for sales-based KPIs, in days.")
]


def _fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)  # "[sap]" is text, not markup
    return typer.Exit(code)


def _parse_date(text: str | None, option: str) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(f"{option} {text!r} is not a date (expected YYYY-MM-DD)") from None


@contextmanager
def _progress(enabled: bool = True) -> Iterator[ProgressCallback]:
    """A progress display fed by (stage, done, total) callbacks; silent when output is not a terminal."""
    bars = Progress(
        TextColumn("{task.description:<28}"), BarColumn(), TextColumn("{task.completed:>10,}/{task.total:,}"),
        TimeElapsedColumn(), console=console, disable=not enabled, transient=False,
    )  # fmt: skip
    tasks: dict[str, TaskID] = {}

    def report(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bars.add_task(stage, total=max(total, 1))
        bars.update(tasks[stage], completed=done, total=max(total, 1))

    with bars:
        yield report


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn the errors a user can act on into one message and an exit code."""
    try:
        yield
    except LedgerError as exc:
        raise _fail(f"the ledger has errors:\n{exc}") from None
    except Exception as exc:
        from creditbridge.core.ports import ErpError
        from creditbridge.sync.config import ConfigError
        from creditbridge.sync.store import StoreError

        if isinstance(exc, StoreError):
            raise _fail(str(exc), code=3) from None
        if isinstance(exc, ConfigError):
            raise _fail(str(exc)) from None
        if isinstance(exc, ErpError):
            raise _fail(f"the ERP: {exc}", code=4) from None
        raise


def _columns(ledger: Path | None, store: str | None, source: str | None = None) -> LedgerColumns:
    if ledger is not None:
        return read_ledger(ledger).to_columns()
    from creditbridge.sync.store import Store  # deferred: SQLAlchemy and Alembic cost ~0.3 s to import

    url = store or store_url_from_env()
    if (refused := missing_store_message(url)) is not None:
        raise _fail(refused)
    with Store.open(url) as opened:
        return opened.load_columns(source=source)


@app.command("import")
def import_command(
    ledger: Annotated[Path, typer.Option("--ledger", help="The ledger folder or .xlsx workbook to import.")],
    store: StoreOption = None,
    source: Annotated[str, typer.Option(help="Name of this source in the store.")] = "files",
) -> None:
    """Import a ledger folder into the store, in one transaction (re-importing changes nothing)."""
    from creditbridge.sync.store import Store

    with _user_errors():
        started = time.perf_counter()
        tables = read_ledger(ledger)
        for warning in tables.warnings:
            console.print(f"[yellow]warning:[/] {warning}", highlight=False)
        url = store or store_url_from_env()
        with Store.open(url) as opened, _progress(console.is_terminal) as progress:
            summary = opened.import_ledger(
                tables, source=source, progress=lambda stage, done, total: progress(f"Importing {stage}", done, total)
            )
    console.print(
        f"imported {ledger} into {Store.display_url(url)} in {time.perf_counter() - started:.1f} s", highlight=False
    )
    out.print(summary.describe(), highlight=False)


@app.command("kpis")
def kpis_command(
    ledger: LedgerOption = None,
    as_of: AsOfOption = None,
    period_days: PeriodOption = 90,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="table, json or csv.")] = OutputFormat.table,
    by_customer: Annotated[bool, typer.Option("--by-customer", help="Also report every customer.")] = False,
    store: StoreOption = None,
    source: SourceOption = None,
) -> None:
    """AR KPIs as of a date: DSO (simple, countback, best possible), ADD, CEI, bad-debt ratio, aging."""
    report_date = _parse_date(as_of, "--as-of")
    with _user_errors():
        report = KpiEngine(_columns(ledger, store, source)).compute(report_date, period_days, by_customer)
    if output_format is OutputFormat.json:
        sys.stdout.write(kpi_output.to_json(report) + "\n")
    elif output_format is OutputFormat.csv:
        sys.stdout.write(kpi_output.to_csv(report))
    else:
        if not report.company:
            console.print("no open items in this ledger")
            return
        out.print(kpi_output.company_table(report))
        if by_customer:
            out.print(kpi_output.customer_table(report))


@app.command("report")
def report_command(
    out_file: Annotated[Path, typer.Option("--out", help="FILE.html (self-contained, with charts) or FILE.xlsx.")],
    ledger: LedgerOption = None,
    as_of: AsOfOption = None,
    period_days: PeriodOption = 90,
    title: Annotated[str, typer.Option(help="Title shown on the report.")] = "Accounts receivable",
    store: StoreOption = None,
    source: SourceOption = None,
    with_reconciliation: Annotated[
        bool, typer.Option("--reconcile", help="XLSX: add a Reconciliation sheet (the differences `reconcile` finds).")
    ] = False,
) -> None:
    """Write the AR report: aging, DSO/CEI trend over 12 months, top overdue customers."""
    from creditbridge.sync.reports import build_report, write_report

    if out_file.suffix.lower() not in (".html", ".xlsx"):
        raise _fail(f"--out must end in .html or .xlsx, got {out_file.name!r}")
    if with_reconciliation and out_file.suffix.lower() != ".xlsx":
        raise _fail("--reconcile adds a sheet to the XLSX report: use --out FILE.xlsx (or creditbridge reconcile)")
    report_date = _parse_date(as_of, "--as-of")
    with _user_errors():
        report = build_report(_columns(ledger, store, source), report_date, period_days, title=title)
        if with_reconciliation:
            from dataclasses import replace

            from creditbridge.sync.reconcile_job import reconcile_for_report

            report = replace(report, reconciliation=reconcile_for_report(ledger, store or store_url_from_env(),
                                                                         source, report_date))  # fmt: skip
        from creditbridge.sync.collections.report_kpis import with_collections

        report = with_collections(report, ledger, None if ledger else (store or store_url_from_env()), source)
    write_report(report, out_file)
    console.print(f"report written to {out_file.resolve()}", highlight=False)


class DemoErp(StrEnum):
    files = "files"
    quickbooks = "quickbooks"
    sap = "sap"
    oracle = "oracle"


@app.command("demo")
def demo_command(
    directory: Annotated[Path, typer.Option("--dir", help="Where the demo company, store and reports go.")] = (
        DEFAULT_DEMO_DIR
    ),
    customers: Annotated[int, typer.Option(min=1, help="Number of customers.")] = 300,
    invoices: Annotated[int, typer.Option(min=1, help="Number of invoices over two years (ledger demo).")] = 30_000,
    as_of: AsOfOption = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed and date give the same company.")] = 7,
    erp: Annotated[
        DemoErp,
        typer.Option("--erp", help="files: a ledger folder imported into SQLite (default); quickbooks: the sync "
                     "cycle against a simulated QuickBooks Online company; sap: the sync cycle against simulated "
                     "SAP ECC (RFC) and S/4HANA (OData) systems; oracle: the sync cycle against a simulated Oracle "
                     "E-Business Suite operating unit."),
    ] = DemoErp.files,
) -> None:
    """Generate a sample company, import it into a SQLite store and write the AR report."""
    if erp is DemoErp.quickbooks:
        _quickbooks_demo(directory, customers if customers != 300 else 40, seed, as_of)
        return
    if erp is DemoErp.sap:
        _sap_demo(directory, customers if customers != 300 else 40, seed, as_of)
        return
    if erp is DemoErp.oracle:
        _oracle_demo(directory, customers if customers != 300 else 60, invoices if invoices != 30_000 else 3_000,
                     seed, as_of)  # fmt: skip
        return
    from creditbridge.sync.demo import run_demo

    report_date = _parse_date(as_of, "--as-of")
    with _user_errors(), _progress() as progress:
        result = run_demo(directory, customers=customers, invoices=invoices, as_of=report_date, seed=seed,
                          progress=progress)  # fmt: skip
    out.print(kpi_output.company_table(result.kpis))
    out.print(f"\nLedger folder: {result.ledger_dir}", highlight=False)
    out.print(f"Store:         {result.store_url}", highlight=False)
    out.print(f"Import:        {result.import_summary.describe_short()}", highlight=False)
    out.print(f"[bold]Report:        {result.html_report}[/]", highlight=False)
    out.print(f"Workbook:      {result.xlsx_report}", highlight=False)
    try_it = f"creditbridge cashapp match --ledger {result.ledger_dir} --statement {result.bank_statement} --out m.csv"
    out.print(f"Bank file:     {result.bank_statement} (camt.053; try: {try_it})", highlight=False)
    out.print(f"Done in {result.seconds:.1f} s. Open the report in a browser; it works offline.", highlight=False)


def _quickbooks_demo(directory: Path, customers: int, seed: int, as_of: str | None) -> None:
    try:
        from creditbridge.sync.demo_quickbooks import run_quickbooks_demo
    except ModuleNotFoundError as exc:
        raise _fail(f"the QuickBooks demo needs the quickbooks extra ({exc.name} is missing): "
                    "pip install 'creditbridge[quickbooks]'") from None  # fmt: skip

    started = time.perf_counter()
    with _user_errors():
        result = run_quickbooks_demo(
            directory, customers=customers, seed=seed, as_of=_parse_date(as_of, "--as-of") if as_of else None
        )
    out.print(f"Simulated QuickBooks company {result.realm_id} at {result.base_url} (loopback)", highlight=False)
    _print_cycle(result.run, "QuickBooks", result.as_of)
    out.print("\nRead back from QuickBooks (Customer.Notes):", highlight=False)
    for customer_id, name, tag in result.read_back:
        out.print(f"  {customer_id:>6} {name:<32} {tag}", highlight=False, markup=False)
    _print_demo_end(result.folder, result.html_report, started)


def _print_cycle(run: RunReport, erp: str, as_of: date) -> None:
    """What a demo's sync cycle pulled, decided and pushed (to `erp`), for people."""
    out.print(run.pulled.describe(), highlight=False)
    out.print(f"\nReview of {run.connection} as of {as_of}:", highlight=False)
    for outcome in run.review:
        wanted = "hold" if outcome.decision.hold else "release"
        reasons = "; ".join(r.message for r in outcome.decision.reasons)
        out.print(f"  {outcome.decision.customer_id:>6} {wanted:<8} {reasons}  ({outcome.note})", highlight=False,
                  markup=False)
    report = run.pushed.report
    if report is not None:
        out.print(f"\nPushed to {erp}:", highlight=False)
        for row in report.results:
            out.print(f"  {row.customer_id:>6} {row.status.value:<9} {row.detail}", highlight=False, markup=False)


def _sap_demo(directory: Path, customers: int, seed: int, as_of: str | None) -> None:
    from creditbridge.sync.demo_sap import run_sap_demo

    started = time.perf_counter()
    with _user_errors():
        result = run_sap_demo(
            directory, customers=customers, seed=seed, as_of=_parse_date(as_of, "--as-of") if as_of else None
        )
    out.print(f"Simulated SAP ECC (RFC, in-process) and S/4HANA Gateway at {result.odata_url}/sap/opu/odata/sap/ "
              f"(loopback), as of {result.as_of}", highlight=False)  # fmt: skip
    for name, run in result.runs:
        out.print(f"\n[bold]{name}[/]", highlight=False)
        _print_cycle(run, name, result.as_of)
    out.print("\nRead back from SAP:", highlight=False)
    for connection, customer_id, held in result.read_back:
        out.print(f"  {connection:<8} {customer_id:>6}  {held}", highlight=False, markup=False)
    calls = ", ".join(f"{n} {f}" for f, n in sorted(result.rfc_calls.items()))
    out.print(f"\nRFC calls: {calls}; OData requests: {result.odata_requests}", highlight=False)
    _print_demo_end(result.folder, result.html_report, started, connections=tuple(name for name, _ in result.runs))


def _oracle_demo(directory: Path, customers: int, invoices: int, seed: int, as_of: str | None) -> None:
    from creditbridge.sync.demo_oracle import run_oracle_demo

    started = time.perf_counter()
    with _user_errors():
        result = run_oracle_demo(directory, customers=customers, invoices=invoices, seed=seed,
                                 as_of=_parse_date(as_of, "--as-of") if as_of else None)  # fmt: skip
    out.print(f"Simulated Oracle EBS operating unit 204 in {result.simulator_path}", highlight=False)
    _print_cycle(result.run, "Oracle EBS (HZ_CUSTOMER_PROFILE_V2PUB)", result.as_of)
    out.print("\nRead back from EBS (HZ_CUSTOMER_PROFILES, HZ_CUST_PROFILE_AMTS, OE_ORDER_HOLDS_ALL):", highlight=False)
    for p in result.read_back:
        limit = "no limit" if p.overall_credit_limit is None else f"{p.overall_credit_limit:,.2f} {p.currency}"
        hold = "CREDIT_HOLD=Y" if p.credit_hold else "CREDIT_HOLD=N"
        out.print(f"  {p.account_number:>6} {p.name:<32} {hold}  {limit:<16} OVN {p.version}  "
                  f"open-order holds {p.order_holds}", highlight=False, markup=False)  # fmt: skip
    _print_demo_end(result.folder, result.html_report, started)


def _print_demo_end(folder: Path, html_report: Path, started: float, *, connections: tuple[str, ...] = ()) -> None:
    """Where an ERP demo left its config, store and report, and how to see the releases it queued
    (`--connection` named when the config has several, as `approvals` asks for one)."""
    out.print(f"\nConfig and store: {folder}", highlight=False)
    out.print(f"[bold]Report:           {html_report}[/]", highlight=False)
    approvals = f"creditbridge approvals list --config {folder / 'creditbridge.toml'}"
    if connections:
        others = f" (or {', '.join(connections[1:])})" if len(connections) > 1 else ""
        approvals += f" --connection {connections[0]}{others}"
    out.print(f"Done in {time.perf_counter() - started:.1f} s. Releases wait for a second person: {approvals}",
              highlight=False)  # fmt: skip


def _register_areas() -> None:
    from creditbridge.sync.commands import (
        cashapp_commands,
        collections_commands,
        config_commands,
        credit_commands,
        pull_commands,
        quickbooks_commands,
        reconcile_commands,
        scheduling_commands,
        service_commands,
        simulator_commands,
        statement_commands,
        tokens_commands,
        users_commands,
        writeback_commands,
    )

    areas = (config_commands, pull_commands, writeback_commands, service_commands, quickbooks_commands,
             simulator_commands, credit_commands, cashapp_commands, reconcile_commands, statement_commands,
             collections_commands, scheduling_commands, users_commands, tokens_commands)  # fmt: skip
    for area in areas:
        area.register(app)


_register_areas()


def main() -> None:
    app()
