"""KPI figures as JSON, CSV rows and terminal tables.

The JSON keys and CSV headers are a contract scripts rely on: the KPI names of the README
(`dso`, `countback_dso`, `best_possible_dso`, `add`, `cei`, `bad_debt_ratio`, `aging` with
`current`, `1_30`, `31_60`, `61_90`, `91_120`, `over_120`). Extend, never rename.
Decimals are written as exact JSON numbers (simplejson's `use_decimal`), never through float.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import simplejson
from rich.table import Table

from creditbridge.core.kpis import AGING_BUCKETS, KpiFigures, KpiReport

FIGURE_KEYS: tuple[str, ...] = (
    "ar", "ar_start", "current_ar", "credit_sales", "writeoffs",
    "dso", "countback_dso", "best_possible_dso", "add", "cei", "bad_debt_ratio",
)  # fmt: skip

CSV_HEADER: tuple[str, ...] = (
    "scope", "customer_id", "customer_name", "currency", "as_of", "period_days", *FIGURE_KEYS,
    *(f"aging_{name}" for name in AGING_BUCKETS),
    *(f"aging_{name}_percent" for name in AGING_BUCKETS),
)  # fmt: skip


def figures_dict(figures: KpiFigures) -> dict[str, Any]:
    """One scope's figures with the contract's keys."""
    row: dict[str, Any] = {"currency": figures.currency}
    if figures.customer_id is not None:
        row["customer_id"] = figures.customer_id
        row["customer_name"] = figures.customer_name
    for key in FIGURE_KEYS:
        row[key] = getattr(figures, key)
    row["aging"] = {b.name: {"amount": b.amount, "percent": b.percent} for b in figures.aging}
    return row


def report_dict(report: KpiReport) -> dict[str, Any]:
    result: dict[str, Any] = {
        "as_of": report.as_of.isoformat(),
        "period_days": report.period_days,
        "start": report.start.isoformat(),
        "company": [figures_dict(f) for f in report.company],
    }
    if report.customers:
        result["customers"] = [figures_dict(f) for f in report.customers]
    return result


def to_json(report: KpiReport) -> str:
    return str(simplejson.dumps(report_dict(report), use_decimal=True, indent=2))


def to_csv(report: KpiReport) -> str:
    """Company rows (scope=company) then customer rows (scope=customer)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    rows = [("company", f) for f in report.company] + [("customer", f) for f in report.customers]
    for scope, f in rows:
        writer.writerow([
            scope, f.customer_id or "", f.customer_name or "", f.currency,
            report.as_of.isoformat(), report.period_days,
            *(_cell(getattr(f, key)) for key in FIGURE_KEYS),
            *(_cell(b.amount) for b in f.aging),
            *(_cell(b.percent) for b in f.aging),
        ])  # fmt: skip
    return out.getvalue()


def _cell(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def _shown(value: Decimal | None, suffix: str = "") -> str:
    return "—" if value is None else f"{value:,}{suffix}"


def company_table(report: KpiReport) -> Table:
    """One column per currency: the headline KPIs and the aging."""
    table = Table(title=f"AR KPIs as of {report.as_of} ({report.period_days}-day period from {report.start})")
    table.add_column("KPI")
    for f in report.company:
        table.add_column(f.currency, justify="right")
    lines: list[tuple[str, list[str]]] = [
        ("AR", [_shown(f.ar) for f in report.company]),
        ("AR at start", [_shown(f.ar_start) for f in report.company]),
        ("Current AR", [_shown(f.current_ar) for f in report.company]),
        ("Credit sales", [_shown(f.credit_sales) for f in report.company]),
        ("Write-offs", [_shown(f.writeoffs) for f in report.company]),
        ("DSO (days)", [_shown(f.dso) for f in report.company]),
        ("Countback DSO", [_shown(f.countback_dso) for f in report.company]),
        ("Best possible DSO", [_shown(f.best_possible_dso) for f in report.company]),
        ("ADD (days)", [_shown(f.add) for f in report.company]),
        ("CEI", [_shown(f.cei, " %") for f in report.company]),
        ("Bad-debt ratio", [_shown(f.bad_debt_ratio, " %") for f in report.company]),
    ]
    for name in AGING_BUCKETS:
        label = "Aging " + name.replace("_", "–").replace("over–120", ">120")
        lines.append((label, [
            f"{_shown(f.bucket(name).amount)} ({_shown(f.bucket(name).percent, '%')})" for f in report.company
        ]))  # fmt: skip
    for label, cells in lines:
        table.add_row(label, *cells)
    return table


def customer_table(report: KpiReport, limit: int | None = None) -> Table:
    """Customers by AR, largest first."""
    table = Table(title="Customers by AR")
    for header in ("Customer", "Name", "Cur", "AR", "Past due", "DSO", "Countback", "CEI %", ">90 days"):
        table.add_column(header, justify="left" if header in ("Customer", "Name", "Cur") else "right")
    ranked = sorted(report.customers, key=lambda f: f.ar, reverse=True)
    for f in ranked[:limit] if limit else ranked:
        over_90 = f.bucket("91_120").amount + f.bucket("over_120").amount
        table.add_row(
            f.customer_id or "", f.customer_name or "", f.currency, _shown(f.ar), _shown(f.past_due),
            _shown(f.dso), _shown(f.countback_dso), _shown(f.cei), _shown(over_90),
        )  # fmt: skip
    return table
