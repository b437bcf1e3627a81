"""QuickBooks JSON objects to core records; money stays Decimal (parsed with parse_float=Decimal).

Why by hand and not python-quickbooks' objects: its objects start from defaults (`Notes=""`,
`Active=True`, `Balance=0`) for fields the server left out, so a missing value and a real zero
would look alike; the raw JSON says what QuickBooks actually sent.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from creditbridge.core.model import Application, Customer, DocType, OpenItem, Order, OrderStatus, Payment
from creditbridge.core.money import Money

Json = dict[str, Any]


def amount(value: Any) -> Decimal:
    """A QuickBooks number as Decimal; a float here means someone parsed without parse_float=Decimal."""
    if isinstance(value, float):
        raise TypeError("QuickBooks amounts must be parsed as Decimal, not float")
    return Decimal(str(value)) if value is not None else Decimal(0)


def stamp(obj: Json) -> datetime:
    """When QuickBooks last changed the object (MetaData.LastUpdatedTime, with its offset)."""
    meta = obj.get("MetaData") or {}
    return datetime.fromisoformat(str(meta.get("LastUpdatedTime") or meta["CreateTime"]))


def ref(obj: Json, field: str) -> str | None:
    value = (obj.get(field) or {}).get("value")
    return None if value is None else str(value)


def currency_of(obj: Json, default: str) -> str:
    return ref(obj, "CurrencyRef") or default


def customer(obj: Json, *, default_currency: str, terms: dict[str, int] | None = None) -> Customer:
    term = ref(obj, "SalesTermRef")
    return Customer(
        customer_id=str(obj["Id"]),
        name=str(obj.get("DisplayName") or obj.get("CompanyName") or obj["Id"]),
        currency=currency_of(obj, default_currency),
        parent_id=ref(obj, "ParentRef"),
        payment_terms_days=None if term is None or terms is None else terms.get(term),
    )


def open_item(obj: Json, kind: str, *, default_currency: str) -> OpenItem:
    """An Invoice (INV) or CreditMemo (CM, amounts negative)."""
    currency = currency_of(obj, default_currency)
    credit = kind == "CreditMemo"
    sign = Decimal(-1) if credit else Decimal(1)
    total = amount(obj.get("TotalAmt"))
    balance = amount(obj.get("RemainingCredit", obj.get("Balance")) if credit else obj.get("Balance"))
    txn_date = date.fromisoformat(str(obj["TxnDate"]))
    return OpenItem(
        item_id=item_key(kind, str(obj["Id"])),
        doc_type=DocType.CREDIT_MEMO if credit else DocType.INVOICE,
        customer_id=str(ref(obj, "CustomerRef")),
        invoice_date=txn_date,
        due_date=date.fromisoformat(str(obj["DueDate"])) if obj.get("DueDate") else txn_date,
        amount=Money(sign * total, currency),
        open_amount=Money(sign * balance, currency),
        po_number=obj.get("PONumber"),
    )


def item_key(kind: str, txn_id: str) -> str:
    """Invoices keep their id; credit memos are prefixed, as QuickBooks numbers each type on its own."""
    return txn_id if kind == "Invoice" else f"CM-{txn_id}"


def payment(obj: Json, *, default_currency: str) -> Payment:
    """A Payment with one Application per LinkedTxn to an Invoice or CreditMemo."""
    currency = currency_of(obj, default_currency)
    paid_on = date.fromisoformat(str(obj["TxnDate"]))
    pid = str(obj["Id"])
    applications = []
    for line in obj.get("Line") or []:
        for link in line.get("LinkedTxn") or []:
            kind = str(link.get("TxnType"))
            if kind not in ("Invoice", "CreditMemo"):
                continue
            line_amount = amount(line.get("Amount"))
            signed = -line_amount if kind == "CreditMemo" else line_amount
            applications.append(Application(pid, item_key(kind, str(link["TxnId"])), Money(signed, currency), paid_on))
    return Payment(
        payment_id=pid,
        customer_id=str(ref(obj, "CustomerRef")),
        payment_date=paid_on,
        amount=Money(amount(obj.get("TotalAmt")), currency),
        reference=obj.get("PaymentRefNum"),
        applications=tuple(applications),
    )


def stamp_text(obj: Json) -> str:
    """LastUpdatedTime exactly as QuickBooks wrote it (for query literals)."""
    meta = obj.get("MetaData") or {}
    return str(meta.get("LastUpdatedTime") or meta["CreateTime"])


ESTIMATE_STATUS = {
    "Pending": OrderStatus.OPEN,
    "Accepted": OrderStatus.OPEN,
    "Closed": OrderStatus.CLOSED,
    "Converted": OrderStatus.CLOSED,
    "Rejected": OrderStatus.CANCELLED,
}


def order(obj: Json, *, default_currency: str) -> Order:
    """An Estimate as an order: open while Pending, or Accepted and not yet turned into an invoice."""
    status = ESTIMATE_STATUS.get(str(obj.get("TxnStatus") or "Pending"), OrderStatus.OPEN)
    converted = any(str(link.get("TxnType")) == "Invoice" for link in obj.get("LinkedTxn") or [])
    if status is OrderStatus.OPEN and converted:
        status = OrderStatus.CLOSED
    return Order(
        order_number=str(obj["Id"]),
        customer_id=str(ref(obj, "CustomerRef")),
        order_date=date.fromisoformat(str(obj["TxnDate"])),
        amount=Money(amount(obj.get("TotalAmt")), currency_of(obj, default_currency)),
        status=status,
    )
