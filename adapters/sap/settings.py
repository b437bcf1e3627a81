"""What an SAP adapter must know about the customer's SAP set-up, from the mapping (mappings/sap.yaml).

Why company codes carry their credit control area and currency: a customer's credit account
lives in the control area (ECC KKBER) or credit segment (S/4) of its company code, and the
limit's currency is that area's (T014-WAERS) — not something a write may choose.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from creditbridge.core.model import DocType, OrderStatus
from creditbridge.core.ports import Capability

if TYPE_CHECKING:
    from creditbridge.mappings.schema import SapMapping

NO_LIMIT_AMOUNT = Decimal("9999999999999.99")
"""KLIMK's largest value (CURR 15,2), the usual ECC spelling of "no limit": KNKK has no empty limit."""


@dataclass(frozen=True, slots=True)
class CompanyCode:
    code: str  # BUKRS
    currency: str  # T001-WAERS, also the credit control area's / segment's currency here
    credit_control_area: str  # KKBER (ECC)
    credit_segment: str  # CREDIT_SGMNT (S/4)


SAP_CAPABILITIES = frozenset(
    {
        Capability.READ_CUSTOMERS,
        Capability.READ_CREDIT_PROFILES,
        Capability.READ_OPEN_ITEMS,
        Capability.READ_PAYMENTS,
        Capability.READ_ORDERS,
        Capability.WRITE_CREDIT_PROFILE,
    }
)


@dataclass(frozen=True, slots=True)
class SapSettings:
    company_codes: tuple[CompanyCode, ...]
    document_types: dict[str, DocType] = field(
        default_factory=lambda: {
            "DR": DocType.INVOICE,
            "RV": DocType.INVOICE,
            "DG": DocType.CREDIT_MEMO,
            "DD": DocType.DEBIT_MEMO,
        }
    )
    payment_document_types: frozenset[str] = frozenset({"DZ"})
    writeoff_document_types: frozenset[str] = frozenset()
    """Document types of bad-debt write-offs; empty: write-offs are not read (they show as settled items)."""
    payment_terms: dict[str, int] = field(default_factory=dict)
    risk_classes: dict[str, str] | None = None
    history_from: date = date(2000, 1, 1)
    """Cleared items and payments are read from here (BAPI_AR_ACC_GETBALANCEDITEMS DATE_FROM)."""
    write_function: str = "Z_CREDITBRIDGE_SET_CREDIT"
    tid_table: str = "ZCB_CREDIT_TID"
    no_limit_amount: Decimal = NO_LIMIT_AMOUNT
    block_reason: str = "01"
    sap_client: str | None = None
    order_statuses: dict[str, OrderStatus] | None = None
    sales_organization: str | None = None
    """ECC: only sales orders of this sales organisation (VBAK-VKORG) are read; None: all."""

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What an SAP system (ECC or S/4HANA) offers here: write-offs only where their document types are named."""
        writeoffs = {Capability.READ_WRITEOFFS} if self.writeoff_document_types else set()
        return SAP_CAPABILITIES | writeoffs

    def company(self, code: str) -> CompanyCode:
        for company in self.company_codes:
            if company.code == code:
                return company
        raise KeyError(code)

    def doc_type(self, blart: str) -> DocType | None:
        """The core type of an FI document type; None for types that are not receivables (payments, clearing)."""
        return self.document_types.get(blart)

    def risk_class(self, code: str) -> str | None:
        if not code:
            return None
        return self.risk_classes.get(code, code) if self.risk_classes else code


def settings_from_mapping(mapping: SapMapping) -> SapSettings:
    """The settings a checked SAP mapping file gives (mappings/templates/sap.yaml explains each)."""
    scope, writeback = mapping.scope, mapping.writeback
    if scope.company_codes is not None:
        companies = tuple(
            CompanyCode(c.code, c.currency, c.credit_control_area or c.code, c.credit_segment or c.code)
            for c in scope.company_codes
        )
    else:
        assert scope.company_code is not None and scope.currency is not None  # the mapping's checks
        area = mapping.credit_control_area or scope.company_code
        companies = (CompanyCode(scope.company_code, scope.currency, area, mapping.credit_segment or area),)
    translations = mapping.translations
    settings = SapSettings(
        company_codes=companies,
        payment_document_types=frozenset(scope.payment_document_types),
        writeoff_document_types=frozenset(scope.writeoff_document_types),
        payment_terms=dict(translations.payment_terms or {}),
        risk_classes=dict(translations.risk_classes) if translations.risk_classes else None,
        history_from=date.fromisoformat(scope.history_from),
        write_function=writeback.function_module or "Z_CREDITBRIDGE_SET_CREDIT",
        tid_table=writeback.tid_table,
        no_limit_amount=Decimal(writeback.no_limit_amount),
        block_reason=writeback.block_reason or "01",
        sales_organization=scope.sales_organization,
        order_statuses={k: OrderStatus(v) for k, v in translations.order_statuses.items()}
        if translations.order_statuses
        else None,
    )
    if translations.document_types:
        settings = replace(settings, document_types={k: DocType(v) for k, v in translations.document_types.items()})
    return settings
