"""The narrow read of the order-time credit check: one customer (or its group), as a small core Ledger.

Why not `load_ledger`: a check must answer in well under a millisecond against a store of a million
items, the way an ERP's credit check reads its indexed exposure tables. Here a few indexed queries
(migration 0006's indexes) read only what `core.credit.check_order` looks at: the customer and its
group, their credit profiles, their items with an open amount and their orders, current versions only.
The rules stay core's: ledger mode and store mode both call `check_order`.
Queries go through the driver directly (`exec_driver_sql`): no statement compilation per check.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from creditbridge.core.model import CreditProfile, Customer, DocType, Ledger, OpenItem, Order, OrderStatus
from creditbridge.core.money import Money, from_units
from creditbridge.sync.store.errors import StoreError

_CUSTOMER_COLUMNS = (
    "source, customer_id, name, parent_id, currency, payment_terms_days, credit_limit, on_hold, risk_class"
)


def load_credit_ledger(
    conn: sa.Connection, customer_id: str, source: str | None = None, group: bool = False
) -> Ledger | None:
    """The customer (with its parent group when `group`), profiles, open items and orders; None if unknown.

    Without `source` the customer's id must be in one source only (as `load_ledger` requires).
    """
    p = "%s" if conn.dialect.name == "postgresql" else "?"
    if source is None:
        rows = _all(conn, f"SELECT {_CUSTOMER_COLUMNS} FROM customers WHERE customer_id = {p} AND valid_to IS NULL",
                    (customer_id,))  # fmt: skip
        if len(rows) > 1:
            sources = ", ".join(sorted(str(r[0]) for r in rows))
            raise StoreError(f"customer id {customer_id!r} exists in more than one source ({sources}); "
                             "check one source at a time")  # fmt: skip
    else:
        rows = _all(conn, f"SELECT {_CUSTOMER_COLUMNS} FROM customers WHERE customer_id = {p} AND source = {p} "
                          "AND valid_to IS NULL", (customer_id, source))  # fmt: skip
    if not rows:
        return None
    found = rows[0]
    where = str(found[0])
    customers = {str(found[1]): found}
    parent = found[3]
    if group and parent is not None:
        members = _all(conn, f"SELECT {_CUSTOMER_COLUMNS} FROM customers WHERE source = {p} AND valid_to IS NULL "
                             f"AND (customer_id = {p} OR parent_id = {p})", (where, parent, parent))  # fmt: skip
        customers.update({str(r[1]): r for r in members})
    elif group:
        members = _all(conn, f"SELECT {_CUSTOMER_COLUMNS} FROM customers WHERE source = {p} AND valid_to IS NULL "
                             f"AND parent_id = {p}", (where, customer_id))  # fmt: skip
        customers.update({str(r[1]): r for r in members})
    ids = sorted(customers)
    marks = ", ".join([p] * len(ids))
    items = _all(conn, "SELECT item_id, doc_type, customer_id, invoice_date, due_date, currency, amount, open_amount "
                       f"FROM open_items WHERE source = {p} AND customer_id IN ({marks}) AND valid_to IS NULL "
                       "AND open_amount <> 0", (where, *ids))  # fmt: skip
    orders = _all(conn, "SELECT order_number, customer_id, order_date, currency, amount, status FROM orders "
                        f"WHERE source = {p} AND customer_id IN ({marks}) AND valid_to IS NULL",
                  (where, *ids))  # fmt: skip
    return Ledger(
        customers=tuple(_customer(customers[c]) for c in ids),
        profiles=_profiles(conn, p, where, ids, customers),
        items=tuple(_item(r) for r in items),
        orders=tuple(_order(r) for r in orders),
    )


def _all(conn: sa.Connection, sql: str, params: tuple[Any, ...]) -> Sequence[Any]:
    return conn.exec_driver_sql(sql, params).fetchall()


def _profiles(
    conn: sa.Connection, p: str, source: str, ids: list[str], customers: dict[str, Any]
) -> tuple[CreditProfile, ...]:
    """A pulled source's `credit_profiles` rows, else the customers' own columns (as `load_ledger` does)."""
    pulled = _all(conn, f"SELECT 1 FROM credit_profiles WHERE source = {p} AND valid_to IS NULL LIMIT 1", (source,))
    if not pulled:
        return tuple(
            CreditProfile(c, None if r[6] is None else Money(from_units(int(r[6])), str(r[4])), bool(r[7]), r[8])
            for c, r in ((c, customers[c]) for c in ids)
        )
    marks = ", ".join([p] * len(ids))
    rows = _all(conn, "SELECT customer_id, currency, credit_limit, on_hold, risk_class, source_version "
                      f"FROM credit_profiles WHERE source = {p} AND customer_id IN ({marks}) AND valid_to IS NULL",
                (source, *ids))  # fmt: skip
    return tuple(
        CreditProfile(str(r[0]), None if r[2] is None else Money(from_units(int(r[2])), str(r[1])), bool(r[3]), r[4],
                      source_version=r[5])
        for r in sorted(rows, key=lambda r: str(r[0]))
    )  # fmt: skip


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _customer(r: Any) -> Customer:
    return Customer(str(r[1]), str(r[2]), str(r[4]), r[3], r[5])


def _item(r: Any) -> OpenItem:
    currency = str(r[5])
    return OpenItem(str(r[0]), DocType(r[1]), str(r[2]), _day(r[3]), _day(r[4]),
                    Money(from_units(int(r[6])), currency), Money(from_units(int(r[7])), currency))  # fmt: skip


def _order(r: Any) -> Order:
    try:
        status = OrderStatus(str(r[5]).lower())
    except ValueError as exc:
        raise StoreError(f"order {r[0]!r} has an unknown status {r[5]!r}") from exc
    return Order(str(r[0]), str(r[1]), _day(r[2]), Money(from_units(int(r[4])), str(r[3])), status)
