"""`S4Erp`: S/4HANA credit management (UKM) and receivables behind the ports, over OData V2."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo

from creditbridge.adapters.sap.odata.client import ODataClient
from creditbridge.adapters.sap.odata.reader import S4Reader
from creditbridge.adapters.sap.odata.writer import S4CreditWriter
from creditbridge.adapters.sap.settings import SapSettings
from creditbridge.core.model import CreditProfile
from creditbridge.core.ports import Capability, ChangePage, Entity, ProfileWrite, WriteResult


class S4Erp:
    def __init__(
        self,
        client: ODataClient,
        settings: SapSettings,
        *,
        name: str = "sap",
        page_size: int = 500,
        zone: tzinfo = UTC,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.erp_name = name
        self.capabilities: frozenset[Capability] = settings.capabilities
        self.client = client
        self.reader = S4Reader(client, settings, page_size=page_size, zone=zone, clock=clock)
        self.writer = S4CreditWriter(client, self.reader)

    def read_changes(self, entity: Entity, since: datetime | None, page_token: str | None = None) -> ChangePage:
        return self.reader.read_changes(entity, since, page_token)

    def read_credit_profile(self, customer_id: str) -> CreditProfile | None:
        return self.writer.read_credit_profile(customer_id)

    def write_credit_profile(self, write: ProfileWrite) -> WriteResult:
        return self.writer.write_credit_profile(write)
