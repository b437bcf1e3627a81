"""Where a credit limit and hold live on a QuickBooks Customer, per the mapping's write-back mechanism.

notes_tag: the tag in Customer.Notes (notes_tag.py); custom_field: the same tag text in one
String custom field (DefinitionId from the mapping, read with include=enhancedAllCustomFields);
inactive: hold = not Active, and no limit (it stays in creditbridge). Reading and writing go
through the same two functions so a profile always reads back as it was written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from creditbridge.adapters.quickbooks.notes_tag import CreditTag, merge_tag, parse_tag
from creditbridge.adapters.quickbooks.translate import Json, currency_of
from creditbridge.core.model import CreditProfile
from creditbridge.core.money import Money
from creditbridge.core.ports import ProfileValues

Mechanism = Literal["notes_tag", "custom_field", "inactive"]


@dataclass(frozen=True, slots=True)
class Storage:
    mechanism: Mechanism = "notes_tag"
    custom_field_id: str | None = None
    default_currency: str = "USD"

    @property
    def read_params(self) -> dict[str, str]:
        return {"include": "enhancedAllCustomFields"} if self.mechanism == "custom_field" else {}

    def tag_text(self, customer: Json) -> str | None:
        if self.mechanism == "notes_tag":
            return customer.get("Notes")
        for field in customer.get("CustomField") or []:
            if str(field.get("DefinitionId")) == self.custom_field_id:
                return str(field.get("StringValue") or "")
        return None

    def profile(self, customer: Json) -> CreditProfile:
        """The customer's credit profile as stored by the mechanism (no tag: no limit, no hold)."""
        cid, version = str(customer["Id"]), customer.get("SyncToken")
        currency = currency_of(customer, self.default_currency)
        if self.mechanism == "inactive":
            return CreditProfile(cid, None, on_hold=customer.get("Active") is False, source_version=version)
        tag = parse_tag(self.tag_text(customer))
        if tag is None:
            return CreditProfile(cid, None, source_version=version)
        limit = None if tag.credit_limit is None else Money(tag.credit_limit, tag.currency or currency)
        return CreditProfile(cid, limit, on_hold=tag.on_hold, source_version=version)

    def sparse_fields(self, customer: Json, wanted: ProfileValues, today: date) -> dict[str, Any]:
        """The fields of a sparse update that store `wanted` (ValueError if the mechanism cannot)."""
        if self.mechanism == "inactive":
            if wanted.credit_limit is not None:
                raise ValueError("writeback mechanism 'inactive' stores a hold only, not a credit limit")
            return {"Active": not wanted.on_hold}
        tag = CreditTag(wanted.credit_limit, wanted.currency, wanted.on_hold, today)
        if self.mechanism == "notes_tag":
            return {"Notes": merge_tag(customer.get("Notes"), tag)}
        text = merge_tag(None, tag, limit=100)
        return {"CustomField": [{"DefinitionId": self.custom_field_id, "Type": "StringType", "StringValue": text}]}


def values(profile: CreditProfile) -> tuple[Any, bool]:
    """(limit amount or None, hold): what compare-and-set compares."""
    return (None if profile.credit_limit is None else profile.credit_limit.amount, profile.on_hold)
