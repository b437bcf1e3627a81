"""Reconciliation as a job: gather the inputs (ledger folder or store + ERP), run core's `reconcile`.

Both modes build a `ReconcileInput` and call the one core function. `run_reconcile_job` is the
store mode as a plain function, so the CLI and (later) the scheduler call the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from creditbridge.core.model import BankStatement, Ledger, OpenItem, Payment
from creditbridge.core.ports import READ_CAPABILITY, BalanceReader, ChangeReader, Entity
from creditbridge.core.reconcile import (
    Difference,
    GlControlBalance,
    ReconcileInput,
    Reconciliation,
    compare_documents,
    reconcile,
)
from creditbridge.core.reconcile.differences import in_currency_places

if TYPE_CHECKING:
    from creditbridge.sync.config import Config
    from creditbridge.sync.store import Store


class StatementUnreadable(ValueError):
    """The bank statement file could not be read (message names the file and the problem)."""


def read_bank_statement(path: Path) -> BankStatement:
    """The statement through the cash-application parsers (camt.053/054, BAI2, MT940, …)."""
    from creditbridge.adapters.statements import StatementError, read_statement

    try:
        statement: BankStatement = read_statement(path)
    except StatementError as exc:
        raise StatementUnreadable(str(exc)) from exc
    except OSError as exc:
        raise StatementUnreadable(f"{path}: {exc.strerror or exc}") from exc
    return statement


def ledger_folder_input(folder: Path, as_of: date | None, statement: Path | None = None) -> ReconcileInput:
    """Inputs from a ledger folder, read leniently, with its optional erp_balances.csv and gl_control.csv.

    Raises `LedgerError` (file, line, column) for what cannot be read, `StatementUnreadable` for
    a bad statement.
    """
    from creditbridge.adapters.files import read_ledger_lenient
    from creditbridge.adapters.files.reconcile_files import read_erp_balances, read_gl_control

    ledger = read_ledger_lenient(folder).to_ledger()
    balances = read_erp_balances(folder) if folder.is_dir() else None
    gl = read_gl_control(folder, _currencies(ledger)) if folder.is_dir() else None
    return ReconcileInput(
        ledger=ledger,
        as_of=as_of,
        erp_balances=balances,
        gl_control=tuple(GlControlBalance(a, b, c) for a, b, c in gl or ()),
        statement=read_bank_statement(statement) if statement is not None else None,
    )


def _currencies(ledger: Ledger) -> tuple[str, ...]:
    return tuple(sorted({i.amount.currency for i in ledger.items} | {c.currency for c in ledger.customers}))


def reconcile_for_report(ledger: Path | None, store_url: str, source: str | None, as_of: date) -> Reconciliation:
    """The reconciliation the XLSX report's sheet shows: of the ledger folder, or of the store's replica."""
    if ledger is not None:
        return reconcile(ledger_folder_input(ledger, as_of))
    from creditbridge.sync.store import Store

    with Store.open(store_url) as store:
        records = store.load_ledger(source=source)
    return reconcile(ReconcileInput(records, as_of, notes=("the store's replica, without the ERP's own figures",)))


@dataclass(frozen=True, slots=True)
class ReconcileRun:
    """One store-mode run: the result and which connections it covered."""

    result: Reconciliation
    connections: tuple[str, ...]
    as_of: date | None


def run_reconcile_job(
    config: Config,
    connection: str | None = None,
    as_of: date | None = None,
    tolerance: Decimal | None = None,
    statement: Path | None = None,
    compare_erp_documents: bool = True,
    progress: Callable[[str, int], None] | None = None,
    record: bool = True,
) -> ReconcileRun:
    """Reconcile the store's replica of each connection (or one) against what its ERP reports.

    Per connection: the ERP's customer balances when the adapter reports them (else the replica's
    own figures, said in the notes), the documents the ERP has now against the replica (missing,
    extra, changed since the last pull = timing) when the adapter can read them, and the checks
    within the replica. `tolerance` defaults to the config's `[reconcile] tolerance`. `progress`
    hears (what, records so far) while the ERP's documents are read. The run is kept in the
    store's `reconcile_runs` (unless `record` is False).
    Raises ConfigError, StoreError, ErpError, StatementUnreadable.
    """
    from creditbridge.sync.composition import adapter_for, open_store
    from creditbridge.sync.config import ConfigError

    names = [config.connection(connection).name] if connection else [c.name for c in config.connections]
    if not names:
        raise ConfigError(f"{config.path} has no [[connections]] to reconcile")
    limit = config.reconcile.tolerance if tolerance is None else tolerance
    bank = read_bank_statement(statement) if statement is not None else None
    ledgers: list[Ledger] = []
    balances: dict[str, Decimal] = {}
    have_balances = True
    netted = False
    gl: list[GlControlBalance] = []
    extra: list[Difference] = []
    notes: list[str] = []
    with open_store(config) as store:
        for name in names:
            ledger = store.load_ledger(source=name)
            ledgers.append(ledger)
            adapter = adapter_for(config.connection(name), config)
            reported = adapter.read_customer_balances() if isinstance(adapter, BalanceReader) else None
            if reported is None:
                have_balances = False
                notes.append(
                    f"{name}: the ERP adapter reports no customer balances; the replica's own figures "
                    "(open items against applications and write-offs) were reconciled instead"
                )
            else:
                balances.update({cid: money.amount for cid, money in reported.balances.items()})
                netted = netted or reported.nets_unapplied_cash
                gl += [GlControlBalance(a, m.amount, m.currency) for a, m in reported.gl_control]
                net = ", net of unapplied cash" if reported.nets_unapplied_cash else ""
                notes.append(f"{name}: customer balances as the ERP reports them ({len(reported.balances)}{net})")
            if compare_erp_documents:
                extra += _documents(adapter, ledger, _pull_cursors(store, name), name, notes, progress)
    merged = Ledger(
        customers=tuple(c for ledger in ledgers for c in ledger.customers),
        items=tuple(i for ledger in ledgers for i in ledger.items),
        payments=tuple(p for ledger in ledgers for p in ledger.payments),
        writeoffs=tuple(w for ledger in ledgers for w in ledger.writeoffs),
    )
    inputs = ReconcileInput(
        ledger=merged,
        as_of=as_of,
        erp_balances=balances if have_balances else None,
        erp_balances_net_of_unapplied=netted,
        gl_control=tuple(gl),
        statement=bank,
        extra=tuple(extra),
        notes=tuple(notes),
    )
    result = reconcile(inputs, limit, config.reconcile.bank_date_window_days)
    run = ReconcileRun(result, tuple(names), as_of)
    if record:
        with open_store(config) as store:
            record_run(store, run)
    return run


def as_json(result: Reconciliation) -> dict[str, Any]:
    """The contract: {"differences": [{class, customer_id, documents, amount, detail}], "summary": {...}}."""
    return {"differences": [d.as_dict() for d in result.differences], "summary": result.summary()}


def record_run(store: Store, run: ReconcileRun, at: datetime | None = None) -> int:
    """Keep the run in `reconcile_runs` (its result as JSON); returns the row id."""
    import simplejson

    from creditbridge.sync.store.reconcile_tables import reconcile_runs

    result = run.result
    row = {
        "run_at": (at or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None),
        "connections": ",".join(run.connections)[:500],
        "as_of": run.as_of,
        "tolerance": result.tolerance,
        "differences": len(result.differences),
        "within_tolerance": len(result.within_tolerance),
        "ok": result.ok,
        "result": simplejson.dumps(as_json(result), use_decimal=True),
    }
    with store.engine.begin() as conn:
        inserted = conn.execute(reconcile_runs.insert().values(**row))
        key = inserted.inserted_primary_key
        return int(key[0]) if key else 0


@dataclass(frozen=True, slots=True)
class RecordedRun:
    """A row of `reconcile_runs`."""

    run_id: int
    run_at: datetime
    connections: str
    as_of: date | None
    tolerance: Decimal
    differences: int
    within_tolerance: int
    ok: bool
    result: str


def recent_runs(store: Store, limit: int = 10) -> list[RecordedRun]:
    """The last `limit` recorded runs, newest first."""
    import sqlalchemy as sa

    from creditbridge.sync.store.reconcile_tables import reconcile_runs

    query = sa.select(reconcile_runs).order_by(reconcile_runs.c.run_at.desc(), reconcile_runs.c.id.desc()).limit(limit)
    with store.engine.connect() as conn:
        return [
            RecordedRun(row.id, row.run_at, row.connections, row.as_of, in_currency_places(Decimal(row.tolerance), ""),
                        row.differences,
                        row.within_tolerance, bool(row.ok), row.result)
            for row in conn.execute(query)
        ]


def _pull_cursors(store: Store, connection: str) -> dict[Entity, datetime]:
    """Each entity's pull cursor: the ERP's changes stamped at or after it are not in the replica yet."""
    from creditbridge.sync.pull.state import load_state

    cursors: dict[Entity, datetime] = {}
    with store.engine.connect() as conn:
        for entity in (Entity.OPEN_ITEMS, Entity.PAYMENTS):
            cursor = load_state(conn, connection, entity).cursor
            if cursor is not None:
                cursors[entity] = cursor
    return cursors


def _documents(
    adapter: object,
    ledger: Ledger,
    cursors: dict[Entity, datetime],
    name: str,
    notes: list[str],
    progress: Callable[[str, int], None] | None = None,
) -> list[Difference]:
    """The ERP's current open items and payments against the replica, when the adapter can read them.

    A document the ERP stamps at or after the entity's pull cursor changed after the last pull:
    its difference is `timing` (the next pull brings it in).
    """
    if not isinstance(adapter, ChangeReader):
        notes.append(f"{name}: the ERP adapter cannot list its documents; missing/extra documents not checked")
        return []
    capabilities: frozenset[object] = getattr(adapter, "capabilities", frozenset())
    last_pull = min(cursors.values(), default=None)
    erp_items: list[OpenItem] = []
    erp_payments: list[Payment] = []
    recent: list[str] = []
    for entity, sink in ((Entity.OPEN_ITEMS, erp_items), (Entity.PAYMENTS, erp_payments)):
        if READ_CAPABILITY[entity] not in capabilities:
            continue
        token: str | None = None
        while True:
            page = adapter.read_changes(entity, None, token)
            for change in page.changes:
                if change.record is None:
                    continue
                sink.append(change.record)  # type: ignore[arg-type]
                cursor = cursors.get(entity)
                if cursor is not None and change.changed_at >= cursor:
                    recent.append(change.key)
            if progress is not None:
                progress(f"{name}: reading {entity.value} from the ERP", len(sink))
            token = page.next_page_token
            if token is None:
                break
    compared: Sequence[Payment] = ledger.payments if erp_payments else ()
    found = compare_documents(ledger.items, erp_items, compared, erp_payments, recent, last_pull)
    notes.append(f"{name}: {len(erp_items)} documents and {len(erp_payments)} payments read from the ERP")
    return found
