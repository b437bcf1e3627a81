"""A page of ERP changes as replica rows: core records → the typed columns of the store's tables.

Why here and not in the importer: a pull hands over core records (from any adapter), while an
import hands over the files adapter's frames. Both end in the same typed columns, so a record
hashes the same whichever way it arrived. Money becomes exact integer units (`to_units`; an
amount finer than 1/10,000 is refused, never rounded); a record's currency is its amount's.

Which rows a page speaks for (its *scope*, see `TableChange`): the keys of its records and its
deletions; for payments also every application of those payments (a payment arrives with all its
applications, so one it no longer has is gone); for write-offs, which have no id of their own,
the (item_id, seq) each ERP key is mapped to (`write-off keys` in `state`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from creditbridge.core.model import CreditProfile, Customer, OpenItem, Order, Payment, WriteOff
from creditbridge.core.money import MoneyError, to_units
from creditbridge.core.ports import Change, Entity, Record, own_key
from creditbridge.sync.pull.errors import PullConfigError
from creditbridge.sync.store.entities import (
    APPLICATIONS,
    CUSTOMERS,
    INVOICES,
    ORDERS,
    PAYMENTS,
    WRITEOFFS,
    with_sequence,
)
from creditbridge.sync.store.entities import Entity as TableSpec
from creditbridge.sync.store.importer import TableChange
from creditbridge.sync.store.pull_tables import CREDIT_PROFILES

TABLE_OF: dict[Entity, TableSpec] = {
    Entity.CUSTOMERS: CUSTOMERS,
    Entity.CREDIT_PROFILES: CREDIT_PROFILES,
    Entity.OPEN_ITEMS: INVOICES,
    Entity.PAYMENTS: PAYMENTS,
    Entity.ORDERS: ORDERS,
    Entity.WRITEOFFS: WRITEOFFS,
}
"""The replica table each pulled entity is kept in (payments also fill `applications`)."""

RECORD_TYPE: dict[Entity, type[Any]] = {
    Entity.CUSTOMERS: Customer,
    Entity.CREDIT_PROFILES: CreditProfile,
    Entity.OPEN_ITEMS: OpenItem,
    Entity.PAYMENTS: Payment,
    Entity.ORDERS: Order,
    Entity.WRITEOFFS: WriteOff,
}

WriteoffKey = tuple[str, int]
"""Where a write-off lives in the replica: (item_id, seq)."""


@dataclass(frozen=True)
class PageRecords:
    """A page reduced to the last word on each key, in ERP order: live records and deletions."""

    entity: Entity
    live: Mapping[str, Record]
    deleted: frozenset[str]

    @property
    def keys(self) -> list[str]:
        return [*self.live, *sorted(self.deleted)]


def last_word(entity: Entity, changes: Collection[Change]) -> PageRecords:
    """The page's changes deduplicated by ERP key (a later change of a key wins), validated."""
    live: dict[str, Record] = {}
    deleted: set[str] = set()
    expected = RECORD_TYPE[entity]
    for change in changes:
        if change.entity is not entity:
            raise PullConfigError(f"asked for {entity} changes, the ERP sent a {change.entity} change ({change.key!r})")
        if change.record is None:
            live.pop(change.key, None)
            deleted.add(change.key)
            continue
        if not isinstance(change.record, expected):
            raise PullConfigError(
                f"{entity} change {change.key!r} carries a {type(change.record).__name__}, not a {expected.__name__}"
            )
        carried = own_key(change.record)
        if carried is not None and carried != change.key:
            raise PullConfigError(f"{entity} change keyed {change.key!r} carries the record of {carried!r}")
        deleted.discard(change.key)
        live.pop(change.key, None)  # re-insert: dict order follows the last change of each key
        live[change.key] = change.record
    return PageRecords(entity, live, frozenset(deleted))



def table_changes(page: PageRecords, writeoff_keys: Mapping[str, WriteoffKey] | None = None) -> list[TableChange]:
    """The replica changes of a page.

    Write-offs need `writeoff_keys` (from `state.place_writeoffs`): the place of every live key,
    of every deleted key that was pulled before, and of nothing else.
    """
    try:
        return _table_changes(page, writeoff_keys or {})
    except MoneyError as exc:
        raise PullConfigError(f"{page.entity}: an amount cannot be stored exactly: {exc}") from exc


def _table_changes(page: PageRecords, writeoff_keys: Mapping[str, WriteoffKey]) -> list[TableChange]:
    entity, spec = page.entity, TABLE_OF[page.entity]
    if entity is Entity.WRITEOFFS:
        placed = [(writeoff_keys[k], r) for k, r in page.live.items() if isinstance(r, WriteOff)]
        rows = [_writeoff_row(item_id, seq, w) for (item_id, seq), w in placed]
        scope = list(writeoff_keys.values())  # the page's keys, and old places of moved write-offs
        scope_frame = pl.DataFrame(
            {"item_id": [s[0] for s in scope], "seq": [s[1] for s in scope]},
            schema={"item_id": pl.Utf8(), "seq": pl.Int32()},
        )
        return [TableChange(spec, _frame(spec, rows), scope_frame)]
    convert = _ROW_OF[entity]
    rows = [convert(record) for record in page.live.values()]
    key_name = spec.key_names[0]
    scope_frame = pl.DataFrame({key_name: page.keys}, schema={key_name: pl.Utf8()})
    changes = [TableChange(spec, _frame(spec, rows), scope_frame)]
    if entity is Entity.PAYMENTS:
        applications = [
            {
                "payment_id": a.payment_id,
                "item_id": a.item_id,
                "applied_on": a.applied_on,
                "currency": a.amount.currency,
                "amount": to_units(a.amount.amount),
            }
            for record in page.live.values()
            if isinstance(record, Payment)
            for a in record.applications
        ]
        frame = pl.DataFrame(
            applications,
            schema={f.name: f.dtype for f in APPLICATIONS.fields if f.name != "seq"},
            orient="row",
        )
        numbered = with_sequence(frame, ["payment_id", "item_id"], ["applied_on", "amount"])
        changes.append(
            TableChange(APPLICATIONS, _typed(APPLICATIONS, numbered), scope_frame.rename({key_name: "payment_id"}))
        )
    return changes


def _frame(spec: TableSpec, rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={f.name: f.dtype for f in spec.fields}, orient="row")


def _typed(spec: TableSpec, frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select([pl.col(f.name).cast(f.dtype) for f in spec.fields])


def _units(amount: Any) -> int | None:
    return None if amount is None else to_units(amount)


def _customer_row(c: Customer) -> dict[str, Any]:
    return {
        "customer_id": c.customer_id,
        "name": c.name,
        "parent_id": c.parent_id,
        "currency": c.currency,
        "payment_terms_days": c.payment_terms_days,
        "credit_limit": None,  # a pulled ERP's limit, hold and risk class live in credit_profiles
        "on_hold": False,
        "risk_class": None,
        "tax_id": c.tax_id,
        "bank_accounts": ";".join(c.bank_accounts) if c.bank_accounts else None,
    }


def _profile_row(p: CreditProfile) -> dict[str, Any]:
    return {
        "customer_id": p.customer_id,
        "currency": None if p.credit_limit is None else p.credit_limit.currency,
        "credit_limit": None if p.credit_limit is None else to_units(p.credit_limit.amount),
        "on_hold": p.on_hold,
        "risk_class": p.risk_class,
        "score": _units(p.score),
        "review_date": p.review_date,
        "source_version": p.source_version,
    }


def _item_row(i: OpenItem) -> dict[str, Any]:
    if i.open_amount.currency != i.amount.currency:
        raise PullConfigError(f"open item {i.item_id!r}: amount and open amount are in different currencies")
    return {
        "item_id": i.item_id,
        "doc_type": i.doc_type.value,
        "customer_id": i.customer_id,
        "invoice_date": i.invoice_date,
        "due_date": i.due_date,
        "currency": i.amount.currency,
        "amount": to_units(i.amount.amount),
        "open_amount": to_units(i.open_amount.amount),
        "po_number": i.po_number,
        "discount_percent": _units(i.discount_percent),
        "discount_days": i.discount_days,
    }


def _payment_row(p: Payment) -> dict[str, Any]:
    return {
        "payment_id": p.payment_id,
        "customer_id": p.customer_id,
        "payment_date": p.payment_date,
        "currency": p.amount.currency,
        "amount": to_units(p.amount.amount),
        "reference": p.reference,
    }


def _order_row(o: Order) -> dict[str, Any]:
    return {
        "order_number": o.order_number,
        "customer_id": o.customer_id,
        "order_date": o.order_date,
        "currency": o.amount.currency,
        "amount": to_units(o.amount.amount),
        "status": o.status.value,
    }


def _writeoff_row(item_id: str, seq: int, w: WriteOff) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "seq": seq,
        "written_off_on": w.written_off_on,
        "currency": w.amount.currency,
        "amount": to_units(w.amount.amount),
        "reason": w.reason,
    }


_ROW_OF: dict[Entity, Any] = {
    Entity.CUSTOMERS: _customer_row,
    Entity.CREDIT_PROFILES: _profile_row,
    Entity.OPEN_ITEMS: _item_row,
    Entity.PAYMENTS: _payment_row,
    Entity.ORDERS: _order_row,
}
