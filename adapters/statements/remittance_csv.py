"""Remittance CSV: payments with the invoices they pay, one row per (payment, invoice).

Why this shape: it is what customers' AP systems and remittance portals export, and what a person
can write by hand. A payment paying several invoices has several rows with the same payment_id; its
payment-level columns must agree across those rows (a disagreement is an error, not a guess).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from creditbridge.adapters.statements.errors import Issues, fail
from creditbridge.core.model import BankStatement, BankTransaction, RemittanceLine
from creditbridge.core.money import Money, MoneyError, parse_decimal

REQUIRED = ("payment_id", "payment_date", "amount", "currency")
OPTIONAL = ("payer_name", "payer_account", "reference", "invoice_number", "invoice_amount", "document_type",
            "value_date")  # fmt: skip
COLUMNS = REQUIRED + OPTIONAL
_PAYMENT_LEVEL = ("payment_date", "amount", "currency", "payer_name", "payer_account", "reference", "value_date")


def looks_like_remittance_csv(first_line: str) -> bool:
    """True when the first line is a header naming payment_id and amount."""
    names = {name.strip().strip('"').strip().lower() for name in first_line.split(",")}
    return {"payment_id", "amount"} <= names


@dataclass
class _Payment:
    line: int
    values: dict[str, str]
    amount: Money
    booked_on: date
    value_date: date | None
    lines: list[RemittanceLine] = field(default_factory=list)


def _decimal(text: str, number: int, column: str, issues: Issues) -> Decimal | None:
    try:
        value = parse_decimal(text)
    except MoneyError:
        issues.add(f"{text!r} is not a plain decimal number (e.g. 1234.50)", line=number, field=column)
        return None
    if value <= 0:
        issues.add(f"{text!r} must be greater than zero", line=number, field=column)
        return None
    return value


def _date(text: str, number: int, column: str, issues: Issues) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        issues.add(f"{text!r} is not a date in the form YYYY-MM-DD", line=number, field=column)
        return None


def read_remittance_csv(text: str, file: str) -> BankStatement:
    """Payments of a remittance CSV (columns in README); errors name the line and column."""
    issues = Issues(file)
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(rows)]
    except StopIteration:
        raise fail(file, "the file is empty") from None
    except csv.Error as exc:
        raise fail(file, f"not readable CSV: {exc}", line=1) from None
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise fail(file, f"the header lacks the column(s) {', '.join(missing)}", line=1, field=missing[0])
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise fail(file, f"unknown column(s) {', '.join(unknown)} (known: {', '.join(COLUMNS)})", line=1,
                   field=unknown[0])  # fmt: skip
    duplicate = [name for name in set(header) if header.count(name) > 1]
    if duplicate:
        raise fail(file, "column named twice", line=1, field=duplicate[0])
    payments: dict[str, _Payment] = {}
    try:
        for row in rows:
            number = rows.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                issues.add(f"has {len(row)} values, the header has {len(header)}", line=number)
                continue
            values = {name: cell.strip() for name, cell in zip(header, row, strict=True)}
            _row(values, number, payments, issues)
    except csv.Error as exc:
        issues.add(f"not readable CSV: {exc}", line=rows.line_num)
    if not payments and not issues:
        issues.add("the file has a header but no payments", line=1)
    issues.raise_if_any()
    transactions = tuple(
        BankTransaction(transaction_id=pid, booked_on=p.booked_on, amount=p.amount,
                        payer_name=p.values.get("payer_name") or None,
                        payer_account=p.values.get("payer_account") or None,
                        remittance_text=p.values.get("reference") or None, remittance_lines=tuple(p.lines),
                        value_date=p.value_date)
        for pid, p in payments.items()
    )  # fmt: skip
    dates = [t.booked_on for t in transactions]
    return BankStatement(source=file, format="remittance_csv", transactions=transactions,
                         period_start=min(dates, default=None), period_end=max(dates, default=None))  # fmt: skip


def _row(values: dict[str, str], number: int, payments: dict[str, _Payment], issues: Issues) -> None:
    pid = values["payment_id"]
    if not pid:
        issues.add("payment_id is empty", line=number, field="payment_id")
        return
    known = payments.get(pid)
    if known is not None:
        for column in _PAYMENT_LEVEL:
            if values.get(column, "") != known.values.get(column, ""):
                issues.add(f"{values.get(column, '')!r} differs from {known.values.get(column, '')!r} on line "
                           f"{known.line} for the same payment_id {pid!r}", line=number, field=column)  # fmt: skip
                return
    else:
        amount = _decimal(values["amount"], number, "amount", issues)
        booked_on = _date(values["payment_date"], number, "payment_date", issues)
        value_date = _date(values["value_date"], number, "value_date", issues) if values.get("value_date") else None
        try:
            money = Money(amount, values["currency"]) if amount is not None else None
        except MoneyError:
            issues.add(f"{values['currency']!r} is not an ISO 4217 currency code like USD", line=number,
                       field="currency")  # fmt: skip
            money = None
        if money is None or booked_on is None:
            return
        known = payments[pid] = _Payment(number, values, money, booked_on, value_date)
    invoice = values.get("invoice_number") or None
    invoice_amount = None
    if values.get("invoice_amount"):
        parsed = _decimal(values["invoice_amount"], number, "invoice_amount", issues)
        invoice_amount = Money(parsed, known.amount.currency) if parsed is not None else None
    if invoice is not None or invoice_amount is not None:
        known.lines.append(RemittanceLine(invoice, invoice_amount, values.get("document_type") or None))
