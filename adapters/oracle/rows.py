"""Rows of the adapter's queries → core records: the EBS codes and conventions, in one place.

Conventions kept: EBS ids are NUMBER (python-oracledb gives Decimal, the simulator int), so keys
are their integral text; a customer's key is ACCOUNT_NUMBER (what people see), an item's is
TRX_NUMBER, `TRX_NUMBER/n` for the n-th installment of split terms; a receipt's is RECEIPT_NUMBER.
Amounts stay Decimal as fetched (debit items positive, credit memos negative, as in EBS).
EBS has no account currency: a customer's is that of its profile amounts row in the preferred
currency, else of its first amounts row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from creditbridge.core.model import (
    Application,
    CreditProfile,
    Customer,
    DocType,
    OpenItem,
    Order,
    OrderStatus,
    Payment,
)
from creditbridge.core.money import Money
from creditbridge.core.ports import ErpConfigError
from creditbridge.mappings import ErpMapping, TranslationError

DOC_TYPES = {"INV": DocType.INVOICE, "DM": DocType.DEBIT_MEMO, "CM": DocType.CREDIT_MEMO, "CB": DocType.DEBIT_MEMO}
"""AR_PAYMENT_SCHEDULES_ALL.CLASS, unless the mapping has translations.document_types (CB: a chargeback)."""

ORDER_STATUSES = {
    "ENTERED": OrderStatus.OPEN, "BOOKED": OrderStatus.OPEN, "AWAITING_SHIPPING": OrderStatus.OPEN,
    "PICKED": OrderStatus.OPEN, "SHIPPED": OrderStatus.OPEN, "AWAITING_FULFILLMENT": OrderStatus.OPEN,
    "FULFILLED": OrderStatus.OPEN, "INVOICED": OrderStatus.CLOSED, "CLOSED": OrderStatus.CLOSED,
    "CANCELLED": OrderStatus.CANCELLED,
}  # fmt: skip
"""OE_ORDER_HEADERS_ALL.FLOW_STATUS_CODE, unless the mapping has translations.order_statuses; unknown: open."""


def key_text(value: Any) -> str:
    """An id or number as its key text (Decimal('1001') -> '1001')."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return str(int(value))
    return str(value)


def day(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def item_key(trx_number: Any, installment: Any) -> str:
    n = None if installment is None else int(installment)
    return key_text(trx_number) if n in (None, 1) else f"{key_text(trx_number)}/{n}"


class Codes:
    """EBS codes → core values, through the mapping's translation tables where it has them."""

    def __init__(self, mapping: ErpMapping | None) -> None:
        self.mapping = mapping
        tables = mapping.translations if mapping is not None else None
        self._doc_types = tables is not None and tables.document_types is not None
        self._risk = tables is not None and tables.risk_classes is not None
        self._statuses = tables is not None and tables.order_statuses is not None

    def doc_type(self, code: str) -> DocType:
        if self._doc_types and self.mapping is not None:
            with _mapping_gap():
                return self.mapping.doc_type(code)
        return DOC_TYPES[code]

    def risk_class(self, code: str | None) -> str | None:
        if code is None or not self._risk or self.mapping is None:
            return code
        with _mapping_gap():
            return self.mapping.risk_class(code)

    def order_status(self, code: str | None) -> OrderStatus:
        if self._statuses and self.mapping is not None:
            with _mapping_gap():
                return self.mapping.order_status(code)
        return ORDER_STATUSES.get(code or "", OrderStatus.OPEN)


@contextmanager
def _mapping_gap() -> Iterator[None]:
    """A code EBS has and the mapping's table lacks stops the read with the mapping's own message."""
    try:
        yield
    except TranslationError as exc:
        raise ErpConfigError(str(exc)) from None


@dataclass(frozen=True)
class AmountRow:
    """One HZ_CUST_PROFILE_AMTS row (one per currency)."""

    amount_id: int
    currency: str
    overall_credit_limit: Decimal | None
    trx_credit_limit: Decimal | None
    version: int


@dataclass(frozen=True)
class ProfileRows:
    """An account-level customer profile (HZ_CUSTOMER_PROFILES, SITE_USE_ID null) and its amounts rows."""

    account_number: str
    cust_account_id: int
    profile_id: int
    version: int
    credit_hold: bool
    risk_code: str | None
    next_review: date | None
    amounts: tuple[AmountRow, ...]

    def shown(self, preferred_currency: str | None) -> AmountRow | None:
        """The amounts row the credit profile shows: the preferred currency's, else the first."""
        for row in self.amounts:
            if row.currency == preferred_currency:
                return row
        return self.amounts[0] if self.amounts else None

    def in_currency(self, currency: str) -> AmountRow | None:
        return next((row for row in self.amounts if row.currency == currency), None)


def profile_rows(rows: Sequence[dict[str, Any]]) -> ProfileRows:
    """The rows of one account from CREDIT_PROFILES / CREDIT_PROFILE_OF_ACCOUNT."""
    head = rows[0]
    amounts = tuple(
        AmountRow(
            int(r["CUST_ACCT_PROFILE_AMT_ID"]),
            str(r["CURRENCY_CODE"]),
            None if r["OVERALL_CREDIT_LIMIT"] is None else decimal(r["OVERALL_CREDIT_LIMIT"]),
            None if r["TRX_CREDIT_LIMIT"] is None else decimal(r["TRX_CREDIT_LIMIT"]),
            int(r["AMOUNT_VERSION"] or 1),
        )
        for r in rows
        if r["CUST_ACCT_PROFILE_AMT_ID"] is not None
    )
    review = head["NEXT_CREDIT_REVIEW_DATE"]
    return ProfileRows(
        key_text(head["ACCOUNT_NUMBER"]), int(head["ROW_KEY"]), int(head["CUST_ACCOUNT_PROFILE_ID"]),
        int(head["PROFILE_VERSION"] or 1), head["CREDIT_HOLD"] == "Y", head["RISK_CODE"],
        None if review is None else day(review), amounts,
    )  # fmt: skip


def credit_profile(rows: ProfileRows, codes: Codes, preferred_currency: str | None) -> CreditProfile:
    """The core credit profile; its version is 'profile OVN.amounts OVN' (either moving is a new version)."""
    shown = rows.shown(preferred_currency)
    limit = None
    if shown is not None and shown.overall_credit_limit is not None:
        limit = Money(shown.overall_credit_limit, shown.currency)
    return CreditProfile(
        customer_id=rows.account_number,
        credit_limit=limit,
        on_hold=rows.credit_hold,
        risk_class=codes.risk_class(rows.risk_code),
        review_date=rows.next_review,
        source_version=f"{rows.version}.{0 if shown is None else shown.version}",
    )


def customer(row: dict[str, Any], default_currency: str) -> tuple[Customer, str]:
    currency = row["PREFERRED_CURRENCY"] or row["FIRST_CURRENCY"] or default_currency
    parent = row["PARENT_ACCOUNT_NUMBER"]
    days = row["DUE_DAYS"]
    record = Customer(
        customer_id=key_text(row["ACCOUNT_NUMBER"]),
        name=str(row["PARTY_NAME"]),
        currency=str(currency),
        parent_id=None if parent is None else key_text(parent),
        payment_terms_days=None if days is None else int(days),
        tax_id=row["JGZZ_FISCAL_CODE"],
    )
    return record, f"{key_text(row['ACCOUNT_VERSION'])}.{key_text(row['PARTY_VERSION'])}"


def open_item(row: dict[str, Any], codes: Codes) -> OpenItem:
    currency = str(row["INVOICE_CURRENCY_CODE"])
    return OpenItem(
        item_id=item_key(row["TRX_NUMBER"], row["TERMS_SEQUENCE_NUMBER"]),
        doc_type=codes.doc_type(str(row["CLASS"])),
        customer_id=key_text(row["ACCOUNT_NUMBER"]),
        invoice_date=day(row["TRX_DATE"]),
        due_date=day(row["DUE_DATE"] or row["TRX_DATE"]),
        amount=Money(decimal(row["AMOUNT_DUE_ORIGINAL"]), currency),
        open_amount=Money(decimal(row["AMOUNT_DUE_REMAINING"]), currency),
        po_number=row["PURCHASE_ORDER"],
    )


def payment(rows: Sequence[dict[str, Any]]) -> Payment | None:
    """A receipt with its current applications; None for a reversed receipt (it no longer exists as cash)."""
    head = rows[0]
    if head["STATUS"] == "REV":
        return None
    currency = str(head["CURRENCY_CODE"])
    payment_id = key_text(head["RECEIPT_NUMBER"])
    applications = tuple(
        Application(
            payment_id,
            item_key(r["APPLIED_TRX_NUMBER"], r["APPLIED_INSTALLMENT"]),
            Money(decimal(r["AMOUNT_APPLIED"]), currency),
            day(r["APPLY_DATE"]),
        )
        for r in rows
        if r["RECEIVABLE_APPLICATION_ID"] is not None
    )
    return Payment(
        payment_id=payment_id,
        customer_id=key_text(head["ACCOUNT_NUMBER"]),
        payment_date=day(head["RECEIPT_DATE"]),
        amount=Money(decimal(head["AMOUNT"]), currency),
        reference=head["COMMENTS"],
        applications=applications,
    )


def order(rows: Sequence[dict[str, Any]], codes: Codes) -> Order:
    """An order header with the total of its lines not cancelled (quantity × unit selling price)."""
    head = rows[0]
    total = sum(
        (decimal(r["ORDERED_QUANTITY"]) * decimal(r["UNIT_SELLING_PRICE"]) for r in rows if r["LINE_ID"] is not None),
        Decimal(0),
    )
    return Order(
        order_number=key_text(head["ORDER_NUMBER"]),
        customer_id=key_text(head["ACCOUNT_NUMBER"]),
        order_date=day(head["ORDERED_DATE"]),
        amount=Money(total, str(head["TRANSACTIONAL_CURR_CODE"])),
        status=codes.order_status(head["FLOW_STATUS_CODE"]),
    )
