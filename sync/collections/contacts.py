"""How to reach a customer: e-mail, phone, postal address (kept apart from the ERP's customer record).

Why apart: the ledger's customers.csv (and QuickBooks' reader) carry no e-mail or address today;
collections keeps its own contacts — `contacts.csv` in a ledger folder, the
`collection_contacts` table in the store (`creditbridge collections contacts --import FILE`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Contact:
    customer_id: str
    email: str | None = None
    phone: str | None = None
    address: str | None = None  # lines separated by '|'

    @property
    def address_lines(self) -> list[str]:
        return [line.strip() for line in (self.address or "").split("|") if line.strip()]
