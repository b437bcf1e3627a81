"""`OracleErp`: one EBS operating unit behind the ports (change reader, profile writer, cash poster).

Thin façade like QuickBooksErp: the reader and writer share one session source (a python-oracledb
pool, or the simulator) and the connection's options; the capabilities are what is delegated (cash
posting only with a receipt method configured).
Deletions are not declared: EBS keeps no tombstones for the rows read here (a reversed receipt is
reported as deleted, and a full sweep finds the rest).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from creditbridge.adapters.oracle.options import OracleOptions
from creditbridge.adapters.oracle.poster import OracleCashPoster
from creditbridge.adapters.oracle.reader import OracleChangeReader
from creditbridge.adapters.oracle.rows import Codes
from creditbridge.adapters.oracle.seam import SessionSource
from creditbridge.adapters.oracle.writer import OracleProfileWriter
from creditbridge.core.model import CreditProfile
from creditbridge.core.ports import (
    Capability,
    CashApplicationPosting,
    ChangePage,
    Entity,
    ErpConfigError,
    PostingResult,
    ProfileWrite,
    WriteResult,
)
from creditbridge.mappings import ErpMapping

BASE_CAPABILITIES = frozenset(
    {
        Capability.READ_CUSTOMERS,
        Capability.READ_CREDIT_PROFILES,
        Capability.READ_OPEN_ITEMS,
        Capability.READ_PAYMENTS,
        Capability.WRITE_CREDIT_PROFILE,
    }
)


class OracleErp:
    def __init__(
        self,
        sessions: SessionSource,
        options: OracleOptions,
        *,
        mapping: ErpMapping | None = None,
        name: str = "oracle",
        receipt_method_id: int | None = None,
    ) -> None:
        self.erp_name = name
        self.sessions, self.options = sessions, options
        self.reader = OracleChangeReader(sessions, options, Codes(mapping))
        self.writer = OracleProfileWriter(sessions, options, self.reader)
        self.poster = None if receipt_method_id is None else OracleCashPoster(sessions, options, receipt_method_id)
        reads_orders = {Capability.READ_ORDERS} if options.read_orders else set()
        posts = {Capability.POST_CASH_APPLICATION} if self.poster is not None else set()
        self.capabilities: frozenset[Capability] = BASE_CAPABILITIES | reads_orders | posts

    def read_changes(self, entity: Entity, since: datetime | None, page_token: str | None = None) -> ChangePage:
        return self.reader.read_changes(entity, since, page_token)

    def read_credit_profile(self, customer_id: str) -> CreditProfile | None:
        return self.writer.read_credit_profile(customer_id)

    def write_credit_profile(self, write: ProfileWrite) -> WriteResult:
        return self.writer.write_credit_profile(write)

    def post_cash_applications(self, postings: Sequence[CashApplicationPosting]) -> tuple[PostingResult, ...]:
        """Receipts and applications through AR_RECEIPT_API_PUB (poster.py); needs a receipt method."""
        if self.poster is None:
            raise ErpConfigError("cash posting needs writeback.receipt_method_id in the Oracle mapping")
        return self.poster.post_cash_applications(postings)
