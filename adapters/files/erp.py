"""`LedgerFolderErp`: a ledger folder behind the same ports as a real ERP.

Why: an ERP without an API still exports CSV files and can import customers.csv back, so the
pull and write-back shell runs unchanged on a folder. A folder has no change log: a file's mtime
stamps all of its records (a sweep re-reads a whole file when it changed), deletions cannot be
seen, and a customer's version is a hash of its customers.csv row. Writes rewrite customers.csv
atomically, compare-and-set on (credit_limit, on_hold), and remember idempotency keys in
`.creditbridge-writes.json` in the folder.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from creditbridge.adapters.change_paging import page_of, require_aware
from creditbridge.adapters.files.customer_csv import CustomerCsv, CustomerRow, replace_atomically, row_version
from creditbridge.adapters.files.errors import LedgerError
from creditbridge.adapters.files.reader import read_ledger
from creditbridge.adapters.files.write_log import LOCK, WRITE_LOG, locked_write_log
from creditbridge.core.model import CreditProfile, Ledger, WriteOff
from creditbridge.core.money import Money
from creditbridge.core.ports import (
    READ_CAPABILITY,
    Capability,
    Change,
    ChangePage,
    Entity,
    ErpConfigError,
    ProfileWrite,
    Record,
    ReportedBalances,
    WriteOutcome,
    WriteResult,
    own_key,
    writeoff_key,
)

SHEET_OF: dict[Entity, str] = {
    Entity.CUSTOMERS: "customers",
    Entity.CREDIT_PROFILES: "customers",
    Entity.OPEN_ITEMS: "invoices",
    Entity.PAYMENTS: "payments",
    Entity.ORDERS: "orders",
    Entity.WRITEOFFS: "writeoffs",
}

MTIME_SLACK = timedelta(seconds=2)
"""How far `served_at` is set back from now. File systems stamp mtimes from a coarse clock (FAT
to 2 s), so a file written just after a sweep may carry an mtime before the sweep's clock; with
the slack, the next sweep (inclusive from served_at) still reads it."""


class LedgerFolderErp:
    """A ledger folder as an ERP: ChangeReader and CreditProfileWriter (customers.csv only)."""

    def __init__(
        self,
        folder: Path,
        *,
        page_size: int = 1000,
        name: str = "files",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise ErpConfigError(f"{self.folder} is not a ledger folder")
        self.erp_name = name
        self.page_size = page_size
        self._clock = clock or (lambda: datetime.now(UTC))
        self._cache: tuple[tuple[tuple[str, int, int], ...], Ledger] | None = None
        self.capabilities: frozenset[Capability] = self._declared_capabilities()

    # --- reading ---------------------------------------------------------------------------------

    def read_changes(self, entity: Entity, since: datetime | None, page_token: str | None = None) -> ChangePage:
        """Every record of the entity's file, stamped with its mtime, if that is >= since; else none."""
        require_aware(since)
        if READ_CAPABILITY[entity] not in self.capabilities:
            raise ErpConfigError(f"{self.folder} has no {SHEET_OF[entity]} file")
        served_at = self._clock() - MTIME_SLACK
        changed_at = self._mtime(entity)
        changes: list[Change] = []
        if since is None or changed_at >= since:
            changes = sorted(self._changes(entity, changed_at), key=lambda change: change.key)
        return page_of(changes, entity, since, page_token, self.page_size, served_at)

    def read_customer_balances(self) -> ReportedBalances | None:
        """The folder's erp_balances.csv (the ERP's own balance per customer) and gl_control.csv, if it has them."""
        from creditbridge.adapters.files.reconcile_files import read_erp_balances, read_gl_control

        balances = read_erp_balances(self.folder)
        if balances is None:
            return None
        ledger = self._ledger()
        currency = {c.customer_id: c.currency for c in ledger.customers}
        fallback = next(iter(currency.values()), "USD")  # a customer the ERP has and the folder lacks
        currencies = tuple(sorted({i.amount.currency for i in ledger.items} | set(currency.values())))
        gl = read_gl_control(self.folder, currencies) or []
        return ReportedBalances(
            {cid: Money(amount, currency.get(cid, fallback)) for cid, amount in balances.items()},
            gl_control=tuple((account, Money(balance, cur)) for account, balance, cur in gl),
        )

    def read_credit_profile(self, customer_id: str) -> CreditProfile | None:
        versions = self._profile_versions()
        for profile in self._ledger().profiles:
            if profile.customer_id == customer_id:
                return replace(profile, source_version=versions.get(customer_id))
        return None

    # --- writing ---------------------------------------------------------------------------------

    def write_credit_profile(self, write: ProfileWrite) -> WriteResult:
        """Compare-and-set on customers.csv's credit_limit and on_hold; a replayed key returns its first result."""
        path = self._customers_csv()
        if path is None:
            raise ErpConfigError(f"{self.folder} has no customers.csv to write credit profiles to")
        with locked_write_log(self.folder) as (log, save):
            known = log.results.get(write.idempotency_key)
            if known is not None:
                return known
            table = CustomerCsv.read(path)
            row = table.row(write.customer_id)

            def finish(outcome: WriteOutcome, current: CustomerRow | None, message: str | None = None) -> WriteResult:
                """Record the result under the key (applied writes in order) and return it."""
                reference = None
                if outcome is WriteOutcome.APPLIED:
                    log.applied.append(write.idempotency_key)
                    reference = f"files-{len(log.applied)}"
                profile = None if current is None else self._profile_of(table, current)
                result = WriteResult(outcome, profile, reference, message)
                log.results[write.idempotency_key] = result
                log.pending.pop(write.idempotency_key, None)
                save()
                return result

            if row is None:
                return finish(WriteOutcome.REJECTED, None, f"no customer {write.customer_id!r} in {path.name}")
            has = table.profile_values(row)
            if write.idempotency_key in log.pending and has == (write.wanted.credit_limit, write.wanted.on_hold):
                # Rewritten before a crash lost the result: the same write, applied once.
                return finish(WriteOutcome.APPLIED, row)
            if has != (write.expected.credit_limit, write.expected.on_hold):
                return finish(WriteOutcome.CONFLICT, row, f"{path.name} has limit {has[0]}, hold {has[1]}")
            problem = self._invalid(table.cell(row, "currency"), write)
            if problem:
                return finish(WriteOutcome.REJECTED, row, problem)
            log.pending[write.idempotency_key] = write.wanted
            save()
            data, _fields = table.with_profile(write.customer_id, write.wanted.credit_limit, write.wanted.on_hold)
            replace_atomically(path, data)
            table = CustomerCsv.read(path)
            return finish(WriteOutcome.APPLIED, table.row(write.customer_id))

    @property
    def applied_writes(self) -> list[str]:
        """Idempotency keys of writes that changed customers.csv, in order."""
        with locked_write_log(self.folder) as (log, _save):
            return list(log.applied)

    # --- internals -------------------------------------------------------------------------------

    def _declared_capabilities(self) -> frozenset[Capability]:
        found = set(self._sources())
        declared = {cap for entity, cap in READ_CAPABILITY.items() if SHEET_OF[entity] in found}
        if self._customers_csv() is not None:
            declared.add(Capability.WRITE_CREDIT_PROFILE)
        return frozenset(declared)

    def _sources(self) -> dict[str, list[Path]]:
        """The files each sheet may come from: its CSV, else every workbook (sheets by name)."""
        sheets = set(SHEET_OF.values())
        csvs: dict[str, Path] = {}
        workbooks: list[Path] = []
        for entry in sorted(self.folder.iterdir()):
            lower = entry.name.lower()
            if lower.endswith(".csv") and lower[:-4] in sheets:
                csvs[lower[:-4]] = entry
            elif lower.endswith(".xlsx") and not entry.name.startswith("~$"):
                workbooks.append(entry)
        sources = {sheet: [path] for sheet, path in csvs.items()}
        for sheet in sheets - set(csvs):
            if workbooks:
                sources[sheet] = workbooks
        return sources

    def _customers_csv(self) -> Path | None:
        found = self._sources().get("customers", [])
        return found[0] if len(found) == 1 and found[0].suffix.lower() == ".csv" else None

    def _mtime(self, entity: Entity) -> datetime:
        """The newest mtime of the files the entity is read from, as an exact UTC datetime."""
        nanos = max(os.stat(path).st_mtime_ns for path in self._sources()[SHEET_OF[entity]])
        seconds, rest = divmod(nanos, 1_000_000_000)
        return datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=rest // 1000)

    def _ledger(self) -> Ledger:
        """The folder as core records, re-read only when a file changed (size or mtime)."""
        signature = tuple(
            (entry.name, stat.st_mtime_ns, stat.st_size)
            for entry in sorted(self.folder.iterdir())
            if entry.name not in (WRITE_LOG, LOCK) and not entry.name.startswith(".")
            for stat in (entry.stat(),)
        )
        if self._cache is None or self._cache[0] != signature:
            try:
                ledger = read_ledger(self.folder).to_ledger()
            except LedgerError as exc:
                raise ErpConfigError(f"the ledger folder cannot be read: {exc}") from exc
            self._cache = (signature, ledger)
        return self._cache[1]

    def _changes(self, entity: Entity, changed_at: datetime) -> list[Change]:
        ledger = self._ledger()
        by_entity: dict[Entity, tuple[Record, ...]] = {
            Entity.CUSTOMERS: ledger.customers,
            Entity.CREDIT_PROFILES: ledger.profiles,
            Entity.OPEN_ITEMS: ledger.items,
            Entity.PAYMENTS: ledger.payments,
            Entity.ORDERS: ledger.orders,
            Entity.WRITEOFFS: ledger.writeoffs,
        }
        versions = self._profile_versions() if entity in (Entity.CUSTOMERS, Entity.CREDIT_PROFILES) else {}
        changes: list[Change] = []
        seen: dict[str, int] = {}
        for record in by_entity[entity]:
            if isinstance(record, WriteOff):
                seen[record.item_id] = seen.get(record.item_id, 0) + 1
                key = writeoff_key(record.item_id, seen[record.item_id])
            else:
                carried = own_key(record)
                assert carried is not None, "only write-offs lack a key of their own"
                key = carried
            version = versions.get(key) or hashlib.sha256(repr(record).encode()).hexdigest()[:12]
            if isinstance(record, CreditProfile):
                record = replace(record, source_version=version)
            changes.append(Change(entity, key, changed_at, record, version))
        return changes

    def _profile_versions(self) -> dict[str, str]:
        """Each customer's row version, from customers.csv (empty for a workbook)."""
        path = self._customers_csv()
        if path is None:
            return {}
        table = CustomerCsv.read(path)
        at = table.column("customer_id")
        if at is None:
            return {}
        return {row.fields[at].strip(): row_version(row.fields) for row in table.rows if at < len(row.fields)}

    @staticmethod
    def _profile_of(table: CustomerCsv, row: CustomerRow) -> CreditProfile:
        """The profile in a row as written (the reader's rules), with the row's version."""
        limit, on_hold = table.profile_values(row)
        currency = table.cell(row, "currency")
        return CreditProfile(
            customer_id=table.cell(row, "customer_id"),
            credit_limit=None if limit is None else Money(limit, currency),
            on_hold=on_hold,
            risk_class=table.cell(row, "risk_class") or None,
            source_version=row_version(row.fields),
        )

    @staticmethod
    def _invalid(currency: str, write: ProfileWrite) -> str | None:
        """Why customers.csv cannot take the wanted values, or None."""
        limit = write.wanted.credit_limit
        if write.wanted.currency != currency:
            return f"credit limit must be in {currency}, not {write.wanted.currency}"
        if limit is not None and limit < 0:
            return f"credit limit {limit} is negative"
        if limit is not None and limit != limit.quantize(Decimal("0.0001")):
            return f"credit limit {limit} has more than 4 decimal places"
        return None
