"""The ledger folder's collections files: disputes, promises, contacts, dunning history (all optional).

Why read apart from `read_ledger`: they are not ERP data (a collector keeps them) and only the
collections commands need them; but they are checked the same way — every problem by file, line
and column, all at once, nothing used when anything is wrong — and against the ledger they sit
next to (unknown invoices and customers are errors).
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from creditbridge.adapters.files.convert import convert_sheet
from creditbridge.adapters.files.csv_reader import read_csv_sheet
from creditbridge.adapters.files.errors import IssueLog
from creditbridge.adapters.files.raw import LINE
from creditbridge.adapters.files.schema import ColumnSpec, Kind, SheetSpec
from creditbridge.core.model import Dispute, DisputeStatus, DunningAction, Ledger, PromiseToPay
from creditbridge.core.money import Money, from_units

DISPUTES = SheetSpec(
    "disputes",
    (
        ColumnSpec("invoice_number", Kind.TEXT),
        ColumnSpec("opened_date", Kind.DATE),
        ColumnSpec("reason", Kind.TEXT),
        ColumnSpec("status", Kind.CHOICE, choices=("open", "resolved")),
    ),
    required=False,
)
HISTORY = SheetSpec(
    "dunning_history",
    (
        ColumnSpec("invoice_number", Kind.TEXT),
        ColumnSpec("level", Kind.DAYS),
        ColumnSpec("sent_date", Kind.DATE),
        ColumnSpec("channel", Kind.TEXT, required=False),
    ),
    required=False,
)
CONTACTS = SheetSpec(
    "contacts",
    (
        ColumnSpec("customer_id", Kind.TEXT),
        ColumnSpec("email", Kind.TEXT, required=False),
        ColumnSpec("phone", Kind.TEXT, required=False),
        ColumnSpec("address", Kind.TEXT, required=False),
    ),
    required=False,
    key="customer_id",
)
PROMISES = SheetSpec(
    "promises",
    (
        ColumnSpec("customer_id", Kind.TEXT),
        ColumnSpec("promise_date", Kind.DATE),
        ColumnSpec("amount", Kind.AMOUNT),
        ColumnSpec("invoice_numbers", Kind.LIST, required=False),
    ),
    required=False,
)


@dataclass(frozen=True, slots=True)
class ContactRow:
    """How to reach a customer's accounts payable: e-mail, phone, postal address (lines split by '|')."""

    customer_id: str
    email: str | None = None
    phone: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class CollectionsFiles:
    """What a ledger folder says about disputes and promises (empty when the files are absent)."""

    disputes: tuple[Dispute, ...] = ()
    promises: tuple[PromiseToPay, ...] = ()
    contacts: tuple[ContactRow, ...] = ()
    sent: tuple[DunningAction, ...] = ()


def read_collections_files(path: str | os.PathLike[str], ledger: Ledger) -> CollectionsFiles:
    """Read `disputes.csv` and `promises.csv` from the ledger folder `path`, checked against `ledger`.

    Raises `LedgerError` listing the problems by file, line and column.
    """
    root = Path(path)
    if not root.is_dir():
        return CollectionsFiles()
    log = IssueLog()
    items = {i.item_id: i for i in ledger.items}
    currency = {c.customer_id: c.currency for c in ledger.customers}
    disputes: list[Dispute] = []
    promises: list[PromiseToPay] = []

    sheet = _read(root, DISPUTES, log)
    if sheet is not None:
        for row in sheet.iter_rows(named=True):
            if row["invoice_number"] not in items:
                log.add(
                    "disputes.csv", row[LINE], "invoice_number", f"no invoice {row['invoice_number']!r} in invoices.csv"
                )
                continue
            if row["reason"] is None:
                log.add("disputes.csv", row[LINE], "reason", "a reason is required (e.g. pricing, damaged, short_pay)")
                continue
            disputes.append(
                Dispute(
                    item_id=row["invoice_number"],
                    opened_on=row["opened_date"],
                    reason=row["reason"],
                    status=DisputeStatus(row["status"]),
                )
            )

    sheet = _read(root, PROMISES, log)
    if sheet is not None:
        for row in sheet.iter_rows(named=True):
            customer = row["customer_id"]
            if customer not in currency:
                log.add("promises.csv", row[LINE], "customer_id", f"no customer {customer!r} in customers.csv")
                continue
            numbers = tuple(n for n in (row["invoice_numbers"] or "").split(";") if n)
            bad = [n for n in numbers if n not in items or items[n].customer_id != customer]
            if bad:
                log.add(
                    "promises.csv",
                    row[LINE],
                    "invoice_numbers",
                    f"{', '.join(bad)}: not an invoice of customer {customer} in invoices.csv",
                )
                continue
            if row["amount"] <= 0:
                log.add("promises.csv", row[LINE], "amount", "a promised amount must be more than 0")
                continue
            cur = items[numbers[0]].amount.currency if numbers else currency[customer]
            promises.append(
                PromiseToPay(
                    customer_id=customer,
                    promise_date=row["promise_date"],
                    amount=Money(from_units(row["amount"]), cur),
                    item_ids=numbers,
                )
            )
    contacts = _contacts(_read(root, CONTACTS, log), "contacts.csv", set(currency), log)
    sent: list[DunningAction] = []
    sheet = _read(root, HISTORY, log)
    if sheet is not None:
        for row in sheet.iter_rows(named=True):
            item = items.get(row["invoice_number"])
            if item is None:
                log.add(
                    "dunning_history.csv",
                    row[LINE],
                    "invoice_number",
                    f"no invoice {row['invoice_number']!r} in invoices.csv",
                )
                continue
            if row["level"] < 1:
                log.add("dunning_history.csv", row[LINE], "level", "a dunning level is 1 or more")
                continue
            sent.append(
                DunningAction(item.customer_id, item.item_id, row["level"], row["sent_date"], row["channel"] or "")
            )
    log.raise_if_any(str(root))
    return CollectionsFiles(tuple(disputes), tuple(promises), tuple(contacts), tuple(sent))


def read_contacts_file(path: str | os.PathLike[str], customers: Collection[str]) -> list[ContactRow]:
    """One contacts CSV file (customer_id,email,phone,address), checked against the known `customers`."""
    file = Path(path)
    log = IssueLog()
    raw = read_csv_sheet(file, CONTACTS, log)
    typed = None if raw is None else convert_sheet(raw, CONTACTS, log)
    rows = _contacts(None if typed is None else typed.rows, file.name, set(customers), log)
    log.raise_if_any(str(file))
    return rows


def _contacts(sheet: pl.DataFrame | None, label: str, customers: set[str], log: IssueLog) -> list[ContactRow]:
    found: list[ContactRow] = []
    for row in [] if sheet is None else sheet.iter_rows(named=True):
        if row["customer_id"] not in customers:
            log.add(label, row[LINE], "customer_id", f"no customer {row['customer_id']!r} in customers.csv")
            continue
        email = row["email"]
        if email is not None and ("@" not in email or " " in email):
            log.add(label, row[LINE], "email", f"{email!r} is not an e-mail address")
            continue
        found.append(ContactRow(row["customer_id"], email, row["phone"], row["address"]))
    return found


def _read(root: Path, spec: SheetSpec, log: IssueLog) -> pl.DataFrame | None:
    file = next((f for f in sorted(root.iterdir()) if f.is_file() and f.name.lower() == spec.file_name), None)
    if file is None:
        return None
    raw = read_csv_sheet(file, spec, log)
    if raw is None:
        return None
    typed = convert_sheet(raw, spec, log)
    return None if typed is None else typed.rows
