"""The demo's bank statement: today's incoming payments for some of the sample company's open invoices.

Why: so `creditbridge demo` leaves something to try cash application on (`creditbridge cashapp match
--ledger … --statement …`). The payments carry the noise real remittances carry (cash-application
reference, §3), in known proportions: a structured reference with the amount, the invoice number in
free text, no reference at all, one payment for two invoices, a short pay, and a payer nobody knows.
Read from the generated CSV files directly (the demo's own format), seeded, in USD.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

from creditbridge.adapters.statements.camt_writer import write_camt053
from creditbridge.core.model import BankTransaction, RemittanceLine
from creditbridge.core.money import Money

CURRENCY = "USD"


def write_demo_statement(ledger_dir: Path, path: Path, as_of: date, seed: int, payments: int = 40) -> int:
    """Write `path` (camt.053) with up to `payments` incoming payments; returns how many it holds."""
    names, accounts = _customers(ledger_dir / "customers.csv")
    open_items = _open_invoices(ledger_dir / "invoices.csv")
    rng = random.Random(seed)
    by_customer: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    for number, customer, amount in open_items:
        by_customer[customer].append((number, amount))
    customers = sorted(c for c in by_customer if c in names)
    rng.shuffle(customers)
    made: list[BankTransaction] = []
    for n, customer in enumerate(customers[:payments]):
        invoices = by_customer[customer]
        number, amount = invoices[0]
        name, account = names[customer], accounts.get(customer)
        kind = n % 10
        if kind in (0, 1, 2, 3):  # structured: document number and amount, as an ERP's payment run sends them
            lines = (RemittanceLine(number, Money(amount, CURRENCY), "CINV"),)
            made.append(_payment(n, as_of, amount, name, account, None, lines))
        elif kind in (4, 5):  # the number somewhere in the free text
            text = f"PAYMENT {number.replace('-', ' ')} THANK YOU"
            made.append(_payment(n, as_of, amount, name.upper(), account, text))
        elif kind == 6:  # nothing but the payer and the exact amount
            made.append(_payment(n, as_of, amount, name, account, None))
        elif kind == 7 and len(invoices) > 1:  # one payment for two invoices
            (first, a), (second, b) = invoices[:2]
            made.append(_payment(n, as_of, a + b, name, account, f"Invoices {first}, {second}"))
        elif kind == 8:  # a short pay: a deduction for damaged goods
            paid = (amount * Decimal("0.9")).quantize(Decimal("0.01"))
            made.append(_payment(n, as_of, paid, name, account, f"{number} less damaged goods"))
        else:  # a payer nobody knows, with an amount nothing is open for
            made.append(_payment(n, as_of, Decimal("1234.56"), "Unknown Trading Ltd", None, "ADVANCE"))
    write_camt053(path, made, debits=2, account="US00DEMOBANK0001")
    return len(made)


def _payment(
    n: int, day: date, amount: Decimal, payer: str, account: str | None, text: str | None,
    lines: tuple[RemittanceLine, ...] = (),
) -> BankTransaction:  # fmt: skip
    return BankTransaction(f"DEMO-{day:%Y%m%d}-{n + 1:03d}", day, Money(amount, CURRENCY), payer_name=payer,
                           payer_account=account, remittance_text=text, remittance_lines=lines,
                           end_to_end_id=f"E2E-{day:%Y%m%d}-{n + 1:03d}")  # fmt: skip


def _customers(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    names, accounts = {}, {}
    with path.open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            if row["currency"] != CURRENCY:
                continue
            names[row["customer_id"]] = row["name"]
            first = (row.get("bank_accounts") or "").split(";")[0].strip()
            if first:
                accounts[row["customer_id"]] = first
    return names, accounts


def _open_invoices(path: Path) -> list[tuple[str, str, Decimal]]:
    """(invoice number, customer, open amount) of open USD invoices, oldest first."""
    found = []
    with path.open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            if row["doc_type"] == "INV" and row["currency"] == CURRENCY and Decimal(row["open_amount"]) > 0:
                found.append((row["invoice_number"], row["customer_id"], Decimal(row["open_amount"])))
    return found
