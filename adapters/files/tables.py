"""A validated ledger folder as polars tables, and its two core shapes: columns and records.

Why tables first: the KPI engine wants numpy columns over millions of rows (`to_columns`, no
Python object per row), while credit checks and tests on small ledgers want records
(`to_ledger`). Both come from the same validated tables, so the two paths cannot disagree.
Amounts are Int64 units of 1/UNITS_PER_MAJOR (exact), dates are polars Date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import polars as pl

from creditbridge.adapters.files.lookup import rows_of
from creditbridge.core.columns import DOC_TYPE_CODES, LedgerColumns
from creditbridge.core.model import (
    Application,
    CreditProfile,
    Customer,
    DocType,
    Ledger,
    OpenItem,
    Order,
    OrderStatus,
    Payment,
    WriteOff,
)
from creditbridge.core.money import Money, from_units

CUSTOMER_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(),
    "name": pl.String(),
    "parent_id": pl.String(),
    "currency": pl.String(),
    "payment_terms_days": pl.Int32(),
    "credit_limit": pl.Int64(),
    "on_hold": pl.Boolean(),
    "risk_class": pl.String(),
    "tax_id": pl.String(),
    "bank_accounts": pl.String(),
}
INVOICE_SCHEMA: dict[str, pl.DataType] = {
    "invoice_number": pl.String(),
    "doc_type": pl.String(),
    "customer_id": pl.String(),
    "invoice_date": pl.Date(),
    "due_date": pl.Date(),
    "currency": pl.String(),
    "amount": pl.Int64(),
    "open_amount": pl.Int64(),
    "po_number": pl.String(),
    "discount_percent": pl.Int64(),
    "discount_days": pl.Int32(),
}
PAYMENT_SCHEMA: dict[str, pl.DataType] = {
    "payment_id": pl.String(),
    "customer_id": pl.String(),
    "payment_date": pl.Date(),
    "currency": pl.String(),
    "amount": pl.Int64(),
    "reference": pl.String(),
}
APPLICATION_SCHEMA: dict[str, pl.DataType] = {
    "payment_id": pl.String(),
    "invoice_number": pl.String(),
    "amount": pl.Int64(),
    "applied_on": pl.Date(),
}
ORDER_SCHEMA: dict[str, pl.DataType] = {
    "order_number": pl.String(),
    "customer_id": pl.String(),
    "order_date": pl.Date(),
    "currency": pl.String(),
    "amount": pl.Int64(),
    "status": pl.String(),
}
WRITEOFF_SCHEMA: dict[str, pl.DataType] = {
    "invoice_number": pl.String(),
    "date": pl.Date(),
    "amount": pl.Int64(),
    "reason": pl.String(),
}

_DOC_CODES = {doc.value: code for doc, code in DOC_TYPE_CODES.items()}


@dataclass(frozen=True, eq=False)
class LedgerTables:
    """Every table of a ledger folder, validated; amounts in Int64 units, dates as Date.

    customers: customer_id, name, parent_id?, currency, payment_terms_days? (Int32),
        credit_limit? (units), on_hold (Boolean), risk_class?, tax_id?, bank_accounts? (';'-joined)
    invoices: invoice_number, doc_type ('INV'|'DM'|'CM'), customer_id, invoice_date, due_date,
        currency, amount, open_amount (units; CM negative), po_number?, discount_percent? (units),
        discount_days? (Int32)
    payments: payment_id, customer_id, payment_date, currency, amount (units), reference?
    applications: payment_id, invoice_number, amount (units), applied_on (= the payment's date)
    orders: order_number, customer_id, order_date, currency, amount (units), status
    writeoffs: invoice_number, date, amount (units), reason?
    Rows keep file order. `warnings` are findings that do not stop the read.
    """

    customers: pl.DataFrame
    invoices: pl.DataFrame
    payments: pl.DataFrame
    applications: pl.DataFrame
    orders: pl.DataFrame
    writeoffs: pl.DataFrame
    source: str
    warnings: tuple[str, ...] = ()
    settle_item: np.ndarray | None = field(default=None, repr=False)
    """Optional: the invoice row of each settlement (applications, then write-offs), as found
    while validating; saves `to_columns` a join. Computed when absent."""

    def to_columns(self) -> LedgerColumns:
        """The columnar ledger for the KPI engine; settlements are applications, then write-offs.

        Built from polars columns without a Python loop per row; indexes come from hash lookups
        on customer_id and invoice_number. Customers keep file order; currencies (of the items)
        are sorted.
        """
        invoices = self.invoices
        currencies = tuple(sorted(invoices.get_column("currency").unique().to_list()))
        customer_ids = self.customers.get_column("customer_id")
        settlements = pl.concat(
            [
                self.applications.select(
                    "invoice_number", pl.col("applied_on").alias("date"), "amount", pl.lit(False).alias("wo")
                ),
                self.writeoffs.select("invoice_number", "date", "amount", pl.lit(True).alias("wo")),
            ]
        )
        items = invoices.select(
            pl.col("customer_id").replace_strict(
                customer_ids, pl.int_range(customer_ids.len(), dtype=pl.Int32, eager=True), return_dtype=pl.Int32
            ),
            pl.col("doc_type").replace_strict(_DOC_CODES, return_dtype=pl.Int8),
            pl.col("currency").replace_strict(
                currencies, list(range(len(currencies))), return_dtype=pl.Int16, default=None
            ),
        )
        settle_item = self.settle_item
        if settle_item is None or len(settle_item) != settlements.height:
            settle_item = rows_of(
                settlements.get_column("invoice_number"), invoices.get_column("invoice_number")
            ).to_numpy()
        return LedgerColumns(
            currencies=currencies,
            customer_ids=tuple(customer_ids.to_list()),
            customer_names=tuple(self.customers.get_column("name").to_list()),
            item_ids=invoices.get_column("invoice_number").to_list(),
            item_customer=_array(items.get_column("customer_id")),
            item_type=_array(items.get_column("doc_type")),
            item_date=_array(invoices.get_column("invoice_date")),
            item_due=_array(invoices.get_column("due_date")),
            item_currency=_array(items.get_column("currency")),
            item_amount=_array(invoices.get_column("amount")),
            item_open=_array(invoices.get_column("open_amount")),
            settle_item=np.asarray(settle_item, dtype=np.int32),
            settle_date=_array(settlements.get_column("date")),
            settle_amount=_array(settlements.get_column("amount")),
            settle_is_writeoff=_array(settlements.get_column("wo")),
        )

    def to_ledger(self) -> Ledger:
        """The ledger as core records (one Python object per row: for small ledgers and tests)."""
        customers: list[Customer] = []
        profiles: list[CreditProfile] = []
        for row in self.customers.iter_rows(named=True):
            accounts = tuple(row["bank_accounts"].split(";")) if row["bank_accounts"] else ()
            customers.append(
                Customer(
                    customer_id=row["customer_id"],
                    name=row["name"],
                    currency=row["currency"],
                    parent_id=row["parent_id"],
                    payment_terms_days=row["payment_terms_days"],
                    tax_id=row["tax_id"],
                    bank_accounts=accounts,
                )
            )
            limit = row["credit_limit"]
            profiles.append(
                CreditProfile(
                    customer_id=row["customer_id"],
                    credit_limit=None if limit is None else Money(from_units(limit), row["currency"]),
                    on_hold=bool(row["on_hold"]),
                    risk_class=row["risk_class"],
                )
            )

        items = tuple(
            OpenItem(
                item_id=row["invoice_number"],
                doc_type=DocType(row["doc_type"]),
                customer_id=row["customer_id"],
                invoice_date=row["invoice_date"],
                due_date=row["due_date"],
                amount=Money(from_units(row["amount"]), row["currency"]),
                open_amount=Money(from_units(row["open_amount"]), row["currency"]),
                po_number=row["po_number"],
                discount_percent=_decimal_or_none(row["discount_percent"]),
                discount_days=row["discount_days"],
            )
            for row in self.invoices.iter_rows(named=True)
        )
        currency_of_payment = dict(
            zip(self.payments.get_column("payment_id"), self.payments.get_column("currency"), strict=True)
        )
        applications: dict[str, list[Application]] = {}
        for row in self.applications.iter_rows(named=True):
            applications.setdefault(row["payment_id"], []).append(
                Application(
                    payment_id=row["payment_id"],
                    item_id=row["invoice_number"],
                    amount=Money(from_units(row["amount"]), currency_of_payment[row["payment_id"]]),
                    applied_on=row["applied_on"],
                )
            )
        payments = tuple(
            Payment(
                payment_id=row["payment_id"],
                customer_id=row["customer_id"],
                payment_date=row["payment_date"],
                amount=Money(from_units(row["amount"]), row["currency"]),
                reference=row["reference"],
                applications=tuple(applications.get(row["payment_id"], ())),
            )
            for row in self.payments.iter_rows(named=True)
        )
        currency_of_item = {item.item_id: item.amount.currency for item in items}
        writeoffs = tuple(
            WriteOff(
                item_id=row["invoice_number"],
                written_off_on=row["date"],
                amount=Money(from_units(row["amount"]), currency_of_item[row["invoice_number"]]),
                reason=row["reason"],
            )
            for row in self.writeoffs.iter_rows(named=True)
        )
        orders = tuple(
            Order(
                order_number=row["order_number"],
                customer_id=row["customer_id"],
                order_date=row["order_date"],
                amount=Money(from_units(row["amount"]), row["currency"]),
                status=OrderStatus(row["status"]),
            )
            for row in self.orders.iter_rows(named=True)
        )
        return Ledger(
            customers=tuple(customers),
            profiles=tuple(profiles),
            items=items,
            payments=payments,
            writeoffs=writeoffs,
            orders=orders,
        )


def _array(series: pl.Series) -> np.ndarray:
    """A writable numpy copy-or-view of a null-free column (dates become datetime64[D])."""
    return series.to_numpy(writable=True)


def _decimal_or_none(units: int | None) -> Decimal | None:
    return None if units is None else from_units(units)
