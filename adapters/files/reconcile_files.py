"""The two optional ledger-folder files reconciliation reads: `erp_balances.csv` and `gl_control.csv`.

They are not part of the ledger (import ignores them): they are what the ERP and the general
ledger say the ledger should add up to. Read with the same CSV reader and cell rules as the
ledger, so a bad amount is named by file, line and column the same way.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

from creditbridge.adapters.files.convert import convert_sheet
from creditbridge.adapters.files.csv_reader import read_csv_sheet
from creditbridge.adapters.files.errors import IssueLog
from creditbridge.adapters.files.raw import LINE
from creditbridge.adapters.files.schema import ColumnSpec, Kind, SheetSpec
from creditbridge.core.money import from_units

ERP_BALANCES = SheetSpec(
    "erp_balances",
    (ColumnSpec("customer_id", Kind.TEXT), ColumnSpec("balance", Kind.AMOUNT)),
    required=False,
    key="customer_id",
)
"""`customer_id,balance`: each customer's balance as the ERP itself reports it, in the customer's currency."""

GL_CONTROL = SheetSpec(
    "gl_control",
    (
        ColumnSpec("account", Kind.TEXT),
        ColumnSpec("balance", Kind.AMOUNT),
        ColumnSpec("currency", Kind.CURRENCY, required=False),
    ),
    required=False,
)
"""`account,balance[,currency]`: the AR control account(s); currency defaults to the ledger's only one."""


def _file(folder: Path, name: str) -> Path | None:
    if not folder.is_dir():
        return None
    wanted = f"{name}.csv"
    return next((entry for entry in sorted(folder.iterdir()) if entry.name.lower() == wanted), None)


def read_erp_balances(folder: str | os.PathLike[str]) -> dict[str, Decimal] | None:
    """customer id → ERP-reported balance, or None when the folder has no erp_balances.csv."""
    file = _file(Path(folder), ERP_BALANCES.name)
    if file is None:
        return None
    log = IssueLog()
    raw = read_csv_sheet(file, ERP_BALANCES, log)
    typed = convert_sheet(raw, ERP_BALANCES, log) if raw is not None else None
    log.raise_if_any(str(folder))
    assert typed is not None
    return {row["customer_id"]: from_units(row["balance"]) for row in typed.rows.iter_rows(named=True)}


GlRow = tuple[str, Decimal, str]


def read_gl_control(folder: str | os.PathLike[str], currencies: tuple[str, ...]) -> list[GlRow] | None:
    """(account, balance, currency) rows, or None when the folder has no gl_control.csv.

    `currencies` are the ledger's; a row without a currency needs the ledger to have exactly one.
    """
    file = _file(Path(folder), GL_CONTROL.name)
    if file is None:
        return None
    log = IssueLog()
    raw = read_csv_sheet(file, GL_CONTROL, log)
    typed = convert_sheet(raw, GL_CONTROL, log) if raw is not None else None
    rows: list[GlRow] = []
    if typed is not None:
        for row in typed.rows.sort(LINE).iter_rows(named=True):
            currency = row.get("currency") or (currencies[0] if len(currencies) == 1 else None)
            if currency is None:
                several = ", ".join(currencies)
                log.add(typed.label, row[LINE], "currency", f"the ledger has several currencies ({several}): say which")
                continue
            rows.append((row["account"], from_units(row["balance"]), currency))
    log.raise_if_any(str(folder))
    return rows


__all__ = ["ERP_BALANCES", "GL_CONTROL", "read_erp_balances", "read_gl_control"]
