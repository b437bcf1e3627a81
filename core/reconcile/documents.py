"""Store against ERP: the documents one side has and the other has not, or has with other figures.

Used in store mode when the adapter can read the ERP's current documents: the replica is what
the last pull brought in, the ERP is now. A document changed in the ERP after the last pull is
a `timing` difference (the next pull brings it in), not an error.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from creditbridge.core.model import OpenItem, Payment
from creditbridge.core.reconcile.differences import Difference, DifferenceClass


def compare_documents(
    store_items: Iterable[OpenItem],
    erp_items: Iterable[OpenItem],
    store_payments: Iterable[Payment] = (),
    erp_payments: Iterable[Payment] = (),
    changed_since_pull: Iterable[str] = (),
    last_pull: datetime | None = None,
) -> list[Difference]:
    """Missing (in the ERP, not in the store), extra (in the store, not in the ERP) and mismatched documents.

    `changed_since_pull` are ids the ERP reports as changed after `last_pull`: their differences
    are `timing`. Every amount is the document's effect on (ERP balance − store balance): a missing
    document its ERP open amount, an extra one minus the store's, a mismatch ERP − store open
    amount; payments count the other way (a payment the store lacks lowers the ERP's balance).
    """
    recent = set(changed_since_pull)
    when = f" after the last pull ({last_pull:%Y-%m-%d %H:%M})" if last_pull else " after the last pull"
    mine = {i.item_id: i for i in store_items}
    theirs = {i.item_id: i for i in erp_items}
    found: list[Difference] = []

    def add(kind: DifferenceClass, doc: str, customer: str, amount: Decimal, currency: str, detail: str) -> None:
        if doc in recent:
            kind, detail = DifferenceClass.TIMING, f"{detail}; the ERP changed it{when}, the next pull brings it in"
        found.append(Difference(kind, customer, (doc,), amount, currency, detail))

    for item_id, erp in theirs.items():
        store = mine.get(item_id)
        if store is None:
            add(DifferenceClass.MISSING_DOCUMENT, item_id, erp.customer_id, erp.open_amount.amount, erp.amount.currency,
                f"{item_id} (open {erp.open_amount.amount:,.2f}) is in the ERP but not in the store")
        elif store.open_amount != erp.open_amount or store.amount != erp.amount:
            add(DifferenceClass.DOCUMENT_AMOUNT_MISMATCH, item_id, erp.customer_id,
                erp.open_amount.amount - store.open_amount.amount, erp.amount.currency,
                f"{item_id}: the ERP has amount {erp.amount.amount:,.2f} open {erp.open_amount.amount:,.2f}, the "
                f"store amount {store.amount.amount:,.2f} open {store.open_amount.amount:,.2f}")
    for item_id, store in mine.items():
        if item_id not in theirs:
            add(DifferenceClass.EXTRA_DOCUMENT, item_id, store.customer_id, -store.open_amount.amount,
                store.amount.currency, f"{item_id} (open {store.open_amount.amount:,.2f}) is in the store but no "
                "longer in the ERP")
    erp_pay = {p.payment_id: p for p in erp_payments}
    store_pay = {p.payment_id: p for p in store_payments}
    for payment_id, erp_payment in erp_pay.items():
        if payment_id not in store_pay:
            add(DifferenceClass.MISSING_DOCUMENT, payment_id, erp_payment.customer_id, -erp_payment.amount.amount,
                erp_payment.amount.currency, f"payment {payment_id} is in the ERP but not in the store")
        elif store_pay[payment_id].amount != erp_payment.amount:
            add(DifferenceClass.DOCUMENT_AMOUNT_MISMATCH, payment_id, erp_payment.customer_id,
                store_pay[payment_id].amount.amount - erp_payment.amount.amount, erp_payment.amount.currency,
                f"payment {payment_id}: the ERP has {erp_payment.amount.amount:,.2f}, the store "
                f"{store_pay[payment_id].amount.amount:,.2f}")
    for payment_id, store_payment in store_pay.items():
        if payment_id not in erp_pay:
            add(DifferenceClass.EXTRA_DOCUMENT, payment_id, store_payment.customer_id, store_payment.amount.amount,
                store_payment.amount.currency, f"payment {payment_id} is in the store but no longer in the ERP")
    return found
