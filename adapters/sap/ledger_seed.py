"""A core `Ledger` as SAP holds it: customer master, credit master, FI line items, sales orders.

Both SAP simulators start from this (ECC tables over RFC, S/4HANA entity sets over OData), so a
test or the demo seeds them from any ledger folder. How the ledger is laid out in SAP:
- each customer belongs to the company code of its currency (else the first one); its credit
  account is in that company code's credit control area / segment;
- an item is one FI document (number = the item id) of the mapped document type; an item that
  is settled is cleared by the last payment or write-off that touched it, a partly paid item
  stays open with the payments' partial lines referencing it (INV_REF);
- a payment is one DZ document: a line per application and one on account for unapplied cash;
- a write-off is an AB document clearing what was left of the item.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from creditbridge.adapters.sap.settings import CompanyCode, SapSettings
from creditbridge.core.model import DocType, Ledger, OpenItem, OrderStatus, WriteOff

WRITE_OFF_TYPE = "AB"


@dataclass
class SeedLine:
    company_code: str
    customer: str
    document: str
    fiscal_year: str
    item: str
    doc_type: str
    debit: bool
    amount: Decimal
    currency: str
    posting_date: date
    document_date: date
    baseline_date: date
    net_days: int = 0
    payment_terms: str = ""
    discount_days: int = 0
    discount_percent: Decimal = Decimal(0)
    assignment: str = ""
    reference: str = ""
    clearing_document: str = ""
    clearing_date: date | None = None
    invoice_ref: str = ""
    invoice_ref_year: str = ""


@dataclass
class SeedCustomer:
    customer: str
    name: str
    company_code: CompanyCode
    created: date
    payment_terms: str
    tax_id: str
    bank_accounts: tuple[str, ...]


@dataclass
class SeedCredit:
    customer: str
    company_code: CompanyCode
    limit: Decimal | None
    blocked: bool
    risk_category: str
    credit_account: str
    review_date: date | None
    created: date


@dataclass
class SeedOrder:
    order: str
    customer: str
    order_date: date
    amount: Decimal
    currency: str
    status: OrderStatus


@dataclass
class SapSeed:
    customers: list[SeedCustomer] = field(default_factory=list)
    credit: list[SeedCredit] = field(default_factory=list)
    lines: list[SeedLine] = field(default_factory=list)
    orders: list[SeedOrder] = field(default_factory=list)


def sap_seed(ledger: Ledger, settings: SapSettings) -> SapSeed:
    seed = SapSeed()
    every_day = [i.invoice_date for i in ledger.items] + [p.payment_date for p in ledger.payments]
    created = min(every_day, default=settings.history_from)
    terms_key = {days: key for key, days in reversed(list(settings.payment_terms.items()))}
    type_of = {kind: blart for blart, kind in reversed(list(settings.document_types.items()))}
    payment_type = sorted(settings.payment_document_types)[0]
    writeoff_type = min(settings.writeoff_document_types, default=WRITE_OFF_TYPE)
    company_of: dict[str, CompanyCode] = {}
    for customer in ledger.customers:
        company = next(
            (c for c in settings.company_codes if c.currency == customer.currency), settings.company_codes[0]
        )
        company_of[customer.customer_id] = company
        terms = terms_key.get(customer.payment_terms_days, "") if customer.payment_terms_days is not None else ""
        seed.customers.append(
            SeedCustomer(customer.customer_id, customer.name, company, created, terms, customer.tax_id or "",
                         customer.bank_accounts)
        )  # fmt: skip
    parents = {c.customer_id: c.parent_id for c in ledger.customers if c.parent_id}
    for profile in ledger.profiles:
        company = company_of[profile.customer_id]
        parent = parents.get(profile.customer_id)
        if profile.credit_limit is None and not profile.on_hold and not profile.risk_class and not parent:
            continue
        seed.credit.append(
            SeedCredit(profile.customer_id, company,
                       None if profile.credit_limit is None else profile.credit_limit.amount,
                       profile.on_hold, profile.risk_class or "", parent or profile.customer_id, profile.review_date,
                       created)
        )  # fmt: skip

    items = {i.item_id: i for i in ledger.items}
    settlements: dict[str, list[tuple[date, str, str]]] = defaultdict(list)  # item -> (day, doc, year)
    for p in ledger.payments:
        for a in p.applications:
            settlements[a.item_id].append((p.payment_date, p.payment_id, str(p.payment_date.year)))
    writeoff_docs: list[tuple[str, WriteOff]] = []
    for n, w in enumerate(ledger.writeoffs, 1):
        document = f"WO{n}"
        writeoff_docs.append((document, w))
        settlements[w.item_id].append((w.written_off_on, document, str(w.written_off_on.year)))
    clearing = {item_id: max(found) for item_id, found in settlements.items() if items[item_id].open_amount.amount == 0}

    for item in ledger.items:
        company = company_of[item.customer_id]
        seed.lines.append(_item_line(item, company, type_of, terms_key, clearing.get(item.item_id)))
    for p in ledger.payments:
        company = company_of[p.customer_id]
        year = str(p.payment_date.year)
        n = 0
        for a in p.applications:
            n += 1
            target = items[a.item_id]
            cleared = clearing.get(a.item_id)
            seed.lines.append(SeedLine(
                company.code, p.customer_id, p.payment_id, year, f"{n:03d}", payment_type, a.amount.amount < 0,
                abs(a.amount.amount), p.amount.currency, p.payment_date, p.payment_date, p.payment_date,
                reference=p.reference or "", clearing_document=cleared[1] if cleared else "",
                clearing_date=cleared[0] if cleared else None,
                invoice_ref="" if cleared and cleared[1] == p.payment_id else a.item_id,
                invoice_ref_year=str(target.invoice_date.year),
            ))  # fmt: skip
        rest = p.unapplied.amount
        if rest:
            n += 1
            seed.lines.append(SeedLine(
                company.code, p.customer_id, p.payment_id, year, f"{n:03d}", payment_type, rest < 0, abs(rest),
                p.amount.currency, p.payment_date, p.payment_date, p.payment_date, reference=p.reference or "",
            ))  # fmt: skip
    for document, w in writeoff_docs:
        target = items[w.item_id]
        company = company_of[target.customer_id]
        cleared = clearing.get(target.item_id)
        seed.lines.append(SeedLine(
            company.code, target.customer_id, document, str(w.written_off_on.year), "001", writeoff_type,
            w.amount.amount < 0, abs(w.amount.amount), w.amount.currency, w.written_off_on, w.written_off_on,
            w.written_off_on, reference=w.reason or "", clearing_document=cleared[1] if cleared else "",
            clearing_date=cleared[0] if cleared else None,
            invoice_ref="" if cleared else target.item_id,
        ))  # fmt: skip
    for o in ledger.orders:
        seed.orders.append(SeedOrder(o.order_number, o.customer_id, o.order_date, o.amount.amount, o.amount.currency,
                                     o.status))  # fmt: skip
    return seed


def _item_line(
    item: OpenItem,
    company: CompanyCode,
    type_of: dict[DocType, str],
    terms_key: dict[int, str],
    cleared: tuple[date, str, str] | None,
) -> SeedLine:
    if item.doc_type not in type_of:
        raise ValueError(f"no SAP document type is mapped to {item.doc_type} (translations.document_types)")
    net_days = (item.due_date - item.invoice_date).days if item.doc_type is not DocType.CREDIT_MEMO else 0
    return SeedLine(
        company.code, item.customer_id, item.item_id, str(item.invoice_date.year), "001", type_of[item.doc_type],
        item.amount.amount >= 0, abs(item.amount.amount), item.amount.currency, item.invoice_date, item.invoice_date,
        item.invoice_date, net_days=net_days, payment_terms=terms_key.get(net_days, ""),
        discount_days=item.discount_days or 0, discount_percent=item.discount_percent or Decimal(0),
        assignment=item.po_number or "", clearing_document=cleared[1] if cleared else "",
        clearing_date=cleared[0] if cleared else None,
    )  # fmt: skip
