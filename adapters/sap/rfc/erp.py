"""`EccErp`: one ECC system (the mapped company codes) behind the ports, over the RFC protocol."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo

from creditbridge.adapters.sap.rfc.connection import RfcConnector
from creditbridge.adapters.sap.rfc.reader import EccReader
from creditbridge.adapters.sap.rfc.session import RfcSession
from creditbridge.adapters.sap.rfc.writer import EccCreditWriter
from creditbridge.adapters.sap.settings import SapSettings
from creditbridge.core.model import CreditProfile
from creditbridge.core.ports import Capability, ChangePage, Entity, ProfileWrite, WriteResult


class EccErp:
    def __init__(
        self,
        connector: RfcConnector,
        settings: SapSettings,
        *,
        name: str = "sap",
        page_size: int = 500,
        zone: tzinfo = UTC,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.erp_name = name
        self.capabilities: frozenset[Capability] = settings.capabilities
        self.session = RfcSession(connector)
        self.reader = EccReader(self.session, settings, page_size=page_size, zone=zone, clock=clock)
        self.writer = EccCreditWriter(connector, self.session, self.reader)

    def read_changes(self, entity: Entity, since: datetime | None, page_token: str | None = None) -> ChangePage:
        return self.reader.read_changes(entity, since, page_token)

    def read_credit_profile(self, customer_id: str) -> CreditProfile | None:
        return self.writer.read_credit_profile(customer_id)

    def write_credit_profile(self, write: ProfileWrite) -> WriteResult:
        return self.writer.write_credit_profile(write)

    def close(self) -> None:
        self.session.close()
