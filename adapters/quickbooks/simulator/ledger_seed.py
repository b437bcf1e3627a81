"""Load a core `Ledger` into the fake company, replacing what it held, as QuickBooks would keep it.

Why the ledger's ids are kept as QuickBooks `Id`s: a test can then name records as the ledger does
(a real company numbers them itself; the fake accepts given ids). Mapping:
- Customer: DisplayName = name, CurrencyRef, ParentRef/Job for parent_id, SalesTermRef to a Term with
  the customer's payment days; the credit profile in the Notes tag the adapter reads (notes_tag.py).
- INV/DM -> Invoice, CM -> CreditMemo with positive amounts; Balance = the ledger's open amount.
- Payment lines linked (LinkedTxn) to the invoices and credit memos they apply to.
- Order -> Estimate: open = "Pending", closed = "Closed", cancelled = "Rejected".
- Write-offs: QuickBooks has no such record; what they took off an item stays a balance adjustment
  (so derived balances keep the ledger's open amounts), and the write-off itself is not kept.
Everything is stamped at one simulator time.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from creditbridge.adapters.quickbooks.notes_tag import CreditTag, merge_tag
from creditbridge.adapters.quickbooks.simulator.clock import qbo_timestamp
from creditbridge.adapters.quickbooks.simulator.state import ENTITIES, CompanyState
from creditbridge.core.model import Customer, DocType, Ledger, OrderStatus

ESTIMATE_STATUS = {OrderStatus.OPEN: "Pending", OrderStatus.CLOSED: "Closed", OrderStatus.CANCELLED: "Rejected"}


def _term_name(days: int) -> str:
    return "Due on receipt" if days == 0 else f"Net {days}"


def _lines(amount: Decimal) -> list[dict[str, Any]]:
    return [
        {
            "Id": "1",
            "LineNum": 1,
            "Amount": amount,
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Services"}, "TaxCodeRef": {"value": "NON"}},
        },
        {"DetailType": "SubTotalLineDetail", "Amount": amount, "SubTotalLineDetail": {}},
    ]


def _parents_first(customers: tuple[Customer, ...]) -> list[Customer]:
    by_id = {c.customer_id: c for c in customers}
    ordered: list[Customer] = []
    placed: set[str] = set()

    def place(customer: Customer, trail: frozenset[str]) -> None:
        if customer.customer_id in placed:
            return
        parent = by_id.get(customer.parent_id or "")
        if parent is not None and parent.customer_id not in trail:
            place(parent, trail | {customer.customer_id})
        placed.add(customer.customer_id)
        ordered.append(customer)

    for customer in customers:
        place(customer, frozenset())
    return ordered


def seed_ledger(state: CompanyState, ledger: Ledger) -> None:
    """Replace the company's books with `ledger` (see the module docstring for the mapping)."""
    for name in ENTITIES:
        state.objects[name].clear()
        state.tombstones[name].clear()
    state.adjustments.clear()
    state.revision += 1
    moment = state.clock.write_time()
    stamp = qbo_timestamp(moment)

    def put(entity: str, entity_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        obj = {
            "domain": "QBO",
            "sparse": False,
            "Id": entity_id,
            "SyncToken": "0",
            **fields,
            "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
        }
        state.insert_seeded(entity, obj)
        return obj

    terms: dict[int, str] = {}
    for days in sorted({c.payment_terms_days for c in ledger.customers if c.payment_terms_days is not None}):
        term_id = state.new_id("Term")
        put("Term", term_id, {"Name": _term_name(days), "Active": True, "Type": "STANDARD", "DueDays": days})
        terms[days] = term_id
    put("Item", state.new_id("Item"), {"Name": "Services", "Active": True, "Type": "Service", "UnitPrice": Decimal(0)})

    profiles = {p.customer_id: p for p in ledger.profiles}
    customers: dict[str, dict[str, Any]] = {}
    for cust in _parents_first(ledger.customers):
        fields: dict[str, Any] = {
            "DisplayName": cust.name,
            "CompanyName": cust.name,
            "PrintOnCheckName": cust.name,
            "FullyQualifiedName": cust.name,
            "Active": True,
            "Job": False,
            "BillWithParent": False,
            "Taxable": False,
            "CurrencyRef": {"value": cust.currency},
        }
        parent = customers.get(cust.parent_id or "")
        if parent is not None:
            fields.update(
                {
                    "Job": True,
                    "ParentRef": {"value": parent["Id"]},
                    "Level": int(parent.get("Level", 0)) + 1,
                    "FullyQualifiedName": f"{parent['FullyQualifiedName']}:{cust.name}",
                }
            )
        if cust.payment_terms_days is not None:
            fields["SalesTermRef"] = {"value": terms[cust.payment_terms_days]}
        profile = profiles.get(cust.customer_id)
        if profile is not None and (profile.credit_limit is not None or profile.on_hold):
            limit = profile.credit_limit
            tag = CreditTag(
                None if limit is None else limit.amount,
                None if limit is None else limit.currency,
                profile.on_hold,
                moment.date(),
            )
            fields["Notes"] = merge_tag(None, tag)
        customers[cust.customer_id] = put("Customer", cust.customer_id, fields)

    def customer_ref(customer_id: str) -> dict[str, str]:
        customer = customers[customer_id]
        return {"value": customer["Id"], "name": customer["DisplayName"]}

    kinds: dict[str, str] = {}
    totals: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for item in ledger.items:
        credit = item.doc_type is DocType.CREDIT_MEMO
        kind = "CreditMemo" if credit else "Invoice"
        kinds[item.item_id] = kind
        total, balance = abs(item.amount.amount), abs(item.open_amount.amount)
        totals[(kind, item.item_id)] = (total, balance)
        fields = {
            "DocNumber": item.item_id,
            "TxnDate": item.invoice_date.isoformat(),
            "CustomerRef": customer_ref(item.customer_id),
            "CurrencyRef": {"value": item.amount.currency},
            "Line": _lines(total),
            "TotalAmt": total,
            "Balance": balance,
            "TxnTaxDetail": {"TotalTax": Decimal(0)},
        }
        if credit:
            fields["RemainingCredit"] = balance
        else:
            fields.update({"DueDate": item.due_date.isoformat(), "LinkedTxn": [], "Deposit": Decimal(0)})
            if item.po_number:
                fields["PONumber"] = item.po_number
        put(kind, item.item_id, fields)

    applied: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for pay in ledger.payments:
        lines = []
        for app in pay.applications:
            kind = kinds.get(app.item_id, "Invoice")
            applied[(kind, app.item_id)] += abs(app.amount.amount)
            lines.append({"Amount": abs(app.amount.amount), "LinkedTxn": [{"TxnId": app.item_id, "TxnType": kind}]})
        fields = {
            "TxnDate": pay.payment_date.isoformat(),
            "CustomerRef": customer_ref(pay.customer_id),
            "CurrencyRef": {"value": pay.amount.currency},
            "TotalAmt": pay.amount.amount,
            "DepositToAccountRef": {"value": "4"},
            "ProcessPayment": False,
            "Line": lines,
        }
        if pay.reference:
            fields["PaymentRefNum"] = pay.reference
        put("Payment", pay.payment_id, fields)

    for order in ledger.orders:
        put(
            "Estimate",
            order.order_number,
            {
                "DocNumber": order.order_number,
                "TxnDate": order.order_date.isoformat(),
                "CustomerRef": customer_ref(order.customer_id),
                "CurrencyRef": {"value": order.amount.currency},
                "Line": _lines(order.amount.amount),
                "TotalAmt": order.amount.amount,
                "TxnStatus": ESTIMATE_STATUS[order.status],
            },
        )

    for key, (total, balance) in totals.items():  # what payments do not explain (write-offs)
        gap = total - applied[key] - balance
        if gap:
            state.adjustments[key] = gap
    state.derive_all()
