"""The ledger in columnar form: numpy arrays the KPI engine scans in a few passes.

Why: a mid-size company has millions of items and applications; building one Python object per
row costs seconds, a numpy column costs milliseconds. Amounts are int64 in units of
1/UNITS_PER_MAJOR (exact; no float anywhere), dates are numpy datetime64[D].

A *settlement* is anything that reduces an item's open amount on a date: a payment
application or a bad-debt write-off. The open amount of item i at date t is
`item_amount[i] - sum(settle_amount[s] for s with settle_item[s] == i and settle_date[s] <= t)`.

Records (`core.model.Ledger`) and columns are two shapes of the same data; `columns_from_ledger`
turns the first into the second, so small ledgers built in tests go through the same engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from creditbridge.core.model import DocType, Ledger

DOC_TYPE_CODES: dict[DocType, int] = {DocType.INVOICE: 0, DocType.DEBIT_MEMO: 1, DocType.CREDIT_MEMO: 2}
DOC_TYPES_BY_CODE: tuple[DocType, ...] = (DocType.INVOICE, DocType.DEBIT_MEMO, DocType.CREDIT_MEMO)

Int64s = npt.NDArray[np.int64]
Int32s = npt.NDArray[np.int32]
Int16s = npt.NDArray[np.int16]
Int8s = npt.NDArray[np.int8]
Dates = npt.NDArray[np.datetime64]
Bools = npt.NDArray[np.bool_]


class ColumnsError(ValueError):
    """The columns do not describe a consistent ledger (lengths or indexes disagree)."""


@dataclass(frozen=True, eq=False)
class LedgerColumns:
    """Open items and settlements of one company, column by column (see module docstring)."""

    currencies: tuple[str, ...]
    customer_ids: tuple[str, ...]
    customer_names: tuple[str, ...]
    item_ids: Sequence[str]
    item_customer: Int32s
    item_type: Int8s
    item_date: Dates
    item_due: Dates
    item_currency: Int16s
    item_amount: Int64s
    item_open: Int64s
    settle_item: Int32s
    settle_date: Dates
    settle_amount: Int64s
    settle_is_writeoff: Bools

    def __post_init__(self) -> None:
        n_items = len(self.item_ids)
        for name in ("item_customer", "item_type", "item_date", "item_due", "item_currency",
                     "item_amount", "item_open"):  # fmt: skip
            if len(getattr(self, name)) != n_items:
                raise ColumnsError(f"{name} has {len(getattr(self, name))} rows, item_ids has {n_items}")
        n_settle = len(self.settle_item)
        for name in ("settle_date", "settle_amount", "settle_is_writeoff"):
            if len(getattr(self, name)) != n_settle:
                raise ColumnsError(f"{name} has {len(getattr(self, name))} rows, settle_item has {n_settle}")
        if len(self.customer_names) != len(self.customer_ids):
            raise ColumnsError("customer_names and customer_ids differ in length")

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def n_settlements(self) -> int:
        return len(self.settle_item)


def columns_from_ledger(ledger: Ledger) -> LedgerColumns:
    """The columnar form of a record ledger; applications and write-offs become settlements."""
    customer_ids = tuple(c.customer_id for c in ledger.customers)
    customer_index = {cid: i for i, cid in enumerate(customer_ids)}
    currencies = tuple(sorted({i.amount.currency for i in ledger.items}))
    currency_index = {code: i for i, code in enumerate(currencies)}
    item_index = {item.item_id: i for i, item in enumerate(ledger.items)}

    settle_item: list[int] = []
    settle_date: list[object] = []
    settle_amount: list[int] = []
    settle_wo: list[bool] = []
    for payment in ledger.payments:
        for app in payment.applications:
            settle_item.append(item_index[app.item_id])
            settle_date.append(app.applied_on)
            settle_amount.append(app.amount.to_units())
            settle_wo.append(False)
    for wo in ledger.writeoffs:
        settle_item.append(item_index[wo.item_id])
        settle_date.append(wo.written_off_on)
        settle_amount.append(wo.amount.to_units())
        settle_wo.append(True)

    items = ledger.items
    return LedgerColumns(
        currencies=currencies,
        customer_ids=customer_ids,
        customer_names=tuple(c.name for c in ledger.customers),
        item_ids=[i.item_id for i in items],
        item_customer=np.array([customer_index[i.customer_id] for i in items], dtype=np.int32),
        item_type=np.array([DOC_TYPE_CODES[i.doc_type] for i in items], dtype=np.int8),
        item_date=np.array([i.invoice_date for i in items], dtype="datetime64[D]"),
        item_due=np.array([i.due_date for i in items], dtype="datetime64[D]"),
        item_currency=np.array([currency_index[i.amount.currency] for i in items], dtype=np.int16),
        item_amount=np.array([i.amount.to_units() for i in items], dtype=np.int64),
        item_open=np.array([i.open_amount.to_units() for i in items], dtype=np.int64),
        settle_item=np.array(settle_item, dtype=np.int32),
        settle_date=np.array(settle_date, dtype="datetime64[D]"),
        settle_amount=np.array(settle_amount, dtype=np.int64),
        settle_is_writeoff=np.array(settle_wo, dtype=np.bool_),
    )
