"""The entity sets the simulator serves: their service, key and property types (a trimmed EDMX)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EntitySet:
    service: str
    name: str
    entity_type: str
    keys: tuple[str, ...]
    properties: dict[str, str]  # name -> Edm type
    updatable: frozenset[str] = frozenset()
    etag: bool = False


CREDIT = "API_CRDTMBUSINESSPARTNER"
ITEMS = "API_OPLACCTGDOCITEMCUBE_SRV"
PARTNERS = "API_BUSINESS_PARTNER"
ORDERS = "API_SALES_ORDER_SRV"

CREDIT_ACCOUNT = EntitySet(
    CREDIT, "CreditManagementAccount", "CreditManagementAccountType", ("BusinessPartner", "CreditSegment"),
    {
        "BusinessPartner": "Edm.String", "CreditSegment": "Edm.String", "BusinessPartnerIsCritical": "Edm.Boolean",
        "CreditAccountIsBlocked": "Edm.Boolean", "CreditAccountBlockReason": "Edm.String",
        "CreditAccountResubmissionDate": "Edm.DateTime", "CreditLimitAmount": "Edm.Decimal",
        "CreditLimitValidityEndDate": "Edm.DateTime", "CreditLimitLastChangeDate": "Edm.DateTime",
        "CreditLimitCalculatedAmount": "Edm.Decimal", "CreditLimitIsZero": "Edm.Boolean",
        "CreditLimitRequestedAmount": "Edm.Decimal", "CreditSegmentCurrency": "Edm.String",
    },
    updatable=frozenset({
        "CreditLimitAmount", "CreditLimitIsZero", "CreditAccountIsBlocked", "CreditAccountBlockReason",
        "CreditLimitValidityEndDate", "BusinessPartnerIsCritical", "CreditAccountResubmissionDate",
    }),
    etag=True,
)  # fmt: skip
CREDIT_PARTNER = EntitySet(
    CREDIT, "CreditMgmtBusinessPartner", "CreditMgmtBusinessPartnerType", ("BusinessPartner",),
    {
        "BusinessPartner": "Edm.String", "CrdtMgmtBusinessPartnerGroup": "Edm.String",
        "CreditWorthinessScoreValue": "Edm.String", "CreditRiskClass": "Edm.String", "CreditCheckRule": "Edm.String",
    },
)  # fmt: skip
LINE_ITEM = EntitySet(
    ITEMS, "A_OperationalAcctgDocItemCube", "A_OperationalAcctgDocItemCubeType",
    ("CompanyCode", "FiscalYear", "AccountingDocument", "AccountingDocumentItem"),
    {
        "CompanyCode": "Edm.String", "FiscalYear": "Edm.String", "AccountingDocument": "Edm.String",
        "AccountingDocumentItem": "Edm.String", "Customer": "Edm.String", "FinancialAccountType": "Edm.String",
        "AccountingDocumentType": "Edm.String", "DebitCreditCode": "Edm.String", "IsCleared": "Edm.Boolean",
        "ClearingAccountingDocument": "Edm.String", "ClearingDate": "Edm.DateTime", "PostingDate": "Edm.DateTime",
        "DocumentDate": "Edm.DateTime", "AccountingDocumentCreationDate": "Edm.DateTime",
        "DueCalculationBaseDate": "Edm.DateTime", "NetDueDate": "Edm.DateTime", "PaymentTerms": "Edm.String",
        "CashDiscount1Days": "Edm.Decimal", "CashDiscount1Percent": "Edm.Decimal", "AssignmentReference": "Edm.String",
        "DocumentReferenceID": "Edm.String", "InvoiceReference": "Edm.String",
        "InvoiceReferenceFiscalYear": "Edm.String", "SpecialGLCode": "Edm.String",
        "AmountInTransactionCurrency": "Edm.Decimal", "TransactionCurrency": "Edm.String",
        "AmountInCompanyCodeCurrency": "Edm.Decimal", "CompanyCodeCurrency": "Edm.String",
    },
)  # fmt: skip
CUSTOMER = EntitySet(
    PARTNERS, "A_Customer", "A_CustomerType", ("Customer",),
    {"Customer": "Edm.String", "CustomerName": "Edm.String", "CreationDate": "Edm.DateTime",
     "OrderIsBlockedForCustomer": "Edm.String", "DeletionIndicator": "Edm.Boolean"},
)  # fmt: skip
CUSTOMER_COMPANY = EntitySet(
    PARTNERS, "A_CustomerCompany", "A_CustomerCompanyType", ("Customer", "CompanyCode"),
    {"Customer": "Edm.String", "CompanyCode": "Edm.String", "PaymentTerms": "Edm.String",
     "DeletionIndicator": "Edm.Boolean"},
)  # fmt: skip

SALES_ORDER = EntitySet(
    ORDERS, "A_SalesOrder", "A_SalesOrderType", ("SalesOrder",),
    {"SalesOrder": "Edm.String", "SalesOrderType": "Edm.String", "SalesOrganization": "Edm.String",
     "SoldToParty": "Edm.String", "SalesOrderDate": "Edm.DateTime", "CreationDate": "Edm.DateTime",
     "LastChangeDate": "Edm.DateTime", "TotalNetAmount": "Edm.Decimal", "TransactionCurrency": "Edm.String",
     "OverallSDProcessStatus": "Edm.String", "OverallSDDocumentRejectionSts": "Edm.String",
     "TotalCreditCheckStatus": "Edm.String"},
)  # fmt: skip

ENTITY_SETS: dict[tuple[str, str], EntitySet] = {
    (s.service, s.name): s for s in (CREDIT_ACCOUNT, CREDIT_PARTNER, LINE_ITEM, CUSTOMER, CUSTOMER_COMPANY, SALES_ORDER)
}
NAVIGATION = {("CreditMgmtBusinessPartner", "to_CreditMgmtAccountTP"): "CreditManagementAccount"}


def metadata(service: str) -> str:
    """A trimmed EDMX of `service` (what pyodata and other generic clients load first)."""
    types, sets = [], []
    for s in ENTITY_SETS.values():
        if s.service != service:
            continue
        keys = "".join(f'<PropertyRef Name="{k}"/>' for k in s.keys)
        props = "".join(
            f'<Property Name="{n}" Type="{t}" Nullable="{"false" if n in s.keys else "true"}"'
            + (' Precision="15" Scale="2"' if t == "Edm.Decimal" else "")
            + (' sap:updatable="true"' if n in s.updatable else "")
            + "/>"
            for n, t in s.properties.items()
        )
        types.append(f'<EntityType Name="{s.entity_type}"><Key>{keys}</Key>{props}</EntityType>')
        sets.append(f'<EntitySet Name="{s.name}" EntityType="{service}.{s.entity_type}"/>')
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<edmx:Edmx Version="1.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" '
        'xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" '
        'xmlns:sap="http://www.sap.com/Protocols/SAPData">'
        f'<edmx:DataServices m:DataServiceVersion="2.0"><Schema Namespace="{service}" '
        'xmlns="http://schemas.microsoft.com/ado/2008/09/edm">'
        + "".join(types)
        + f'<EntityContainer Name="{service}_Entities" m:IsDefaultEntityContainer="true">'
        + "".join(sets)
        + "</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>"
    )
