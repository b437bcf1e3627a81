"""Customer line items of FI documents → open items and payments, the same for ECC and S/4HANA.

SAP keeps receivables as line items (BSID/BSAD; BAPI3007_2 rows; A_OperationalAcctgDocItemCube),
not as invoices with a balance. What a person calls an invoice is one FI document of a
receivable type; its open amount is its uncleared lines less the open partial payments that
reference it (INV_REF / InvoiceReference); a cleared document is fully settled. A payment is a
document of a payment type (DZ): its partial lines apply to the items they reference, and its
clearing settles the items cleared with it. Change day of a document: the latest entry day of
the document itself or of any document that paid or cleared it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from creditbridge.adapters.sap.codes import alpha_out
from creditbridge.adapters.sap.settings import SapSettings
from creditbridge.core.model import Application, DocType, OpenItem, Payment, WriteOff
from creditbridge.core.money import Money
from creditbridge.core.ports import writeoff_key


@dataclass(frozen=True, slots=True)
class FiLine:
    """One customer line item, whichever interface it came from."""

    company_code: str
    customer: str  # external form (no leading zeros)
    fiscal_year: str
    document: str  # external form
    item: str
    doc_type: str  # BLART
    debit: bool  # DB_CR_IND / DebitCreditCode 'S'
    amount: Decimal  # positive, in document currency
    currency: str
    posting_date: date
    document_date: date
    entry_date: date
    baseline_date: date | None
    net_days: int
    discount_days: int
    discount_percent: Decimal
    assignment: str
    reference: str
    clearing_document: str  # '' while open
    clearing_date: date | None
    invoice_ref: str  # INV_REF: the document a partial payment or credit memo refers to
    invoice_ref_year: str

    @property
    def signed(self) -> Decimal:
        return self.amount if self.debit else -self.amount

    @property
    def doc_key(self) -> tuple[str, str, str]:
        return (self.company_code, self.document, self.fiscal_year)


def item_key(company_code: str, document: str, fiscal_year: str) -> str:
    """The item id creditbridge gives an FI document: company code, number and fiscal year."""
    return f"{company_code}/{alpha_out(document)}/{fiscal_year}"


@dataclass(frozen=True, slots=True)
class Dated:
    """A record and the day SAP last changed it."""

    key: str
    day: date
    record: OpenItem | Payment | WriteOff

    @property
    def version(self) -> str:
        return hashlib.sha256(repr(self.record).encode()).hexdigest()[:16]


def documents(lines: Iterable[FiLine], settings: SapSettings) -> tuple[list[Dated], list[Dated], list[Dated]]:
    """The open items (receivable documents, settled ones included), payments and write-offs these lines make up."""
    by_doc: dict[tuple[str, str, str], list[FiLine]] = defaultdict(list)
    for line in {(x.doc_key, x.item): x for x in lines}.values():
        by_doc[line.doc_key].append(line)
    entry_day = {key: max(x.entry_date for x in doc) for key, doc in by_doc.items()}
    references: dict[tuple[str, str, str], list[FiLine]] = defaultdict(list)
    cleared_by: dict[tuple[str, str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for key, doc in by_doc.items():
        for line in doc:
            settling = settings.payment_document_types | settings.writeoff_document_types
            if line.invoice_ref and line.doc_type in settling:
                references[(line.company_code, line.invoice_ref, line.invoice_ref_year or line.fiscal_year)].append(
                    line
                )
            if line.clearing_document:
                cleared_by[key].append(_clearing_key(line, by_doc))

    def changed_day(key: tuple[str, str, str]) -> date:
        days = [entry_day[key]]
        days += [entry_day.get(c) or _clearing_day(by_doc[key], c) for c in cleared_by[key]]
        days += [entry_day[r.doc_key] for r in references[key]]
        return max(days)

    items: list[Dated] = []
    item_settled: dict[tuple[str, str, str], Decimal] = {}
    payments: list[Dated] = []
    for key, doc in sorted(by_doc.items()):
        first = min(doc, key=lambda x: x.item)
        kind = settings.doc_type(first.doc_type)
        if kind is not None:
            item = _open_item(key, doc, first, kind, references[key])
            item_settled[key] = item.amount.amount
            items.append(Dated(item.item_id, changed_day(key), item))
    cleared_items: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for key in item_settled:
        for document in {x.clearing_document for x in by_doc[key] if x.clearing_document}:
            cleared_items[(key[0], document)].append(key)
    for key, doc in sorted(by_doc.items()):
        first = min(doc, key=lambda x: x.item)
        if first.doc_type in settings.payment_document_types:
            payment = _payment(key, doc, first, cleared_items, references, item_settled)
            payments.append(Dated(payment.payment_id, changed_day(key), payment))
    writeoffs: list[Dated] = []
    counts: dict[str, int] = defaultdict(int)
    for key, doc in sorted(by_doc.items(), key=lambda kv: (min(x.posting_date for x in kv[1]), kv[0])):
        first = min(doc, key=lambda x: x.item)
        if first.doc_type not in settings.writeoff_document_types:
            continue
        for item_id, amount in _settled(key, doc, cleared_items, references, item_settled).items():
            counts[item_id] += 1
            record = WriteOff(item_id, first.posting_date, Money(amount, first.currency), first.reference or None)
            writeoffs.append(Dated(writeoff_key(item_id, counts[item_id]), entry_day[key], record))
    return items, payments, writeoffs


def _clearing_key(line: FiLine, by_doc: dict[tuple[str, str, str], list[FiLine]]) -> tuple[str, str, str]:
    """The clearing document's key: its year is the clearing date's (or the line's own if it is in the set)."""
    year = str(line.clearing_date.year) if line.clearing_date else line.fiscal_year
    for candidate in (
        (line.company_code, line.clearing_document, year),
        (line.company_code, line.clearing_document, line.fiscal_year),
    ):
        if candidate in by_doc:
            return candidate
    return (line.company_code, line.clearing_document, year)


def _clearing_day(doc: list[FiLine], clearing: tuple[str, str, str]) -> date:
    """When the clearing document is not a line of this customer (cleared against G/L): its clearing date."""
    return max((x.clearing_date or x.entry_date) for x in doc if x.clearing_document == clearing[1])


def due_date(line: FiLine, kind: DocType) -> date:
    """Net due date: SAP stores none; it is the baseline date plus the net days (credit memos: the baseline)."""
    baseline = line.baseline_date or line.document_date
    if kind is DocType.CREDIT_MEMO and not line.invoice_ref:
        return baseline
    return baseline + timedelta(days=line.net_days)


def _open_item(
    key: tuple[str, str, str], doc: list[FiLine], first: FiLine, kind: DocType, partials: list[FiLine]
) -> OpenItem:
    amount = sum((x.signed for x in doc), Decimal(0))
    open_lines = sum((x.signed for x in doc if not x.clearing_document), Decimal(0))
    open_partials = sum((x.signed for x in partials if not x.clearing_document and x.doc_key != key), Decimal(0))
    open_amount = open_lines + open_partials if open_lines else Decimal(0)
    return OpenItem(
        item_id=item_key(*key),
        doc_type=kind,
        customer_id=first.customer,
        invoice_date=first.document_date,
        due_date=due_date(first, kind),
        amount=Money(amount, first.currency),
        open_amount=Money(open_amount, first.currency),
        po_number=first.assignment or None,
        discount_percent=first.discount_percent or None,
        discount_days=first.discount_days or None,
    )


def _settled(
    key: tuple[str, str, str],
    doc: list[FiLine],
    cleared_items: dict[tuple[str, str], list[tuple[str, str, str]]],
    references: dict[tuple[str, str, str], list[FiLine]],
    item_amounts: dict[tuple[str, str, str], Decimal],
) -> dict[str, Decimal]:
    """What a settling document (payment, write-off) applied to each item: its partial lines (INV_REF),
    and for each item it cleared, what was left of it after the other documents' partial lines."""
    applied: dict[str, Decimal] = defaultdict(Decimal)
    for line in doc:
        if line.invoice_ref:
            ref = (line.company_code, line.invoice_ref, line.invoice_ref_year or line.fiscal_year)
            if ref in item_amounts:
                applied[item_key(*ref)] += -line.signed
    if any(x.clearing_document == key[1] for x in doc):
        for other_key in cleared_items.get((key[0], key[1]), ()):
            if other_key != key:
                earlier = sum((-p.signed for p in references[other_key] if p.doc_key != key), Decimal(0))
                applied[item_key(*other_key)] += item_amounts[other_key] - earlier
    return {item_id: value for item_id, value in applied.items() if value}


def _payment(
    key: tuple[str, str, str],
    doc: list[FiLine],
    first: FiLine,
    cleared_items: dict[tuple[str, str], list[tuple[str, str, str]]],
    references: dict[tuple[str, str, str], list[FiLine]],
    item_amounts: dict[tuple[str, str, str], Decimal],
) -> Payment:
    payment_id = item_key(*key)
    applied = _settled(key, doc, cleared_items, references, item_amounts)
    total = -sum((x.signed for x in doc), Decimal(0))
    on = first.posting_date
    return Payment(
        payment_id=payment_id,
        customer_id=first.customer,
        payment_date=on,
        amount=Money(total, first.currency),
        reference=first.reference or None,
        applications=tuple(
            Application(payment_id, item_id, Money(value, first.currency), on)
            for item_id, value in sorted(applied.items())
            if value
        ),
    )
