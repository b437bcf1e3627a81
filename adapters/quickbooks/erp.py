"""`QuickBooksErp`: one QuickBooks Online company behind the ports (reader, writer, poster).

Why a thin façade: each port lives in its own module (reader.py, writer.py, poster.py) over one
shared client, so the capabilities declared here are exactly the methods delegated below.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from creditbridge.adapters.quickbooks import translate as tr
from creditbridge.adapters.quickbooks.client import QuickBooksClient
from creditbridge.adapters.quickbooks.poster import QuickBooksCashPoster
from creditbridge.adapters.quickbooks.reader import QuickBooksChangeReader
from creditbridge.adapters.quickbooks.storage import Storage
from creditbridge.adapters.quickbooks.writer import QuickBooksProfileWriter
from creditbridge.core.model import CreditProfile
from creditbridge.core.money import Money
from creditbridge.core.ports import (
    Capability,
    CashApplicationPosting,
    ChangePage,
    Entity,
    PostingResult,
    ProfileWrite,
    ReportedBalances,
    WriteResult,
)

CAPABILITIES: Final = frozenset(
    {
        Capability.READ_CUSTOMERS,
        Capability.READ_CREDIT_PROFILES,
        Capability.READ_OPEN_ITEMS,
        Capability.READ_PAYMENTS,
        Capability.READ_ORDERS,
        Capability.READ_DELETIONS,
        Capability.WRITE_CREDIT_PROFILE,
        Capability.POST_CASH_APPLICATION,
    }
)


class QuickBooksErp:
    def __init__(
        self,
        client: QuickBooksClient,
        *,
        storage: Storage | None = None,
        page_size: int = 1000,
        include_inactive: bool = True,
        terms: dict[str, int] | None = None,
        name: str = "quickbooks",
    ) -> None:
        self.erp_name = name
        self.client = client
        self.storage = storage or Storage()
        self.capabilities: frozenset[Capability] = CAPABILITIES  # mechanism inactive: hold writes only
        self.reader = QuickBooksChangeReader(
            client, self.storage, page_size=page_size, include_inactive=include_inactive, terms=terms
        )
        self.writer = QuickBooksProfileWriter(client, self.storage)
        self.poster = QuickBooksCashPoster(client)

    def read_changes(self, entity: Entity, since: datetime | None, page_token: str | None = None) -> ChangePage:
        return self.reader.read_changes(entity, since, page_token)

    def read_credit_profile(self, customer_id: str) -> CreditProfile | None:
        return self.writer.read_credit_profile(customer_id)

    def read_customer_balances(self) -> ReportedBalances:
        """Customer.Balance of every customer: open invoices less remaining credits less unapplied
        payments (QuickBooks nets unapplied cash), for reconciliation. One query per 1,000 customers."""
        balances: dict[str, Money] = {}
        start = 1
        while True:
            body = self.client.query(
                f"SELECT * FROM Customer WHERE Active IN (true, false) STARTPOSITION {start} MAXRESULTS 1000"
            )
            rows = list((body.get("QueryResponse") or {}).get("Customer") or [])
            for row in rows:
                currency = tr.currency_of(row, self.storage.default_currency)
                balances[str(row["Id"])] = Money(tr.amount(row.get("Balance")), currency)
            if len(rows) < 1000:
                return ReportedBalances(balances, nets_unapplied_cash=True)
            start += 1000

    def write_credit_profile(self, write: ProfileWrite) -> WriteResult:
        return self.writer.write_credit_profile(write)

    def post_cash_applications(self, postings: Sequence[CashApplicationPosting]) -> tuple[PostingResult, ...]:
        return self.poster.post_cash_applications(postings)
