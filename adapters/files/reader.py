"""`read_ledger`: a ledger folder (or one .xlsx workbook) in, validated `LedgerTables` out.

Why all-or-nothing: a half-read ledger gives KPIs and credit decisions that look right and are
not. So every sheet is read and checked, within and across files (unknown customers, duplicate
keys, applications that do not add up), and either everything holds or one `LedgerError` lists
what to fix. Checks are whole-column polars operations (anti-joins, group-bys); Python only
words the messages for the rows that fail.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from creditbridge.adapters.files.amounts import describe_bad_amount, format_units, units_expr
from creditbridge.adapters.files.convert import TypedSheet, convert_sheet, empty_frame
from creditbridge.adapters.files.csv_reader import read_csv_sheet
from creditbridge.adapters.files.errors import IssueLog, line_word
from creditbridge.adapters.files.lookup import rows_of
from creditbridge.adapters.files.raw import LINE, RawSheet
from creditbridge.adapters.files.schema import SHEETS, SHEETS_BY_NAME
from creditbridge.adapters.files.tables import (
    APPLICATION_SCHEMA,
    CUSTOMER_SCHEMA,
    INVOICE_SCHEMA,
    ORDER_SCHEMA,
    PAYMENT_SCHEMA,
    WRITEOFF_SCHEMA,
    LedgerTables,
)
from creditbridge.adapters.files.xlsx_reader import read_workbook
from creditbridge.core.money import UNITS_PER_MAJOR

MAX_WARNING_EXAMPLES = 5
ITEM = "_item"
"""Column of an application's invoice row in the invoices table."""


def read_ledger(path: str | os.PathLike[str]) -> LedgerTables:
    """Read and validate a ledger folder of CSV files and/or .xlsx workbooks, or one .xlsx file.

    Raises `LedgerError` listing (up to ~20 of) the problems by file, line and column.
    """
    return _read(path, strict=True)


def read_ledger_lenient(path: str | os.PathLike[str]) -> LedgerTables:
    """Read a ledger folder as it is, for reconciliation: what `read_ledger` refuses as inconsistent
    is kept, because finding it is reconciliation's job.

    Kept: applications to invoices that are not in the folder, applications above the payment,
    payments and invoices of customers that are not in customers.csv. Still refused, by file, line
    and column: what cannot be read at all (missing files or columns, bad dates, amounts, codes,
    duplicate ids) and write-offs of unknown invoices. Use `to_ledger` on the result (not
    `to_columns`: an application to an unknown invoice has no row to point at).
    """
    return _read(path, strict=False)


def _read(path: str | os.PathLike[str], strict: bool) -> LedgerTables:
    root = Path(path)
    source = str(root)
    log = IssueLog()
    raw = _find_sheets(root, log)

    typed: dict[str, TypedSheet] = {}
    for spec in SHEETS:  # in the format's order, so messages come file by file as documented
        if (sheet := raw.get(spec.name)) is None:
            continue
        converted = convert_sheet(sheet, spec, log)
        if converted is not None:
            typed[spec.name] = converted

    _check_rows(typed, log)
    _check_references(typed, log, strict)
    every_application = _applications(typed, log, strict)
    log.raise_if_any(source)
    # Lenient reads keep applications to unknown invoices; they settle nothing the folder has.
    applications = every_application if strict else every_application.filter(pl.col(ITEM).is_not_null())

    invoices = typed["invoices"].rows
    writeoffs = typed["writeoffs"].rows if "writeoffs" in typed else empty_frame(SHEETS_BY_NAME["writeoffs"])
    orders = typed["orders"].rows if "orders" in typed else empty_frame(SHEETS_BY_NAME["orders"])
    writeoff_item = rows_of(writeoffs.get_column("invoice_number"), invoices.get_column("invoice_number"))
    settle_item = np.concatenate([applications.get_column(ITEM).to_numpy(), writeoff_item.to_numpy()]).astype(np.int32)
    settle_amount = np.concatenate(
        [applications.get_column("amount").to_numpy(), writeoffs.get_column("amount").to_numpy()]
    )
    warnings = _warnings(invoices, settle_item, settle_amount, typed["invoices"].label)
    return LedgerTables(
        customers=_shape(typed["customers"].rows, CUSTOMER_SCHEMA),
        invoices=_shape(invoices, INVOICE_SCHEMA),
        payments=_shape(typed["payments"].rows, PAYMENT_SCHEMA),
        applications=_shape(every_application, APPLICATION_SCHEMA),
        orders=_shape(orders, ORDER_SCHEMA),
        writeoffs=_shape(writeoffs, WRITEOFF_SCHEMA),
        source=source,
        warnings=warnings,
        settle_item=settle_item if strict else None,
    )


def _shape(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items())


# -- finding the sheets -------------------------------------------------------------------------


def _find_sheets(root: Path, log: IssueLog) -> dict[str, RawSheet]:
    """The raw sheets by name; each sheet must come from exactly one file or workbook sheet."""
    if not root.exists():
        log.add(str(root), None, None, "no such folder or file (expected a ledger folder or an .xlsx workbook)")
        return {}
    csv_files: dict[str, Path] = {}
    workbooks: list[Path] = []
    if root.is_file():
        if root.suffix.lower() != ".xlsx":
            log.add(root.name, None, None, "expected a ledger folder or an .xlsx workbook")
            return {}
        workbooks.append(root)
    else:
        for entry in sorted(root.iterdir()):
            lower = entry.name.lower()
            if not entry.is_file():
                continue
            if lower.endswith(".csv") and lower[:-4] in SHEETS_BY_NAME:
                name = lower[:-4]
                if name in csv_files:
                    log.add(
                        entry.name, None, None, f"same sheet as {csv_files[name].name} (names ignore case); keep one"
                    )
                    continue
                csv_files[name] = entry
            elif lower.endswith(".xlsx") and not entry.name.startswith("~$"):
                workbooks.append(entry)

    origin: dict[str, str] = {name: file.name for name, file in csv_files.items()}
    sheets: dict[str, RawSheet] = {}
    for name, file in csv_files.items():
        sheet = read_csv_sheet(file, SHEETS_BY_NAME[name], log)
        if sheet is not None:
            sheets[name] = sheet
    for workbook in workbooks:
        for name, sheet in read_workbook(workbook, log).items():
            if name in origin:
                log.add(sheet.label, None, None, f"the {name} sheet is also given by {origin[name]}; keep only one")
                continue
            origin[name] = sheet.label
            sheets[name] = sheet

    for spec in SHEETS:
        if not spec.required or spec.name in origin:
            continue
        if root.is_file():
            log.add(root.name, None, None, f"has no sheet named '{spec.name}', which is required")
        else:
            log.add(
                spec.file_name,
                None,
                None,
                f"required file is missing from {root} (give {spec.file_name} or an .xlsx sheet named '{spec.name}')",
            )
    return sheets


# -- checks within and across sheets ------------------------------------------------------------


def _flag(
    sheet: TypedSheet,
    failing: pl.DataFrame,
    column: str,
    message: Callable[[dict[str, Any]], str],
    log: IssueLog,
) -> None:
    """Log one issue per failing row (first rows in line order); count the rest."""
    if failing.is_empty():
        return
    shown = failing.sort(LINE).head(log.room) if failing.height > log.room else failing.sort(LINE)
    for row in shown.iter_rows(named=True):
        log.add(sheet.label, row[LINE], column, message(row))
    log.count_more(failing.height - shown.height)


def _check_rows(typed: dict[str, TypedSheet], log: IssueLog) -> None:
    """Rules on one row at a time: signs, ranges, self-references."""
    if (customers := typed.get("customers")) is not None:
        rows = customers.rows
        _flag(
            customers,
            rows.filter(pl.col("credit_limit") < 0),
            "credit_limit",
            lambda r: f"{format_units(r['credit_limit'])} is negative; a credit limit is 0 or more",
            log,
        )
        _flag(
            customers,
            rows.filter(pl.col("parent_id") == pl.col("customer_id")),
            "parent_id",
            lambda r: f"customer {r['customer_id']!r} cannot be its own parent",
            log,
        )
    if (invoices := typed.get("invoices")) is not None:
        rows = invoices.rows
        _flag(
            invoices,
            rows.filter((pl.col("doc_type") == "CM") & (pl.col("amount") > 0)),
            "amount",
            lambda r: f"{format_units(r['amount'])} is positive, but a credit memo (CM) must have a negative amount",
            log,
        )
        _flag(
            invoices,
            rows.filter((pl.col("doc_type") != "CM") & (pl.col("amount") < 0)),
            "amount",
            lambda r: (
                f"{format_units(r['amount'])} is negative, but an {r['doc_type']} amount must be 0 or more "
                "(enter credits as doc_type CM)"
            ),
            log,
        )
        _flag(
            invoices,
            rows.filter(~pl.col("discount_percent").is_between(0, 100 * UNITS_PER_MAJOR)),
            "discount_percent",
            lambda r: f"{format_units(r['discount_percent'])} is not between 0 and 100",
            log,
        )
    for name in ("payments", "orders"):
        if (sheet := typed.get(name)) is not None:
            _flag(
                sheet,
                sheet.rows.filter(pl.col("amount") < 0),
                "amount",
                lambda r: f"{format_units(r['amount'])} is negative; the amount must be 0 or more",
                log,
            )


def _check_references(typed: dict[str, TypedSheet], log: IssueLog, strict: bool = True) -> None:
    """Every customer_id and invoice_number named in one file exists in the file that defines it.

    Lenient reads skip the customer references (a document of an unknown customer is a finding).
    """
    customers = typed.get("customers")
    if strict and customers is not None and customers.keys is not None:
        known = customers.keys.implode()
        where = customers.label
        _flag(
            customers,
            customers.rows.filter(pl.col("parent_id").is_not_null() & ~pl.col("parent_id").is_in(known)),
            "parent_id",
            lambda r: f"parent {r['parent_id']!r} is not a customer in {where}",
            log,
        )
        for name in ("invoices", "payments", "orders"):
            if (sheet := typed.get(name)) is not None:
                _flag(
                    sheet,
                    sheet.rows.filter(~pl.col("customer_id").is_in(known)),
                    "customer_id",
                    lambda r: f"customer {r['customer_id']!r} is not in {where}",
                    log,
                )
    invoices = typed.get("invoices")
    writeoffs = typed.get("writeoffs")
    if invoices is not None and invoices.keys is not None and writeoffs is not None:
        known = invoices.keys.implode()
        where = invoices.label
        _flag(
            writeoffs,
            writeoffs.rows.filter(~pl.col("invoice_number").is_in(known)),
            "invoice_number",
            lambda r: f"invoice {r['invoice_number']!r} is not in {where}",
            log,
        )


def _applications(typed: dict[str, TypedSheet], log: IssueLog, strict: bool = True) -> pl.DataFrame:
    """Split `applied_to` ('INV-1:100.00;INV-2:50.00') into rows and check them against invoices.

    The result carries `ITEM`, the row of the applied invoice in the invoices table, found by one
    join; the currency check, the open-amount warning and `to_columns` all reuse it.
    """
    payments = typed.get("payments")
    if payments is None:
        return pl.DataFrame(schema={LINE: pl.Int64, **APPLICATION_SCHEMA, ITEM: pl.UInt32})
    applied_to = payments.rows.get_column("applied_to")
    spaced = bool(applied_to.str.contains(r"\s").any())  # stripping 1M parts three times is not free

    def trimmed(expr: pl.Expr) -> pl.Expr:
        return expr.str.strip_chars() if spaced else expr

    parts = (
        payments.rows.lazy()
        .filter(pl.col("applied_to").is_not_null())
        .select(
            pl.col(LINE),
            pl.col("payment_id"),
            pl.col("currency"),
            pl.col("payment_date").alias("applied_on"),
            pl.col("amount").alias("payment_amount"),
            pl.col("applied_to").str.split(";").alias("part"),
        )
        .explode("part")
        .with_columns(trimmed(pl.col("part")))
        .filter(pl.col("part") != "")
        .with_columns(pl.col("part").str.splitn(":", 2).alias("_pieces"))
        .with_columns(
            trimmed(pl.col("_pieces").struct.field("field_0")).alias("invoice_number"),
            trimmed(pl.col("_pieces").struct.field("field_1")).alias("_amount_text"),
        )
        .drop("_pieces")
        .collect()
    )
    colon = parts.get_column("_amount_text").str.contains(":", literal=True)
    if colon.any():
        # An invoice number may hold ':' itself; an amount never does, so split at the last one.
        groups = pl.col("part").str.extract_groups(r"^(.*):([^:]*)$")
        parts = parts.with_columns(
            pl.when(colon)
            .then(groups.struct.field("1").str.strip_chars())
            .otherwise("invoice_number")
            .alias("invoice_number"),
            pl.when(colon)
            .then(groups.struct.field("2").str.strip_chars())
            .otherwise("_amount_text")
            .alias("_amount_text"),
        )
    parts = parts.with_columns(units_expr(pl.col("_amount_text")).alias("amount"))

    if parts.get_column("amount").has_nulls():  # some part is malformed or has a bad amount
        malformed = (pl.col("invoice_number") == "") | pl.col("_amount_text").is_null() | (pl.col("_amount_text") == "")
        _flag(
            payments,
            parts.filter(malformed),
            "applied_to",
            lambda r: f"{r['part']!r} is not INVOICE:AMOUNT (expected e.g. INV-1:100.00;INV-2:50.00)",
            log,
        )
        _flag(
            payments,
            parts.filter(~malformed & pl.col("amount").is_null()),
            "applied_to",
            lambda r: f"amount for {r['invoice_number']!r}: {describe_bad_amount(r['_amount_text'])}",
            log,
        )
        parts = parts.filter(~malformed & pl.col("amount").is_not_null())

    invoices = typed.get("invoices")
    if invoices is None or invoices.keys is None:
        return parts.with_columns(pl.lit(None, pl.UInt32).alias(ITEM))
    parts = parts.with_columns(
        rows_of(parts.get_column("invoice_number"), invoices.rows.get_column("invoice_number")).alias(ITEM)
    )

    unknown = parts.filter(pl.col(ITEM).is_null()) if parts.get_column(ITEM).has_nulls() else parts.clear()
    if invoices.rows.height < invoices.keys.len():  # some invoice rows had bad cells: they still exist
        unknown = unknown.filter(~pl.col("invoice_number").is_in(invoices.keys.implode()))
    where = invoices.label
    if strict:
        _flag(
            payments,
            unknown,
            "applied_to",
            lambda r: f"applies to invoice {r['invoice_number']!r}, which is not in {where}",
            log,
        )
    invoice_currency = invoices.rows.get_column("currency")
    if not _one_currency(invoice_currency, payments.rows.get_column("currency")):
        other_currency = parts.with_columns(invoice_currency.gather(parts.get_column(ITEM)).alias("_inv_currency"))
        _flag(
            payments,
            other_currency.filter(pl.col("_inv_currency") != pl.col("currency")),
            "applied_to",
            lambda r: (
                f"applies {r['currency']} cash to invoice {r['invoice_number']!r}, which is in {r['_inv_currency']}"
            ),
            log,
        )

    if strict and parts.height:
        lines = parts.get_column(LINE).to_numpy()
        starts = np.flatnonzero(np.r_[True, lines[1:] != lines[:-1]])
        applied = np.add.reduceat(parts.get_column("amount").to_numpy(), starts)
        too_much = np.flatnonzero(applied > parts.get_column("payment_amount").to_numpy()[starts])
        over = parts[starts[too_much]].with_columns(pl.Series("applied", applied[too_much]))
        _flag(
            payments,
            over,
            "applied_to",
            lambda r: (
                f"applications total {format_units(r['applied'])}, more than the payment amount "
                f"{format_units(r['payment_amount'])}"
            ),
            log,
        )
    return parts.select(LINE, "payment_id", "invoice_number", "amount", "applied_on", ITEM)


def _one_currency(*columns: pl.Series) -> bool:
    """Whether every value of every column is the same (cheaper than counting distinct values)."""
    first = next((c[0] for c in columns if c.len()), None)
    return first is None or all(bool((c == first).all()) for c in columns)


# -- warnings -----------------------------------------------------------------------------------


def _warnings(
    invoices: pl.DataFrame, settle_item: np.ndarray, settle_amount: np.ndarray, label: str
) -> tuple[str, ...]:
    """Findings that do not stop the read; each is a count and the first examples."""
    found: list[str] = []
    settled = np.zeros(invoices.height, dtype=np.int64)
    np.add.at(settled, settle_item, settle_amount)
    expected = invoices.get_column("amount").to_numpy() - settled
    differs = np.flatnonzero(expected != invoices.get_column("open_amount").to_numpy())
    if len(differs):
        first = differs[:MAX_WARNING_EXAMPLES]
        examples = "; ".join(
            f"{r['invoice_number']} ({label} {line_word(label)} {r[LINE]}): open_amount "
            f"{format_units(r['open_amount'])}, computed {format_units(int(computed))}"
            for r, computed in zip(invoices[first].iter_rows(named=True), expected[first], strict=True)
        )
        found.append(
            f"{_invoices(len(differs), 'has', 'have')} an open_amount different from "
            f"amount - applications - write-offs (the file's open_amount is kept), e.g. {examples}"
        )
    early = invoices.filter(pl.col("due_date") < pl.col("invoice_date"))
    if early.height:
        examples = ", ".join(
            f"{r['invoice_number']} ({line_word(label)} {r[LINE]})"
            for r in early.head(MAX_WARNING_EXAMPLES).iter_rows(named=True)
        )
        found.append(f"{_invoices(early.height, 'is', 'are')} due before their invoice_date, e.g. {examples}")
    return tuple(found)


def _invoices(count: int, one: str, many: str) -> str:
    return f"1 invoice {one}" if count == 1 else f"{count} invoices {many}"
