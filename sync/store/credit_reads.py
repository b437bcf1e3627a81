"""The narrow read of the order-time credit check: one customer (or its group) as a core `ExposureView`.

Why not `load_ledger`: a check must answer in well under a millisecond against a store of a million
items, the way an ERP's credit check reads indexed exposure figures. Two queries (three for a group)
on the indexes of migration 0006 read only what `core.credit.check_exposure` looks at: the customer
(and its group) with their credit profiles; then, in one statement, per customer the open AR, the
past-due amount and the oldest past-due due date of its items with an open amount, and its open
orders, summed by the database. The sums are exactly what `core.review.exposures` adds up from a
ledger (items invoiced on or before as-of, in the customer's currency; past due = open amount > 0
and due before as-of), so both modes run the same rules on the same figures. Current versions only.
Queries go through the driver's own cursor: no statement compilation or result processing per check.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from creditbridge.core.credit import ExposureView
from creditbridge.core.model import CreditProfile, Customer
from creditbridge.core.money import Money, from_units
from creditbridge.core.review import Exposure
from creditbridge.sync.store.errors import StoreError

_CUSTOMER = (
    "SELECT c.source, c.customer_id, c.name, c.parent_id, c.currency, c.payment_terms_days, c.credit_limit, "
    "c.on_hold, c.risk_class, "
    "EXISTS (SELECT 1 FROM credit_profiles x WHERE x.source = c.source AND x.valid_to IS NULL), "
    "p.currency, p.credit_limit, p.on_hold, p.risk_class, p.source_version "
    "FROM customers c LEFT JOIN credit_profiles p ON p.source = c.source AND p.customer_id = c.customer_id "
    "AND p.valid_to IS NULL WHERE c.valid_to IS NULL AND "
)


def load_exposure_view(
    conn: sa.Connection, customer_id: str, as_of: date, source: str | None = None, group: bool = False
) -> ExposureView | None:
    """The customer (with its parent group when `group`), profiles and exposures as of `as_of`; None if unknown.

    Without `source` the customer's id must be in one source only (as `load_ledger` requires).
    """
    postgres = conn.dialect.name == "postgresql"
    p = "%s" if postgres else "?"
    day: Any = as_of if postgres else as_of.isoformat()
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if source is None:
            rows = _all(cursor, f"{_CUSTOMER} c.customer_id = {p}", (customer_id,))
            if len(rows) > 1:
                sources = ", ".join(sorted(str(r[0]) for r in rows))
                raise StoreError(f"customer id {customer_id!r} exists in more than one source ({sources}); "
                                 "check one source at a time")  # fmt: skip
        else:
            rows = _all(cursor, f"{_CUSTOMER} c.customer_id = {p} AND c.source = {p}", (customer_id, source))
        if not rows:
            return None
        where = str(rows[0][0])
        found = {str(r[1]): r for r in rows}
        if group:  # the parent and its children, and the customer's own children (its parent may be unknown)
            parent = rows[0][3] if rows[0][3] is not None else customer_id
            members = _all(cursor, f"{_CUSTOMER} c.source = {p} AND (c.customer_id IN ({p}, {p}) "
                                   f"OR c.parent_id IN ({p}, {p}))", (where, parent, customer_id, parent, customer_id))
            found.update({str(r[1]): r for r in members})
        ids = sorted(found)
        marks = ", ".join([p] * len(ids))
        sums = _all(cursor, "SELECT 'i', customer_id, currency, SUM(open_amount), "
                            f"SUM(CASE WHEN open_amount > 0 AND due_date < {p} THEN open_amount ELSE 0 END), "
                            f"MIN(CASE WHEN open_amount > 0 AND due_date < {p} THEN due_date END) "
                            f"FROM open_items WHERE source = {p} AND customer_id IN ({marks}) AND valid_to IS NULL "
                            f"AND open_amount <> 0 AND invoice_date <= {p} GROUP BY customer_id, currency "
                            "UNION ALL SELECT 'o', customer_id, currency, SUM(amount), 0, NULL FROM orders "
                            f"WHERE source = {p} AND customer_id IN ({marks}) AND valid_to IS NULL "
                            "AND LOWER(status) = 'open' GROUP BY customer_id, currency",
                    (day, day, where, *ids, day, where, *ids))  # fmt: skip
    finally:
        cursor.close()
    customers = tuple(_customer(found[c]) for c in ids)
    currency = {c.customer_id: c.currency for c in customers}
    ar = {str(r[1]): r[1:] for r in sums if r[0] == "i" and r[2] == currency[str(r[1])]}
    on_order = {str(r[1]): int(r[3]) for r in sums if r[0] == "o" and r[2] == currency[str(r[1])]}
    exposures = {}
    for cid in ids:
        row = ar.get(cid)
        oldest = 0 if row is None or row[4] is None else (as_of - _day(row[4])).days
        exposures[cid] = Exposure(
            cid, currency[cid],
            _amount(0 if row is None else row[2]),
            _amount(on_order.get(cid, 0)),
            _amount(0 if row is None else row[3]),
            oldest,
        )  # fmt: skip
    profiles = tuple(p for p in (_profile(found[c]) for c in ids) if p is not None)
    return ExposureView(customers, profiles, exposures)


def _all(cursor: Any, sql: str, params: tuple[Any, ...]) -> Sequence[Any]:
    cursor.execute(sql, params)
    rows: Sequence[Any] = cursor.fetchall()
    return rows


def _amount(units: Any) -> Decimal:
    return from_units(int(units or 0))


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _customer(r: Any) -> Customer:
    return Customer(str(r[1]), str(r[2]), str(r[4]), r[3], r[5])


def _profile(r: Any) -> CreditProfile | None:
    """A pulled source's `credit_profiles` row, else the customer's own columns (as `load_ledger` does)."""
    if not r[9]:
        limit = None if r[6] is None else Money(from_units(int(r[6])), str(r[4]))
        return CreditProfile(str(r[1]), limit, bool(r[7]), r[8])
    if r[12] is None:  # a pulled source without a profile for this customer
        return None
    limit = None if r[11] is None else Money(from_units(int(r[11])), str(r[10]))
    return CreditProfile(str(r[1]), limit, bool(r[12]), r[13], source_version=r[14])
