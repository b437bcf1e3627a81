"""The AR report as an XLSX workbook: one sheet per table, numbers as numbers, dates as dates.

Why these rules: finance re-sorts, filters and sums the report in Excel, so every figure is a
numeric cell with a number format (never text that looks like a number), every date a real
Excel date, and each sheet has a bold frozen header with an autofilter. Text cells are written
with `write_string`, so a customer called "=HYPERLINK(…)" stays text, never a formula.

Decimal becomes float in exactly one place, `_excel_number`: Excel stores IEEE doubles, and a
2-place figure converted through its exact decimal string is the double nearest to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from creditbridge.core.kpis.figures import AGING_BUCKETS, KpiFigures
from creditbridge.core.money import minor_digits
from creditbridge.sync.reports.ar_report import ArReport, over_90, past_due_percent
from creditbridge.sync.reports.formats import bucket_label
from creditbridge.sync.reports.staging import staged

SHEETS: tuple[str, ...] = ("Summary", "Aging", "Trend", "Top overdue", "Customers")
"""Sheet names, in workbook order."""

Kind = Literal["text", "money", "days", "percent", "date", "int"]
Value = str | Decimal | date | int | None

_HUNDRED = Decimal(100)


def _excel_number(value: Decimal) -> float:
    """The double Excel stores for an exact Decimal (the one Decimal→float conversion in reports)."""
    return float(str(value))


@dataclass(frozen=True, slots=True)
class _Col:
    head: str
    kind: Kind
    width: int | None = None


class _Formats:
    """Cell formats of one workbook, created once and shared by all sheets."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self._book = book
        self.header = book.add_format(
            {
                "bold": True,
                "bg_color": "#F2F4F7",
                "bottom": 1,
                "border_color": "#C9CFD8",
                "text_wrap": True,
                "valign": "top",
            }
        )
        self.text = book.add_format({"valign": "top"})
        self.days = book.add_format({"num_format": "0.0"})
        self.percent = book.add_format({"num_format": "0.0%"})
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})
        self.int = book.add_format({"num_format": "0"})
        self._money: dict[int, Format] = {}

    def money(self, currency: str) -> Format:
        digits = minor_digits(currency)
        if digits not in self._money:
            pattern = "#,##0" + ("." + "0" * digits if digits else "")
            self._money[digits] = self._book.add_format({"num_format": pattern})
        return self._money[digits]


def _display_len(kind: Kind, value: Value) -> int:
    if value is None:
        return 0
    if kind == "money" and isinstance(value, Decimal):
        return len(f"{value:,.2f}") + 1
    if kind == "percent":
        return 7
    if kind == "date":
        return 10
    return len(str(value))


def _write_table(
    sheet: Worksheet,
    formats: _Formats,
    columns: Sequence[_Col],
    rows: Sequence[tuple[str, Sequence[Value]]],
    freeze_cols: int = 0,
) -> None:
    """Header, rows (each with the currency its money cells are in), formats, filter, widths."""
    widths = [len(c.head) for c in columns]
    for col, column in enumerate(columns):
        sheet.write_string(0, col, column.head, formats.header)
    for r, (currency, values) in enumerate(rows, start=1):
        for col, (column, value) in enumerate(zip(columns, values, strict=True)):
            widths[col] = max(widths[col], _display_len(column.kind, value))
            _write_cell(sheet, formats, r, col, column.kind, value, currency)
    for col, column in enumerate(columns):
        width = column.width if column.width is not None else min(max(widths[col] + 2, 9), 48)
        sheet.set_column(col, col, width)
    sheet.set_row(0, 30)
    sheet.freeze_panes(1, freeze_cols)
    sheet.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)


def _write_cell(
    sheet: Worksheet, formats: _Formats, row: int, col: int, kind: Kind, value: Value, currency: str
) -> None:
    if value is None:
        sheet.write_blank(row, col, None)
    elif kind == "text":
        sheet.write_string(row, col, str(value), formats.text)
    elif kind == "date" and isinstance(value, date):
        sheet.write_datetime(row, col, value, formats.date)
    elif kind == "int" and isinstance(value, int):
        sheet.write_number(row, col, value, formats.int)
    elif isinstance(value, Decimal):
        if kind == "money":
            sheet.write_number(row, col, _excel_number(value), formats.money(currency))
        elif kind == "days":
            sheet.write_number(row, col, _excel_number(value), formats.days)
        else:  # percent values (85.25) become Excel fractions (0.8525) shown as 85.3%
            sheet.write_number(row, col, _excel_number(value / _HUNDRED), formats.percent)
    else:
        raise TypeError(f"cannot write {type(value).__name__} as a {kind} cell")


_Reader = Callable[[KpiFigures], Value]

_FIGURE_COLUMNS: tuple[tuple[_Col, _Reader], ...] = (
    (_Col("AR", "money"), lambda f: f.ar),
    (_Col("AR at period start", "money"), lambda f: f.ar_start),
    (_Col("Current", "money"), lambda f: f.current_ar),
    (_Col("Past due", "money"), lambda f: f.past_due),
    (_Col("Past due %", "percent"), past_due_percent),
    (_Col("Over 90 days", "money"), over_90),
    (_Col("Credit sales", "money"), lambda f: f.credit_sales),
    (_Col("Write-offs", "money"), lambda f: f.writeoffs),
    (_Col("DSO (days)", "days"), lambda f: f.dso),
    (_Col("Countback DSO (days)", "days"), lambda f: f.countback_dso),
    (_Col("Best possible DSO (days)", "days"), lambda f: f.best_possible_dso),
    (_Col("ADD (days)", "days"), lambda f: f.add),
    (_Col("CEI", "percent"), lambda f: f.cei),
    (_Col("Bad-debt ratio", "percent"), lambda f: f.bad_debt_ratio),
)


def _summary(book: xlsxwriter.Workbook, formats: _Formats, report: ArReport) -> None:
    columns = [
        _Col("Currency", "text"),
        _Col("As of", "date"),
        _Col("Period start", "date"),
        _Col("Period days", "int"),
        *(c for c, _ in _FIGURE_COLUMNS),
    ]
    rows = [
        (
            f.currency,
            [
                f.currency,
                report.as_of,
                report.kpis.start,
                report.period_days,
                *(read(f) for _, read in _FIGURE_COLUMNS),
            ],
        )
        for f in report.kpis.company
    ]
    _write_table(book.add_worksheet("Summary"), formats, columns, rows, freeze_cols=1)


def _aging(book: xlsxwriter.Workbook, formats: _Formats, report: ArReport) -> None:
    columns = [
        _Col("Scope", "text"),
        _Col("Customer ID", "text"),
        _Col("Customer", "text", 36),
        _Col("Currency", "text"),
        _Col("AR", "money"),
        *(_Col(bucket_label(b), "money") for b in AGING_BUCKETS),
        _Col("Past due", "money"),
        _Col("Past due %", "percent"),
        _Col("Over 90 days", "money"),
    ]

    def row(scope: str, f: KpiFigures) -> tuple[str, list[Value]]:
        buckets: list[Value] = [next((b.amount for b in f.aging if b.name == name), None) for name in AGING_BUCKETS]
        return f.currency, [
            scope,
            f.customer_id,
            f.customer_name if scope == "Customer" else "All customers",
            f.currency,
            f.ar,
            *buckets,
            f.past_due,
            past_due_percent(f),
            over_90(f),
        ]

    rows = [row("Company", f) for f in report.kpis.company]
    for currency in report.currencies:
        rows += [row("Customer", f) for f in report.customers(currency) if f.ar != 0]
    _write_table(book.add_worksheet("Aging"), formats, columns, rows, freeze_cols=3)


def _trend(book: xlsxwriter.Workbook, formats: _Formats, report: ArReport) -> None:
    picked = (
        "AR",
        "Current",
        "Past due",
        "Past due %",
        "Credit sales",
        "DSO (days)",
        "Countback DSO (days)",
        "Best possible DSO (days)",
        "ADD (days)",
        "CEI",
        "Bad-debt ratio",
    )
    figure_cols = [(c, read) for c, read in _FIGURE_COLUMNS if c.head in picked]
    columns = [_Col("Date", "date"), _Col("Currency", "text"), *(c for c, _ in figure_cols)]
    rows: list[tuple[str, Sequence[Value]]] = []
    for currency in report.currencies:
        for point in report.trend:
            f = point.for_currency(currency)
            values: list[Value] = [point.as_of, currency]
            values += [read(f) if f is not None else None for _, read in figure_cols]
            rows.append((currency, values))
    _write_table(book.add_worksheet("Trend"), formats, columns, rows, freeze_cols=2)


def _top_overdue(book: xlsxwriter.Workbook, formats: _Formats, report: ArReport) -> None:
    columns = [
        _Col("Currency", "text"),
        _Col("Rank", "int"),
        _Col("Customer ID", "text"),
        _Col("Customer", "text", 36),
        _Col("AR", "money"),
        _Col("Past due", "money"),
        _Col("Past due %", "percent"),
        _Col("Over 90 days", "money"),
        _Col("DSO (days)", "days"),
        _Col("CEI", "percent"),
    ]
    rows: list[tuple[str, Sequence[Value]]] = []
    for currency in report.currencies:
        for rank, f in enumerate(report.top_overdue(currency), start=1):
            rows.append(
                (
                    currency,
                    [
                        currency,
                        rank,
                        f.customer_id,
                        f.customer_name,
                        f.ar,
                        f.past_due,
                        past_due_percent(f),
                        over_90(f),
                        f.dso,
                        f.cei,
                    ],
                )
            )
    _write_table(book.add_worksheet("Top overdue"), formats, columns, rows, freeze_cols=0)


def _customers(book: xlsxwriter.Workbook, formats: _Formats, report: ArReport) -> None:
    columns = [
        _Col("Customer ID", "text"),
        _Col("Customer", "text", 36),
        _Col("Currency", "text"),
        *(c for c, _ in _FIGURE_COLUMNS),
    ]
    rows: list[tuple[str, Sequence[Value]]] = []
    for currency in report.currencies:
        rows += [
            (currency, [f.customer_id, f.customer_name, f.currency, *(read(f) for _, read in _FIGURE_COLUMNS)])
            for f in report.customers(currency)
        ]
    _write_table(book.add_worksheet("Customers"), formats, columns, rows, freeze_cols=2)


def _reconciliation(book: xlsxwriter.Workbook, formats: _Formats, report: ArReport) -> None:
    """One row per difference above the tolerance; a consistent ledger gets one row saying so."""
    result = report.reconciliation
    if result is None:
        return
    columns = [
        _Col("Class", "text"),
        _Col("Customer ID", "text"),
        _Col("Documents", "text", 30),
        _Col("Currency", "text"),
        _Col("Amount", "money"),
        _Col("Detail", "text", 90),
    ]
    rows: list[tuple[str, Sequence[Value]]] = [
        (d.currency or "USD", [d.kind.value, d.customer_id, ", ".join(d.documents), d.currency, d.amount, d.detail])
        for d in result.differences
    ]
    if not rows:
        note = f"no differences above the tolerance ({result.tolerance})"
        rows.append(("USD", ["none", None, None, None, None, note]))
    _write_table(book.add_worksheet("Reconciliation"), formats, columns, rows, freeze_cols=0)
def _collections(book: xlsxwriter.Workbook, formats: _Formats, report: ArReport) -> None:
    """The Collections sheet: one row per figure (promises, disputes by age, effectiveness by level, segments)."""
    kpis = report.collections
    if kpis is None:
        return
    columns = [
        _Col("Figure", "text"),
        _Col("Scope", "text"),
        _Col("Currency", "text"),
        _Col("Count", "int"),
        _Col("Of", "int"),
        _Col("Percent", "percent"),
        _Col("Amount", "money"),
        _Col("Days", "days"),
    ]
    rows: list[tuple[str, Sequence[Value]]] = [
        (
            "",
            [
                "promise kept rate",
                "period",
                None,
                kpis.promises_kept,
                kpis.promises_kept + kpis.promises_broken,
                kpis.promise_kept_rate,
                None,
                None,
            ],
        ),
        ("", ["open promises", "as of", None, kpis.promises_open, None, None, None, None]),
    ]
    rows += [
        ("", ["open disputes", f"{name} days", None, n, None, None, None, None])
        for name, n in kpis.dispute_ageing.items()
    ]
    rows += [
        (
            "",
            [
                f"dunning effectiveness ({kpis.effectiveness_days} days)",
                f"level {e.level}",
                None,
                e.paid_within,
                e.dunned,
                e.percent,
                None,
                None,
            ],
        )
        for e in kpis.effectiveness
    ]
    for seg in kpis.segments:
        rows.append(
            (seg.currency, ["CEI", f"segment {seg.segment}", seg.currency, seg.customers, None, seg.cei, seg.ar, None])
        )
        rows.append(
            (
                seg.currency,
                ["ADD", f"segment {seg.segment}", seg.currency, seg.customers, None, None, seg.past_due, seg.add],
            )
        )
    _write_table(book.add_worksheet("Collections"), formats, columns, rows)


def _properties(report: ArReport) -> dict[str, Any]:
    generated = report.generated_at
    if generated.tzinfo is not None:  # the document property is stored as UTC without a zone
        generated = generated.astimezone(UTC).replace(tzinfo=None)
    return {
        "title": report.title,
        "subject": f"Accounts receivable as of {report.as_of.isoformat()} ({report.period_days}-day period)",
        "company": report.company_name or "",
        "comments": "Generated by creditbridge",
        "created": generated,
    }


def write_xlsx(report: ArReport, path: Path) -> None:
    """Write the workbook to `path` (atomically: a reader never sees half a file)."""
    with staged(Path(path)) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        try:
            book.set_properties(_properties(report))
            formats = _Formats(book)
            _summary(book, formats, report)
            _aging(book, formats, report)
            _trend(book, formats, report)
            _top_overdue(book, formats, report)
            _customers(book, formats, report)
            _reconciliation(book, formats, report)
            _collections(book, formats, report)
        finally:
            book.close()
