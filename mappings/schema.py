"""The mapping file's schema: what finance IT may write in mappings/<erp>.yaml, checked strictly.

Why strict pydantic models with `extra="forbid"`: a mapping decides which ERP field becomes a
credit limit, so a typo (`credit_limt`) or a number where a code belongs (`0001` read as 1) must
stop the sync with the file and line, never be ignored. One model per ERP (`QuickBooksMapping`,
`SapMapping`, …) narrows `scope` and `writeback` to what that ERP has; all share the base
`ErpMapping`, which is what the shell codes against.

A mapping has five parts:
- `scope`: which company / realm / company code / org / credit segment to read;
- `fields`: per entity, core field -> ERP field (`name: DisplayName`), or `{field: ..., default: ...}`;
- `translations`: code tables (payment terms -> days, ERP currency -> ISO, document types ->
  INV/DM/CM, customer groups -> risk classes, hold flags -> true/false, order statuses). A table
  that is absent means "the ERP already uses our codes"; a table that is present is complete,
  and a code missing from it is an error naming the table (see `translation`);
- `writeback`: how a credit limit and hold are written to this ERP (`mechanism` and its settings);
- `version` and `description`.

Checks of one value (an ERP field name's syntax, the QuickBooks tag format) are validators, so
they are reported with the type errors; checks across sections (a write-back mechanism against
the SAP system in `scope`) are `section_problems`, which the loader runs on every section that
validated, so one pass over a file reports everything; models built in code run them too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from creditbridge.core.model import DocType, OrderStatus
from creditbridge.mappings import translation

ErpKind = Literal["quickbooks", "sap", "oracle", "files", "memory"]
ERP_KINDS: tuple[str, ...] = ("quickbooks", "sap", "oracle", "files", "memory")

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. USD")]
Code = Annotated[str, Field(min_length=0, max_length=64)]

# Free text for the files adapter's column headers; ERP field paths are checked per ERP (FieldRule).
_ERP_FIELD_TEXT = r"^[^\x00-\x1f\x7f\"'`;\\]{1,128}$"
ERP_IDENTIFIER = re.compile(r"^[A-Za-z_/][A-Za-z0-9_$#/]*(?:[.\-][A-Za-z_/][A-Za-z0-9_$#/]*)*$")
"""An ERP field path: identifiers joined by '.' or '-' (`CurrencyRef.value`, `KNKK-KLIMK`, `/BIC/ZLIMIT`)."""
FIELD_NAME_MESSAGE = (
    "not an ERP field name: use the ERP's field path, letters, digits and _ joined by . or -, "
    "e.g. KNKK.KLIMK or CurrencyRef.value"
)


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class FieldRule(_Strict):
    """Where a core field comes from: an ERP field, a constant default, or both (default when empty)."""

    field: Annotated[str, Field(pattern=_ERP_FIELD_TEXT)] | None = Field(
        default=None, description="The ERP field (or CSV column) holding the value."
    )
    default: str | None = Field(default=None, max_length=256, description="Used when the ERP field is absent or empty.")

    @field_validator("field")
    @classmethod
    def _erp_field_syntax(cls, value: str | None, info: ValidationInfo) -> str | None:
        erp = info.context.get("erp") if info.context else None
        if value is not None and erp not in (None, "files", "memory") and not ERP_IDENTIFIER.match(value):
            raise PydanticCustomError("erp_field", FIELD_NAME_MESSAGE)
        return value

    @model_validator(mode="after")
    def _field_or_default(self) -> Self:
        if self.field is None and self.default is None:
            raise PydanticCustomError("field_or_default", "give `field: <ERP field>` or `default: <value>`")
        return self


def _shorthand(value: Any) -> Any:
    """`name: DisplayName` is short for `name: {field: DisplayName}`."""
    if isinstance(value, str):
        return {"field": value}
    if isinstance(value, dict | FieldRule):
        return value
    raise PydanticCustomError(
        "field_spec", "expected an ERP field name (text) or {field: ..., default: ...}, got {kind}",
        {"kind": type(value).__name__},
    )  # fmt: skip


FieldSpec = Annotated[FieldRule, BeforeValidator(_shorthand, json_schema_input_type=str | FieldRule)]


class _Entity(_Strict):
    """Core field -> ERP field for one entity; fields without a default are required."""

    def items(self) -> Iterator[tuple[str, FieldRule]]:
        for name in type(self).model_fields:
            rule = getattr(self, name)
            if rule is not None:
                yield name, rule


class CustomerFields(_Entity):
    customer_id: FieldSpec
    name: FieldSpec
    currency: FieldSpec | None = None
    parent_id: FieldSpec | None = None
    payment_terms_days: FieldSpec | None = Field(default=None, description="Translated by translations.payment_terms.")
    risk_class: FieldSpec | None = Field(default=None, description="Translated by translations.risk_classes.")
    tax_id: FieldSpec | None = None
    bank_accounts: FieldSpec | None = None
    active: FieldSpec | None = None


class OpenItemFields(_Entity):
    item_id: FieldSpec
    doc_type: FieldSpec = Field(description="Translated by translations.document_types to INV, DM or CM.")
    customer_id: FieldSpec
    invoice_date: FieldSpec
    due_date: FieldSpec | None = Field(default=None, description="Or baseline_date + payment_terms_days.")
    baseline_date: FieldSpec | None = None
    payment_terms_days: FieldSpec | None = None
    amount: FieldSpec
    open_amount: FieldSpec
    currency: FieldSpec | None = None
    po_number: FieldSpec | None = None
    discount_percent: FieldSpec | None = None
    discount_days: FieldSpec | None = None


class PaymentFields(_Entity):
    payment_id: FieldSpec
    customer_id: FieldSpec
    payment_date: FieldSpec
    amount: FieldSpec
    currency: FieldSpec | None = None
    reference: FieldSpec | None = None
    applications: FieldSpec | None = Field(default=None, description="Where the documents a payment settles are.")


class OrderFields(_Entity):
    order_number: FieldSpec
    customer_id: FieldSpec
    order_date: FieldSpec
    amount: FieldSpec
    currency: FieldSpec | None = None
    status: FieldSpec | None = Field(default=None, description="Translated by translations.order_statuses.")


class CreditProfileFields(_Entity):
    customer_id: FieldSpec
    credit_limit: FieldSpec | None = None
    on_hold: FieldSpec | None = Field(default=None, description="Translated by translations.hold_flags.")
    currency: FieldSpec | None = None
    risk_class: FieldSpec | None = None
    score: FieldSpec | None = None
    review_date: FieldSpec | None = None
    source_version: FieldSpec | None = Field(default=None, description="The ERP's record version (SyncToken, …).")


class WriteOffFields(_Entity):
    item_id: FieldSpec
    written_off_on: FieldSpec
    amount: FieldSpec
    currency: FieldSpec | None = None
    reason: FieldSpec | None = None


class Fields(_Strict):
    """Per entity, which ERP field holds each core field. Leave out an entity the ERP does not have."""

    customers: CustomerFields
    open_items: OpenItemFields | None = None
    payments: PaymentFields | None = None
    orders: OrderFields | None = None
    credit_profiles: CreditProfileFields | None = None
    writeoffs: WriteOffFields | None = None

    def entities(self) -> Iterator[tuple[str, _Entity]]:
        for name in type(self).model_fields:
            entity = getattr(self, name)
            if entity is not None:
                yield name, entity


TermDays = Annotated[int, Field(ge=0, le=3650)]
RiskClass = Annotated[str, Field(min_length=1, max_length=32)]


class Translations(_Strict):
    """Code tables, ERP code -> our value. Absent: the ERP already uses our codes. Present: complete."""

    payment_terms: dict[Code, TermDays] | None = Field(default=None, description="Payment terms code -> days.")
    currencies: dict[Code, Currency] | None = Field(default=None, description="ERP currency code -> ISO 4217.")
    document_types: dict[Code, Literal["INV", "DM", "CM"]] | None = Field(
        default=None, description="Document type -> INV/DM/CM."
    )
    risk_classes: dict[Code, RiskClass] | None = Field(default=None, description="Customer group -> risk class.")
    hold_flags: dict[Code, bool] | None = Field(default=None, description="How the ERP spells on hold (true/false).")
    order_statuses: dict[Code, Literal["open", "closed", "cancelled"]] | None = Field(
        default=None, description="Status -> open/closed/cancelled."
    )


class Scope(_Strict):
    default_currency: Currency | None = Field(default=None, description="Currency of records that carry none.")


class QuickBooksScope(Scope):
    realm_id: Annotated[str, Field(pattern=r"^[0-9]{1,32}$")] | None = Field(
        default=None, description="The QuickBooks company (realm) id; default: the connection's."
    )
    home_currency: Currency | None = None
    include_inactive: bool = Field(default=True, description="Read inactive customers too (their items still count).")


SapCode = Annotated[str, Field(pattern=r"^[A-Z0-9]{4}$")]
SapSegment = Annotated[str, Field(pattern=r"^[A-Z0-9_]{1,10}$")]


class SapCompanyCode(_Strict):
    """One company code (BUKRS) read, with where its customers' credit accounts live."""

    code: SapCode = Field(description="BUKRS, e.g. '1000'.")
    currency: Currency = Field(description="The company code's currency (T001-WAERS) = its credit area's (T014-WAERS).")
    credit_control_area: SapCode | None = Field(default=None, description="ECC: KKBER of this company code.")
    credit_segment: SapSegment | None = Field(default=None, description="S/4HANA: CREDIT_SGMNT of this company code.")


class SapScope(Scope):
    system: Literal["ecc", "s4"] = Field(description="ecc: classic credit management (KNKK); s4: FSCM (UKM).")
    company_code: SapCode | None = Field(default=None, description="One company code; or list company_codes.")
    currency: Currency | None = Field(default=None, description="With company_code: its currency.")
    credit_control_area: SapCode | None = None
    credit_segment: SapSegment | None = None
    company_codes: list[SapCompanyCode] | None = Field(
        default=None, description="Several company codes, each with currency and credit control area / segment."
    )
    sales_organization: SapCode | None = None
    payment_document_types: list[Annotated[str, Field(pattern=r"^[A-Z0-9]{2}$")]] = Field(
        default=["DZ"], description="Document types (BLART) of incoming payments."
    )
    writeoff_document_types: list[Annotated[str, Field(pattern=r"^[A-Z0-9]{2}$")]] = Field(
        default=[], description="Document types (BLART) of bad-debt write-offs; none: write-offs are not read."
    )
    history_from: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")] = Field(
        default="2000-01-01", description="Cleared items and payments are read from this day ('YYYY-MM-DD')."
    )
    system_timezone: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        default="UTC", description="The SAP system's time zone (IANA name): SAP's change dates are in it."
    )


class OracleScope(Scope):
    org_id: Annotated[int, Field(ge=0)] = Field(description="The operating unit (ORG_ID) whose receivables to read.")
    operating_unit: str | None = Field(default=None, max_length=240, description="Its name, for people.")
    profile_level: Literal["account"] = Field(
        default="account", description="account: the account-level profile (SITE_USE_ID empty); site level is not read."
    )
    user_id: Annotated[int, Field(ge=0)] | None = Field(
        default=None, description="FND_USER.USER_ID the TCA APIs act as (FND_GLOBAL.APPS_INITIALIZE); for write-back."
    )
    responsibility_id: Annotated[int, Field(ge=0)] | None = Field(
        default=None, description="FND_RESPONSIBILITY.RESPONSIBILITY_ID with access to the operating unit."
    )
    responsibility_application_id: Annotated[int, Field(ge=0)] = Field(
        default=222, description="The responsibility's application id (222 = Receivables)."
    )


class FilesScope(Scope):
    pass


class MemoryScope(Scope):
    pass




class QuickBooksWriteback(_Strict):
    """QuickBooks Online has no credit limit or hold field: where creditbridge puts them instead."""

    mechanism: Literal["notes_tag", "custom_field", "inactive"] = Field(
        description="notes_tag: a tag merged into Customer.Notes; custom_field: a Custom Fields API "
        "field; inactive: a hold makes the customer inactive (the limit stays in creditbridge)."
    )
    custom_field_id: Annotated[str, Field(pattern=r"^[0-9]{1,20}$")] | None = Field(
        default=None,
        description="With mechanism custom_field: the DefinitionId of the String custom field on Customer "
        "(the Custom Fields API's legacyIDV2).",
    )


class SapWriteback(_Strict):
    mechanism: Literal["rfc_function", "odata"] = Field(
        description="rfc_function: ECC KNKK through your RFC-enabled Z-function (README, SAP ECC write contract); "
        "odata: S/4HANA API_CRDTMBUSINESSPARTNER CreditManagementAccount (PATCH)."
    )
    credit_control_area: SapCode | None = None
    credit_segment: SapSegment | None = None
    function_module: Annotated[str, Field(pattern=r"^[A-Z/][A-Z0-9_/]{0,29}$")] | None = Field(
        default=None, description="ECC: the RFC-enabled function that writes KNKK (no released BAPI exists)."
    )
    tid_table: Annotated[str, Field(pattern=r"^[A-Z/][A-Z0-9_/]{0,15}$")] = Field(
        default="ZCB_CREDIT_TID", description="ECC: the table where the function records applied transaction ids."
    )
    no_limit_amount: Annotated[str, Field(pattern=r"^\d{1,13}(\.\d{1,2})?$")] = Field(
        default="9999999999999.99", description="ECC: the KLIMK that means 'no limit' (KNKK has no empty limit)."
    )
    block_reason: Annotated[str, Field(pattern=r"^[A-Z0-9]{1,2}$")] | None = Field(
        default=None, description="S/4HANA: CreditAccountBlockReason set with a hold."
    )


class OracleWriteback(_Strict):
    mechanism: Literal["profile_amounts_api"] = Field(
        description="HZ_CUSTOMER_PROFILE_V2PUB: OVERALL_CREDIT_LIMIT and CREDIT_HOLD through the public API."
    )
    currency: Currency = Field(
        description="The profile amounts row (one per currency) a credit profile shows when an account has several."
    )
    receipt_method_id: Annotated[int, Field(ge=0)] | None = Field(
        default=None,
        description="AR_RECEIPT_METHODS.RECEIPT_METHOD_ID of the receipts creditbridge posts (cash application); "
        "leave out to post none.",
    )


class DirectWriteback(_Strict):
    mechanism: Literal["direct"] = "direct"


@dataclass(frozen=True, slots=True)
class Problem:
    """A check across fields that failed, at a path in the mapping (`("writeback", "function_module")`)."""

    path: tuple[str | int, ...]
    message: str
    hint: str | None = None


class ErpMapping(_Strict):
    """A validated mapping file; frozen. Build with `load_mapping(path)` (errors with file:line)."""

    version: Literal[1] = Field(default=1, description="Format of the mapping file.")
    erp: ErpKind
    description: str | None = Field(default=None, max_length=500)
    scope: Scope
    fields: Fields
    translations: Translations = Translations()
    writeback: QuickBooksWriteback | SapWriteback | OracleWriteback | DirectWriteback

    _source: Path | None = PrivateAttr(default=None)

    @property
    def source(self) -> Path | None:
        """The file this mapping was read from (None when built in code)."""
        return self._source

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Self:
        if info.context and info.context.get("defer_checks"):
            return self  # the loader runs problems() itself, to report each at its own line
        found = self.problems()
        if found:
            raise ValueError("; ".join(f"{'.'.join(map(str, p.path))}: {p.message}" for p in found))
        return self

    def problems(self) -> list[Problem]:
        """Checks across fields, beyond what each field's type says (empty: consistent)."""
        found = [Problem(path, FIELD_NAME_MESSAGE) for path, rule in self._field_rules()
                 if rule.field is not None and self.erp not in ("files", "memory")
                 and not ERP_IDENTIFIER.match(rule.field)]  # fmt: skip
        return found + type(self).section_problems(self.scope, self.fields, self.writeback)

    @classmethod
    def section_problems(cls, scope: Any, fields: Fields | None, writeback: Any) -> list[Problem]:
        """Checks across sections; a section that did not validate is None and its checks are skipped."""
        items = fields.open_items if fields is not None else None
        if items is not None and items.due_date is None and items.payment_terms_days is None:
            return [Problem(("fields", "open_items"), "an open item needs a due date",
                            "map due_date, or baseline_date and payment_terms_days")]  # fmt: skip
        return []

    def _field_rules(self) -> Iterator[tuple[tuple[str | int, ...], FieldRule]]:
        for entity, fields in self.fields.entities():
            for core_field, rule in fields.items():
                yield ("fields", entity, core_field), rule

    # Translations ------------------------------------------------------------------------------

    def translate(self, table: translation.TableName, code: object) -> object:
        """The value of ERP `code` in translation table `table` (`translate("payment_terms", "NET30")` -> 30).

        Raises `TranslationError` naming the table and this file when the table is present but
        lacks the code, or when it is absent and the code is not already one of ours.
        """
        return translation.translate(self, table, code)

    def payment_terms_days(self, code: object) -> int:
        return translation.translate_terms(self, code)

    def currency(self, code: object) -> str:
        return translation.translate_currency(self, code)

    def doc_type(self, code: object) -> DocType:
        return translation.translate_doc_type(self, code)

    def risk_class(self, code: object) -> str:
        return translation.translate_risk_class(self, code)

    def on_hold(self, code: object) -> bool:
        return translation.translate_hold(self, code)

    def order_status(self, code: object) -> OrderStatus:
        return translation.translate_order_status(self, code)

    def erp_code(self, table: translation.TableName, value: object) -> str:
        """The ERP code that `table` translates to `value` (for write-back: `erp_code("hold_flags", True)`)."""
        return translation.erp_code(self, table, value)

    # Fields -----------------------------------------------------------------------------------

    def erp_field(self, entity: str, core_field: str) -> str | None:
        """The ERP field mapped to `core_field` of `entity` (None if unmapped or a constant)."""
        rule = self.field_rule(entity, core_field)
        return rule.field if rule else None

    def field_rule(self, entity: str, core_field: str) -> FieldRule | None:
        """How `core_field` of `entity` is read (None if the mapping leaves it out)."""
        fields = getattr(self.fields, entity, None)
        if fields is None:
            return None
        rule = getattr(fields, core_field, None)
        return rule if isinstance(rule, FieldRule) else None


class QuickBooksMapping(ErpMapping):
    erp: Literal["quickbooks"]
    scope: QuickBooksScope = QuickBooksScope()
    writeback: QuickBooksWriteback

    @classmethod
    def section_problems(cls, scope: Any, fields: Fields | None, writeback: Any) -> list[Problem]:
        found = super().section_problems(scope, fields, writeback)
        wb = writeback if isinstance(writeback, QuickBooksWriteback) else None
        if wb is not None and wb.mechanism == "custom_field" and wb.custom_field_id is None:
            found.append(
                Problem(
                    ("writeback", "custom_field_id"),
                    "mechanism custom_field needs custom_field_id",
                    'the DefinitionId of the String custom field on Customer, in quotes, e.g. "540344"',
                )
            )
        return found


MECHANISM: tuple[str | int, ...] = ("writeback", "mechanism")
_ON_S4 = "on S/4HANA use mechanism: odata, or set scope.system: ecc"
_ON_ECC = "on ECC use mechanism: rfc_function, or set scope.system: s4"
_KKBER = "set writeback.credit_control_area or scope.credit_control_area (KKBER, 4 characters)"
_SEGMENT = "set writeback.credit_segment or scope.credit_segment (CREDIT_SGMNT)"
_ZFM = "SAP has no released BAPI that writes KNKK: name your RFC-enabled wrapper, e.g. Z_CREDITBRIDGE_SET_CREDIT"
_CODES = 'give scope.company_code with scope.currency, or a list scope.company_codes: - {code: "1000", currency: EUR}'

SAP_READS: dict[str, dict[str, frozenset[str]]] = {
    "customers": {
        "customer_id": frozenset({"KNA1.KUNNR", "A_Customer.Customer"}),
        "name": frozenset({"KNA1.NAME1", "A_Customer.CustomerName"}),
        "currency": frozenset({"T001.WAERS"}),
        "parent_id": frozenset({"KNKK.KNKLI"}),
        "payment_terms_days": frozenset({"KNB1.ZTERM", "A_CustomerCompany.PaymentTerms"}),
        "tax_id": frozenset({"KNA1.STCD1"}),
        "bank_accounts": frozenset({"KNBK.BANKN"}),
    },
    "credit_profiles": {
        "customer_id": frozenset({"KNKK.KUNNR", "CreditManagementAccount.BusinessPartner"}),
        "credit_limit": frozenset({"KNKK.KLIMK", "CreditManagementAccount.CreditLimitAmount"}),
        "on_hold": frozenset({"KNKK.CRBLB", "CreditManagementAccount.CreditAccountIsBlocked"}),
        "currency": frozenset({"T014.WAERS", "CreditManagementAccount.CreditSegmentCurrency"}),
        "risk_class": frozenset({"KNKK.CTLPC", "CreditMgmtBusinessPartner.CreditRiskClass"}),
        "review_date": frozenset({"KNKK.NXTRV", "CreditManagementAccount.CreditAccountResubmissionDate"}),
        "source_version": frozenset({"KNKK.AEDAT", "CreditManagementAccount.ETag"}),
    },
}
"""What the SAP adapter reads for each core field it maps from master data (ECC and S/4HANA spelling).

The adapter reads fixed tables and BAPI structures (line items: BAPI3007_2 / A_OperationalAcctgDocItemCube),
so the `fields` section documents them; naming another field here would be silently ignored, so it is refused.
"""


class SapMapping(ErpMapping):
    erp: Literal["sap"]
    scope: SapScope
    writeback: SapWriteback

    @classmethod
    def section_problems(cls, scope: Any, fields: Fields | None, writeback: Any) -> list[Problem]:
        found = super().section_problems(scope, fields, writeback)
        if fields is not None:
            for entity, reads in SAP_READS.items():
                rules = getattr(fields, entity, None)
                for core_field, rule in rules.items() if rules is not None else ():
                    if rule.field is not None and core_field in reads and rule.field not in reads[core_field]:
                        found.append(Problem(
                            ("fields", entity, core_field),
                            f"the SAP adapter reads {core_field} from {' or '.join(sorted(reads[core_field]))}, "
                            f"not {rule.field}",
                            "write the field the adapter reads, or leave the line out",
                        ))  # fmt: skip
        if isinstance(scope, SapScope) and (scope.company_code is None) == (scope.company_codes is None):
            found.append(Problem(("scope", "company_code"), "name the company code(s) to read exactly once", _CODES))
        if isinstance(scope, SapScope) and scope.company_code is not None and scope.currency is None:
            found.append(Problem(("scope", "currency"), "scope.currency is missing", "the company code's currency"))
        if not isinstance(writeback, SapWriteback) or not isinstance(scope, SapScope):
            return found
        ecc = writeback.mechanism == "rfc_function"
        single = scope.company_codes is None
        if ecc and scope.system != "ecc":
            found.append(Problem(MECHANISM, "rfc_function writes ECC credit accounts (KNKK)", _ON_S4))
        if ecc and single and (writeback.credit_control_area or scope.credit_control_area) is None:
            found.append(Problem(("writeback", "credit_control_area"), "the credit control area is missing", _KKBER))
        if ecc and writeback.function_module is None:
            found.append(Problem(("writeback", "function_module"), "rfc_function needs function_module", _ZFM))
        if not ecc and scope.system != "s4":
            found.append(Problem(MECHANISM, "odata writes S/4HANA credit accounts (UKM)", _ON_ECC))
        if not ecc and single and (writeback.credit_segment or scope.credit_segment) is None:
            found.append(Problem(("writeback", "credit_segment"), "the credit segment is missing", _SEGMENT))
        for n, company in enumerate(scope.company_codes or []):
            if ecc and company.credit_control_area is None:
                found.append(Problem(("scope", "company_codes", n, "credit_control_area"), "missing", _KKBER))
            if not ecc and company.credit_segment is None:
                found.append(Problem(("scope", "company_codes", n, "credit_segment"), "missing", _SEGMENT))
        return found

    @property
    def credit_control_area(self) -> str | None:
        """The credit control area written to (ECC, one company code): the write-back's, else the scope's."""
        return self.writeback.credit_control_area or self.scope.credit_control_area

    @property
    def credit_segment(self) -> str | None:
        """The credit segment written to (S/4HANA, one company code): the write-back's, else the scope's."""
        return self.writeback.credit_segment or self.scope.credit_segment


class OracleMapping(ErpMapping):
    erp: Literal["oracle"]
    scope: OracleScope
    writeback: OracleWriteback


class FilesMapping(ErpMapping):
    erp: Literal["files"]
    scope: FilesScope = FilesScope()
    writeback: DirectWriteback = DirectWriteback()


class MemoryMapping(ErpMapping):
    erp: Literal["memory"]
    scope: MemoryScope = MemoryScope()
    writeback: DirectWriteback = DirectWriteback()


MAPPING_MODELS: dict[str, type[ErpMapping]] = {
    "quickbooks": QuickBooksMapping,
    "sap": SapMapping,
    "oracle": OracleMapping,
    "files": FilesMapping,
    "memory": MemoryMapping,
}


