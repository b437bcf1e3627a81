"""`read_changes` for S/4HANA over OData: credit accounts, customers, and receivables from line items.

Change marks: line items carry their entry day (AccountingDocumentCreationDate) and clearing day,
so open items and payments are stamped as on ECC (receivables.py; the cube is read per company
code — open items plus those cleared since settings.history_from — with `$top/$skip` and `__next`);
sales orders (like credit accounts and customers) in full, as of today: a status change moves no date.
Credit accounts and customers carry no change stamp for what we read (a block or a rename moves
no date), so each pull reads them whole and reports them as of the start of today: the shell keeps
a new version only for what really changed. No tombstones are offered (READ_DELETIONS is absent).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from creditbridge.adapters.change_paging import KeptSweep, require_aware
from creditbridge.adapters.sap.odata import wire
from creditbridge.adapters.sap.odata.client import ODataClient
from creditbridge.adapters.sap.receivables import FiLine, documents
from creditbridge.adapters.sap.settings import SapSettings
from creditbridge.adapters.sap.stamps import day_stamp, fingerprint, since_day, start_of_day
from creditbridge.core.model import CreditProfile, Customer, Order, OrderStatus
from creditbridge.core.money import Money
from creditbridge.core.ports import Change, ChangePage, Entity, ErpConfigError, Record

CREDIT = "API_CRDTMBUSINESSPARTNER"
ITEMS = "API_OPLACCTGDOCITEMCUBE_SRV"
PARTNERS = "API_BUSINESS_PARTNER"
ORDERS = "API_SALES_ORDER_SRV"
ENTITIES = (
    Entity.CUSTOMERS,
    Entity.CREDIT_PROFILES,
    Entity.OPEN_ITEMS,
    Entity.PAYMENTS,
    Entity.ORDERS,
    Entity.WRITEOFFS,
)


class S4Reader:
    def __init__(
        self,
        client: ODataClient,
        settings: SapSettings,
        *,
        page_size: int = 500,
        zone: tzinfo = UTC,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client, self.settings, self.page_size, self.zone, self._clock = client, settings, page_size, zone, clock
        self._sweep = KeptSweep()

    def read_changes(self, entity: Entity, since: datetime | None, page_token: str | None = None) -> ChangePage:
        require_aware(since)
        if entity not in ENTITIES or (entity is Entity.WRITEOFFS and not self.settings.writeoff_document_types):
            raise ValueError(f"SAP S/4HANA has no {entity} here")
        return self._sweep.page(entity, since, page_token, self.page_size,
                                lambda: start_of_day(self._clock(), self.zone),
                                lambda served_at: self._changes(entity, since, served_at))  # fmt: skip

    def _changes(self, entity: Entity, since: datetime | None, today: datetime) -> list[Change]:
        found: list[tuple[str, datetime, Record, str]] = []
        if entity is Entity.CREDIT_PROFILES:
            found = [(p.customer_id, today, p, p.source_version or "") for p in self.profiles()]
        elif entity is Entity.CUSTOMERS:
            found = [(c.customer_id, today, c, fingerprint(c)) for c in self.customers()]
        elif entity is Entity.ORDERS:
            found = [(o.order_number, today, o, version) for o, version in self.orders()]
        else:
            items, payments, writeoffs = documents(self._lines(), self.settings)
            first = since_day(since, self.zone)
            for d in {Entity.OPEN_ITEMS: items, Entity.PAYMENTS: payments}.get(entity, writeoffs):
                if first is None or d.day >= first:
                    found.append((d.key, max(day_stamp(d.day, self.zone), since or today), d.record, d.version))
        changes = [Change(entity, key, at, record, version) for key, at, record, version in found
                   if since is None or at >= since]  # fmt: skip
        return sorted(changes, key=lambda c: (c.changed_at, c.key))

    # --- credit accounts ---------------------------------------------------------------------------

    def segments(self) -> list[str]:
        return list(dict.fromkeys(c.credit_segment for c in self.settings.company_codes))

    def account_of(self, accounts: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The partner's account in the first mapped credit segment it has one in."""
        by_segment = {a["CreditSegment"]: a for a in accounts}
        return next((by_segment[s] for s in self.segments() if s in by_segment), None)

    def profile(self, partner: dict[str, Any]) -> CreditProfile:
        accounts = partner.get("to_CreditMgmtAccountTP") or {}
        account = self.account_of(list(accounts.get("results") or []))
        risk = self.settings.risk_class(str(partner.get("CreditRiskClass") or ""))
        bp = str(partner["BusinessPartner"])
        if account is None:
            return CreditProfile(bp, None, risk_class=risk, source_version=fingerprint("no account", risk))
        amount = wire.to_decimal(account["CreditLimitAmount"])
        no_limit = amount == 0 and not account.get("CreditLimitIsZero")
        return CreditProfile(
            customer_id=bp,
            credit_limit=None if no_limit else Money(amount, str(account["CreditSegmentCurrency"])),
            on_hold=bool(account.get("CreditAccountIsBlocked")),
            risk_class=risk,
            review_date=wire.to_date(account.get("CreditAccountResubmissionDate")),
            source_version=str((account.get("__metadata") or {}).get("etag") or fingerprint(account)),
        )

    def profiles(self) -> list[CreditProfile]:
        partners = self.client.collection(CREDIT, "CreditMgmtBusinessPartner", {"$expand": "to_CreditMgmtAccountTP"})
        return [self.profile(p) for p in partners]

    # --- customers ---------------------------------------------------------------------------------

    def customers(self) -> list[Customer]:
        codes = [c.code for c in self.settings.company_codes]
        company: dict[str, dict[str, Any]] = {}
        rows = self.client.collection(PARTNERS, "A_CustomerCompany", {"$filter": _any_of("CompanyCode", codes)})
        for row in sorted(rows, key=lambda r: codes.index(r["CompanyCode"])):
            if not row.get("DeletionIndicator"):
                company.setdefault(str(row["Customer"]), row)
        found = []
        for row in self.client.collection(PARTNERS, "A_Customer", {"$select": "Customer,CustomerName,CreationDate"}):
            customer_id = str(row["Customer"])
            if customer_id not in company:
                continue
            terms = str(company[customer_id].get("PaymentTerms") or "")
            found.append(Customer(
                customer_id=customer_id,
                name=str(row.get("CustomerName") or ""),
                currency=self.settings.company(str(company[customer_id]["CompanyCode"])).currency,
                payment_terms_days=self._terms(terms, customer_id),
            ))  # fmt: skip
        return found

    def _terms(self, key: str, customer_id: str) -> int | None:
        if not key or not self.settings.payment_terms:
            return None
        if key not in self.settings.payment_terms:
            raise ErpConfigError(
                f"customer {customer_id} has payment terms {key!r}, which translations.payment_terms does not list"
            )
        return self.settings.payment_terms[key]

    # --- sales orders ------------------------------------------------------------------------------

    def orders(self) -> list[tuple[Order, str]]:
        """A_SalesOrder of the mapped company codes' customers since settings.history_from, with a version.

        Read in full on each pull: a status change by a delivery or billing document moves no date here.
        """
        customers = {c.customer_id for c in self.customers()}
        since = self.settings.history_from.strftime("%Y-%m-%dT00:00:00")
        query = f"SalesOrderDate ge datetime'{since}'"
        if self.settings.sales_organization:
            query += f" and SalesOrganization eq '{self.settings.sales_organization}'"
        found = []
        for row in self.client.collection(ORDERS, "A_SalesOrder", {"$filter": query}):
            if str(row["SoldToParty"]) not in customers:
                continue
            if row.get("OverallSDDocumentRejectionSts") == "C":
                status = OrderStatus.CANCELLED
            elif self.settings.order_statuses and row.get("OverallSDProcessStatus") in self.settings.order_statuses:
                status = self.settings.order_statuses[str(row["OverallSDProcessStatus"])]
            else:
                status = OrderStatus.CLOSED if row.get("OverallSDProcessStatus") == "C" else OrderStatus.OPEN
            order = Order(
                order_number=str(row["SalesOrder"]),
                customer_id=str(row["SoldToParty"]),
                order_date=wire.to_date(row.get("SalesOrderDate")) or date.min,
                amount=Money(wire.to_decimal(row["TotalNetAmount"]), str(row["TransactionCurrency"])),
                status=status,
            )
            found.append((order, fingerprint(order, row.get("TotalCreditCheckStatus"))))
        return found

    # --- line items --------------------------------------------------------------------------------

    def _lines(self) -> list[FiLine]:
        since = self.settings.history_from.strftime("%Y-%m-%dT00:00:00")
        lines = []
        for company in self.settings.company_codes:
            query = (f"CompanyCode eq '{company.code}' and FinancialAccountType eq 'D' and "
                     f"(IsCleared eq false or ClearingDate ge datetime'{since}')")  # fmt: skip
            lines += [
                fi_line(row)
                for row in self.client.collection(ITEMS, "A_OperationalAcctgDocItemCube", {"$filter": query})
            ]
        return lines


def _any_of(field: str, values: list[str]) -> str:
    return " or ".join(f"{field} eq '{v}'" for v in values)


def fi_line(row: dict[str, Any]) -> FiLine:
    """An A_OperationalAcctgDocItemCube row as a FiLine (amounts there are signed; here positive with S/H)."""
    posted = wire.to_date(row.get("PostingDate")) or date.min
    baseline = wire.to_date(row.get("DueCalculationBaseDate"))
    due = wire.to_date(row.get("NetDueDate"))
    percent = wire.to_decimal(row.get("CashDiscount1Percent") or "0")
    days = int(wire.to_decimal(row.get("CashDiscount1Days") or "0"))
    clearing = wire.to_date(row.get("ClearingDate"))
    return FiLine(
        company_code=str(row["CompanyCode"]),
        customer=str(row["Customer"]),
        fiscal_year=str(row["FiscalYear"]),
        document=str(row["AccountingDocument"]),
        item=str(row["AccountingDocumentItem"]),
        doc_type=str(row.get("AccountingDocumentType") or ""),
        debit=row.get("DebitCreditCode") == "S",
        amount=abs(wire.to_decimal(row["AmountInTransactionCurrency"])),
        currency=str(row["TransactionCurrency"]),
        posting_date=posted,
        document_date=wire.to_date(row.get("DocumentDate")) or posted,
        entry_date=wire.to_date(row.get("AccountingDocumentCreationDate")) or posted,
        baseline_date=baseline,
        net_days=(due - baseline).days if due and baseline else 0,
        discount_days=days if percent else 0,
        discount_percent=percent if percent else Decimal(0),
        assignment=str(row.get("AssignmentReference") or ""),
        reference=str(row.get("DocumentReferenceID") or ""),
        clearing_document=str(row.get("ClearingAccountingDocument") or "") if row.get("IsCleared") else "",
        clearing_date=clearing if row.get("IsCleared") else None,
        invoice_ref=str(row.get("InvoiceReference") or ""),
        invoice_ref_year=str(row.get("InvoiceReferenceFiscalYear") or ""),
    )
