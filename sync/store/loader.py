"""Reading the replica back: as KPI columns (fast, millions of rows) or as core records.

Two kinds of "as of": the business date is the KPI engine's business (settlements carry their
dates, so the open amount at any past date follows from the columns); the system time is this
module's: `known_at` selects, per source, the versions recorded by the last import finished by
then (valid_from <= K and not yet superseded at K). Imports of one source are serialized and
ids increase with commit order, so that per-source import id is an exact snapshot.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl
import sqlalchemy as sa

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
from creditbridge.sync.store import schema, snapshots
from creditbridge.sync.store.bulk import ReadColumn, bulk_io, column
from creditbridge.sync.store.entities import (
    APPLICATIONS,
    CUSTOMERS,
    ENTITIES,
    INVOICES,
    ORDERS,
    PAYMENTS,
    WRITEOFFS,
    Entity,
)
from creditbridge.sync.store.errors import StoreError
from creditbridge.sync.store.importer import utc_naive
from creditbridge.sync.store.pull_tables import CREDIT_PROFILES


class Versions:
    """Which versions to read: per source, those valid at snapshot K (an import id).

    K is the last import of the source finished by `known_at` (or at all, for the current
    state). Selecting by K rather than by `valid_to IS NULL` makes the selection immune to
    imports that commit while a read runs, and tells whether a column snapshot applies.
    """

    def __init__(self, conn: sa.Connection, source: str | None, known_at: datetime | None):
        imports = schema.imports
        query = sa.select(imports.c.source, sa.func.max(imports.c.id)).where(imports.c.finished_at.is_not(None))
        if known_at is not None:
            query = query.where(imports.c.finished_at <= utc_naive(known_at))
        if source is not None:
            query = query.where(imports.c.source == source)
        rows = conn.execute(query.group_by(imports.c.source).order_by(imports.c.source)).all()
        self.snapshots: dict[str, int] = {s: int(k) for s, k in rows}

    @property
    def sources(self) -> list[str]:
        return list(self.snapshots)

    def where(self, source: str, placeholder: str) -> tuple[str, tuple[object, ...]]:
        """The WHERE clause (and its parameters) of the source's versions valid at its K."""
        p, k = placeholder, self.snapshots[source]
        return f"source = {p} AND valid_from <= {p} AND (valid_to IS NULL OR valid_to > {p})", (source, k, k)


def _read(
    conn: sa.Connection,
    versions: Versions,
    sources: Sequence[str],
    table: str,
    columns: Sequence[ReadColumn],
    customer_id: str | None = None,
) -> pl.DataFrame:
    """The chosen versions of `table` for `sources` (of one customer when given), concatenated, with a `source`
    column."""
    io = bulk_io(conn)
    frames = [pl.DataFrame(schema={c.name: c.dtype for c in columns}).with_columns(pl.lit("").alias("source"))]
    for source in sources:
        where, params = versions.where(source, io.placeholder)
        if customer_id is not None:
            where, params = f"{where} AND customer_id = {io.placeholder}", (*params, customer_id)
        frame = io.read(conn, columns, f"FROM {table} WHERE {where}", params)
        frames.append(frame.with_columns(pl.lit(source, pl.Utf8).alias("source")))
    return pl.concat(frames)


def _refuse_collisions(frame: pl.DataFrame, key: str, what: str, versions: Versions) -> None:
    """Core records have no source: ids must be unique across the sources loaded together."""
    if len(versions.sources) < 2 or frame.height == 0:
        return
    duplicated = frame.filter(pl.col(key).is_duplicated())
    if duplicated.height:
        raise StoreError(
            f"{what} id {duplicated[key][0]!r} exists in more than one source "
            f"({', '.join(sorted(set(duplicated['source'].to_list())))}); load one source at a time"
        )


def load_columns(engine: sa.Engine, source: str | None, known_at: datetime | None) -> LedgerColumns:
    """The ledger as KPI columns, all tables of one snapshot (see `Versions`).

    A source whose needed snapshot is stored as columns (`snapshots`) loads from there; the
    others are read from the versioned rows.

    Items come in storage (or import) order; customers are sorted by id (customers that items name but the
    replica lacks are appended, named by their id); settlements of items that are not in the
    replica are left out (they cannot reduce anything that is there).
    """
    with engine.connect() as conn:
        versions = Versions(conn, source, known_at)
        stored = {}
        for name, snapshot_id in versions.snapshots.items():
            found = snapshots.read(conn, name, snapshot_id)
            if found is not None:
                stored[name] = found
        to_scan = [name for name in versions.sources if name not in stored]
        customers, items, applications, writeoffs = (
            pl.concat(
                [
                    _read(conn, versions, to_scan, table, _columns_of(part, date)),
                    *(parts[part].with_columns(pl.lit(name).alias("source")) for name, parts in stored.items()),
                ]
            )
            for part, table, date in (
                ("customers", CUSTOMERS.table, None),
                ("items", INVOICES.table, None),
                ("applications", APPLICATIONS.table, "applied_on"),
                ("writeoffs", WRITEOFFS.table, "written_off_on"),
            )
        )
    _refuse_collisions(customers, "customer_id", "customer", versions)
    _refuse_collisions(items, "item_id", "item", versions)

    customers = customers.sort("customer_id").select("customer_id", "name")
    unknown = items.select(pl.col("customer_id").unique()).join(customers, on="customer_id", how="anti")
    if unknown.height:
        customers = pl.concat(
            [customers, unknown.sort("customer_id").with_columns(pl.col("customer_id").alias("name"))]
        )
    customer_index = customers.select("customer_id", pl.int_range(pl.len(), dtype=pl.Int32).alias("i"))
    item_customer = items.select("customer_id").join(
        customer_index, on="customer_id", how="left", maintain_order="left"
    )["i"]
    currencies = tuple(sorted(items["currency"].unique().to_list()))
    doc_codes = {t.value: code for t, code in DOC_TYPE_CODES.items()}

    item_index = items.select("item_id", pl.int_range(pl.len(), dtype=pl.Int32).alias("i"))
    settlements = pl.concat(
        [applications.with_columns(pl.lit(False).alias("wo")), writeoffs.with_columns(pl.lit(True).alias("wo"))]
    ).join(item_index, on="item_id", how="inner", maintain_order="left")

    return LedgerColumns(
        currencies=currencies,
        customer_ids=tuple(customers["customer_id"].to_list()),
        customer_names=tuple(customers["name"].to_list()),
        item_ids=items["item_id"].to_list(),
        item_customer=item_customer.to_numpy(),
        item_type=items["doc_type"].replace_strict(doc_codes, return_dtype=pl.Int8).to_numpy(),
        item_date=items["invoice_date"].to_numpy(),
        item_due=items["due_date"].to_numpy(),
        item_currency=items["currency"]
        .replace_strict(currencies, list(range(len(currencies))), return_dtype=pl.Int16)
        .to_numpy(),
        item_amount=items["amount"].to_numpy(),
        item_open=items["open_amount"].to_numpy(),
        settle_item=settlements["i"].to_numpy(),
        settle_date=settlements["date"].to_numpy().astype("datetime64[D]"),
        settle_amount=settlements["amount"].to_numpy(),
        settle_is_writeoff=settlements["wo"].to_numpy().astype(np.bool_),
    )


def _columns_of(part: str, date: str | None = None) -> list[ReadColumn]:
    """The replica columns of a snapshot part (`date` names the table's column read as "date")."""
    return [column(name, dtype, expr=date if name == "date" else None) for name, dtype in snapshots.PARTS[part].items()]


def _all_columns(entity: Entity) -> list[ReadColumn]:
    return [column(f.name, f.dtype, nullable=f.nullable) for f in entity.fields]


def load_ledger(engine: sa.Engine, source: str | None, known_at: datetime | None) -> Ledger:
    """The ledger as core records (every field), for small ledgers and for tests."""
    with engine.connect() as conn:
        versions = Versions(conn, source, known_at)
        frames = {e.attribute: _read(conn, versions, versions.sources, e.table, _all_columns(e)) for e in ENTITIES}
        pulled_profiles = _read(conn, versions, versions.sources, CREDIT_PROFILES.table, _all_columns(CREDIT_PROFILES))
    _refuse_collisions(frames["customers"], "customer_id", "customer", versions)
    _refuse_collisions(frames["invoices"], "item_id", "item", versions)

    customers = frames[CUSTOMERS.attribute].sort("customer_id").rows(named=True)
    items = frames[INVOICES.attribute].sort("item_id").rows(named=True)
    by_payment: dict[str, list[Application]] = defaultdict(list)
    for a in frames[APPLICATIONS.attribute].sort("payment_id", "item_id", "seq").rows(named=True):
        by_payment[a["payment_id"]].append(
            Application(a["payment_id"], a["item_id"], _money(a["amount"], a["currency"]), a["applied_on"])
        )
    return Ledger(
        customers=tuple(_customer(c) for c in customers),
        profiles=_profiles(customers, pulled_profiles),
        items=tuple(_item(i) for i in items),
        payments=tuple(
            Payment(
                p["payment_id"],
                p["customer_id"],
                p["payment_date"],
                _money(p["amount"], p["currency"]),
                p["reference"],
                tuple(by_payment.get(p["payment_id"], ())),
            )
            for p in frames[PAYMENTS.attribute].sort("payment_id").rows(named=True)
        ),
        writeoffs=tuple(
            WriteOff(w["item_id"], w["written_off_on"], _money(w["amount"], w["currency"]), w["reason"])
            for w in frames[WRITEOFFS.attribute].sort("item_id", "seq").rows(named=True)
        ),
        orders=tuple(_order(o) for o in frames[ORDERS.attribute].sort("order_number").rows(named=True)),
    )


def load_customer_ledger(engine: sa.Engine, customer_id: str, source: str | None,
                         known_at: datetime | None = None) -> Ledger:  # fmt: skip
    """One customer's part of the ledger: the customer, its credit profile, items, payments (without their
    applications) and orders, read by customer id (for a page about one customer of a large ledger)."""
    wanted = (CUSTOMERS, INVOICES, PAYMENTS, ORDERS)
    with engine.connect() as conn:
        versions = Versions(conn, source, known_at)
        frames = {e.attribute: _read(conn, versions, versions.sources, e.table, _all_columns(e), customer_id)
                  for e in wanted}  # fmt: skip
        pulled_profiles = _read(conn, versions, versions.sources, CREDIT_PROFILES.table, _all_columns(CREDIT_PROFILES),
                                customer_id)  # fmt: skip
    _refuse_collisions(frames["customers"], "customer_id", "customer", versions)
    customers = frames[CUSTOMERS.attribute].sort("customer_id").rows(named=True)
    return Ledger(
        customers=tuple(_customer(c) for c in customers),
        profiles=_profiles(customers, pulled_profiles),
        items=tuple(_item(i) for i in frames[INVOICES.attribute].sort("item_id").rows(named=True)),
        payments=tuple(
            Payment(p["payment_id"], p["customer_id"], p["payment_date"], _money(p["amount"], p["currency"]),
                    p["reference"])
            for p in frames[PAYMENTS.attribute].sort("payment_id").rows(named=True)
        ),
        orders=tuple(_order(o) for o in frames[ORDERS.attribute].sort("order_number").rows(named=True)),
    )


def _profiles(customers: list[dict[str, Any]], pulled: pl.DataFrame) -> tuple[CreditProfile, ...]:
    """Credit profiles: a pulled source's `credit_profiles` rows, else the customers' own columns.

    A ledger-folder import keeps limit, hold and risk class in `customers`; a pull of an ERP that
    has credit profiles keeps them (with the ERP's version) in `credit_profiles`. A source with
    rows there takes its profiles from there only.
    """
    pulled_sources = set(pulled["source"].to_list())
    by_customer: dict[str, CreditProfile] = {}
    for c in customers:
        if c["source"] in pulled_sources:
            continue
        by_customer[c["customer_id"]] = CreditProfile(
            customer_id=c["customer_id"],
            credit_limit=None if c["credit_limit"] is None else _money(c["credit_limit"], c["currency"]),
            on_hold=bool(c["on_hold"]),
            risk_class=c["risk_class"],
        )
    for p in pulled.rows(named=True):
        limit, score = p["credit_limit"], p["score"]
        by_customer[p["customer_id"]] = CreditProfile(
            customer_id=p["customer_id"],
            credit_limit=None if limit is None else _money(limit, p["currency"]),
            on_hold=bool(p["on_hold"]),
            risk_class=p["risk_class"],
            score=None if score is None else from_units(score),
            review_date=p["review_date"],
            source_version=p["source_version"],
        )
    return tuple(by_customer[key] for key in sorted(by_customer))


def _money(units: int, currency: str) -> Money:
    return Money(from_units(units), currency)


def _customer(row: dict[str, Any]) -> Customer:
    accounts = row["bank_accounts"]
    return Customer(
        customer_id=row["customer_id"],
        name=row["name"],
        currency=row["currency"],
        parent_id=row["parent_id"],
        payment_terms_days=row["payment_terms_days"],
        tax_id=row["tax_id"],
        bank_accounts=tuple(a for a in accounts.split(";") if a) if accounts else (),
    )


def _item(row: dict[str, Any]) -> OpenItem:
    discount = row["discount_percent"]
    return OpenItem(
        item_id=row["item_id"],
        doc_type=DocType(row["doc_type"]),
        customer_id=row["customer_id"],
        invoice_date=row["invoice_date"],
        due_date=row["due_date"],
        amount=_money(row["amount"], row["currency"]),
        open_amount=_money(row["open_amount"], row["currency"]),
        po_number=row["po_number"],
        discount_percent=None if discount is None else from_units(discount),
        discount_days=row["discount_days"],
    )


def _order(row: dict[str, Any]) -> Order:
    try:
        status = OrderStatus(str(row["status"]).lower())
    except ValueError as exc:
        raise StoreError(f"order {row['order_number']!r} has an unknown status {row['status']!r}") from exc
    return Order(
        row["order_number"], row["customer_id"], row["order_date"], _money(row["amount"], row["currency"]), status
    )
