"""Compare-and-set of a credit limit and block on an S/4HANA CreditManagementAccount (PATCH with If-Match).

The flow, and why:
1. A write whose idempotency key this adapter already applied is APPLIED again without sending
   (the journal; OData has no idempotency key of its own).
2. Read the partner with its accounts. If the limit/block are not `expected`: when they already
   are `wanted`, our earlier PATCH went through and its answer was lost (APPLIED); otherwise a
   person changed them since the review: CONFLICT.
3. PATCH only our properties with If-Match = the ETag just read (CSRF by the client). 412 means
   someone saved the account in between: re-read; if our fields moved, CONFLICT; if only others
   did, PATCH once more on the new ETag. A partner without an account in the segment gets one
   created (POST …/to_CreditMgmtAccountTP). 400 is REJECTED with Gateway's message.
"No limit" is CreditLimitAmount 0 with CreditLimitIsZero false; a limit of 0 sets CreditLimitIsZero.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from creditbridge.adapters.sap.codes import fits_scale
from creditbridge.adapters.sap.odata.client import GatewayError, ODataClient
from creditbridge.adapters.sap.odata.reader import CREDIT, S4Reader
from creditbridge.core.model import CreditProfile
from creditbridge.core.ports import ProfileWrite, WriteOutcome, WriteResult


class S4CreditWriter:
    def __init__(self, client: ODataClient, reader: S4Reader) -> None:
        self.client, self.reader, self.settings = client, reader, reader.settings
        self.journal: dict[str, str] = {}  # idempotency key -> reference, of writes this adapter applied

    def _partner(self, customer_id: str) -> dict[str, Any] | None:
        try:
            body, _ = self.client.get(
                CREDIT, f"CreditMgmtBusinessPartner('{quote(customer_id)}')", {"$expand": "to_CreditMgmtAccountTP"}
            )
        except GatewayError as exc:
            if exc.status == 404:
                return None
            raise
        return dict(body["d"])

    def read_credit_profile(self, customer_id: str) -> CreditProfile | None:
        partner = self._partner(customer_id)
        return None if partner is None else self.reader.profile(partner)

    def write_credit_profile(self, write: ProfileWrite, *, again: bool = True) -> WriteResult:
        partner = self._partner(write.customer_id)
        if partner is None:
            return WriteResult(
                WriteOutcome.REJECTED, None, message=f"{write.customer_id} has no credit master data in SAP"
            )
        current = self.reader.profile(partner)
        if write.idempotency_key in self.journal:
            return WriteResult(WriteOutcome.APPLIED, current, erp_reference=self.journal[write.idempotency_key])
        account = self.reader.account_of(list((partner.get("to_CreditMgmtAccountTP") or {}).get("results") or []))
        segment = account["CreditSegment"] if account else self._segment_for(write.wanted.currency)
        reference = f"{write.customer_id}/{segment}"
        values = _values(current)
        if values != (write.expected.credit_limit, write.expected.on_hold):
            if values == (write.wanted.credit_limit, write.wanted.on_hold):
                self.journal[write.idempotency_key] = reference
                return WriteResult(WriteOutcome.APPLIED, current, erp_reference=reference, message="SAP already has it")
            return _conflict(current)
        currency = account["CreditSegmentCurrency"] if account else self._currency(segment)
        problem = _invalid(write, currency)
        if problem is not None:
            return WriteResult(WriteOutcome.REJECTED, current, message=problem)
        body = self._body(write)
        try:
            if account is None:
                path = f"CreditMgmtBusinessPartner('{quote(write.customer_id)}')/to_CreditMgmtAccountTP"
                new = {
                    "BusinessPartner": write.customer_id,
                    "CreditSegment": segment,
                    "CreditSegmentCurrency": currency,
                }
                self.client.write("POST", CREDIT, path, {**new, **body})
            else:
                etag = str((account.get("__metadata") or {}).get("etag") or "*")
                keys = f"BusinessPartner='{quote(write.customer_id)}',CreditSegment='{quote(segment)}'"
                path = f"CreditManagementAccount({keys})"
                self.client.write("PATCH", CREDIT, path, body, if_match=etag)
        except GatewayError as exc:
            if exc.status == 412 and again:
                return self.write_credit_profile(write, again=False)
            if exc.status == 412:
                return _conflict(current, f"SAP reported the account changed twice meanwhile: {exc.message}")
            return WriteResult(WriteOutcome.REJECTED, current, message=f"SAP refused the change: {exc.message}")
        self.journal[write.idempotency_key] = reference
        return WriteResult(WriteOutcome.APPLIED, self.read_credit_profile(write.customer_id), erp_reference=reference)

    def _body(self, write: ProfileWrite) -> dict[str, Any]:
        limit = write.wanted.credit_limit
        return {
            "CreditLimitAmount": "0" if limit is None else format(limit, "f"),
            "CreditLimitIsZero": limit is not None and limit == 0,
            "CreditAccountIsBlocked": write.wanted.on_hold,
            "CreditAccountBlockReason": self.settings.block_reason if write.wanted.on_hold else "",
        }

    def _segment_for(self, currency: str) -> str:
        for company in self.settings.company_codes:
            if company.currency == currency:
                return company.credit_segment
        return self.settings.company_codes[0].credit_segment

    def _currency(self, segment: str) -> str:
        return next(c.currency for c in self.settings.company_codes if c.credit_segment == segment)


def _invalid(write: ProfileWrite, currency: str) -> str | None:
    limit = write.wanted.credit_limit
    if write.wanted.currency != currency:
        return f"the credit segment's limits are in {currency}, not {write.wanted.currency}"
    if limit is not None and limit < 0:
        return f"credit limit {limit} is negative"
    if limit is not None and not fits_scale(limit, 2):
        return f"SAP keeps credit limits to the cent (CreditLimitAmount, 2 decimals); {limit} would be rounded"
    return None


def _values(profile: CreditProfile) -> tuple[object, bool]:
    return (None if profile.credit_limit is None else profile.credit_limit.amount, profile.on_hold)


def _conflict(current: CreditProfile, message: str | None = None) -> WriteResult:
    limit, hold = _values(current)
    return WriteResult(WriteOutcome.CONFLICT, current, message=message or f"SAP has limit {limit}, block {hold}")
