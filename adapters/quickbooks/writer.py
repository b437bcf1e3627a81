"""Compare-and-set of a credit limit and hold on a QuickBooks Customer (sparse update + SyncToken).

The flow, and why:
1. Read the customer; its limit/hold (from the mechanism's storage) must equal `write.expected`.
2. If they do, send a sparse update of only our field(s) with the SyncToken just read and
   `requestid` = the write's idempotency key: QuickBooks answers a repeated requestid with the
   first response and does not apply twice, so a resend after a lost answer is safe.
3. If they do not, the write may still be ours, replayed (its answer was lost, or a person has
   edited since). We ask QuickBooks with the same requestid and the caller's *old* SyncToken: a
   known requestid returns the original answer (APPLIED); an unknown one hits a stale SyncToken
   (5010) and cannot apply — so this probe never overwrites anyone. With no version to probe
   with, it is a CONFLICT.
4. 5010 on a normal update: someone saved the customer in between. Re-read: if our fields moved,
   CONFLICT; if only other fields did, retry once on the new SyncToken with requestid key + "-2"
   (a requestid must not be reused for a different body, and the first one is burnt on the 5010).
A timeout raises WriteOutcomeUnknown (transport.py): the dispatcher reads back before resending.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from creditbridge.adapters.quickbooks.client import NOT_FOUND, STALE_OBJECT, QuickBooksClient, QuickBooksFault
from creditbridge.adapters.quickbooks.notes_tag import TagTooLong
from creditbridge.adapters.quickbooks.storage import Storage, values
from creditbridge.core.model import CreditProfile
from creditbridge.core.ports import ProfileWrite, WriteOutcome, WriteResult

RETRY_SUFFIX = "-2"


def _utc_today() -> date:
    return datetime.now(UTC).date()


class QuickBooksProfileWriter:
    def __init__(self, client: QuickBooksClient, storage: Storage, *, today: Callable[[], date] = _utc_today) -> None:
        self.client, self.storage, self._today = client, storage, today

    def read_customer(self, customer_id: str) -> dict[str, Any] | None:
        try:
            body = self.client.read("Customer", customer_id, self.storage.read_params)
        except QuickBooksFault as exc:
            if exc.code == NOT_FOUND:
                return None
            raise
        customer = body.get("Customer")
        return customer if isinstance(customer, dict) else None

    def read_credit_profile(self, customer_id: str) -> CreditProfile | None:
        customer = self.read_customer(customer_id)
        return None if customer is None else self.storage.profile(customer)

    def write_credit_profile(self, write: ProfileWrite) -> WriteResult:
        customer = self.read_customer(write.customer_id)
        if customer is None:
            return WriteResult(WriteOutcome.REJECTED, None, message=f"no customer {write.customer_id!r} in QuickBooks")
        current = self.storage.profile(customer)
        expected = (write.expected.credit_limit, write.expected.on_hold)
        if values(current) != expected:
            return self._probe_replay(write, current)
        result = self._update(customer, write, write.idempotency_key)
        if result is not None:
            return result
        # 5010: someone saved the customer since we read it
        customer = self.read_customer(write.customer_id)
        if customer is None:
            return WriteResult(WriteOutcome.REJECTED, None, message="the customer was deleted meanwhile")
        current = self.storage.profile(customer)
        if values(current) != expected:
            return _conflict(current)
        retried = self._update(customer, write, write.idempotency_key + RETRY_SUFFIX)
        if retried is None:
            return _conflict(current, "QuickBooks reported a stale SyncToken twice: the customer keeps changing")
        return retried

    def _update(self, customer: dict[str, Any], write: ProfileWrite, request_id: str) -> WriteResult | None:
        """A sparse update of our fields; None on a stale SyncToken."""
        current = self.storage.profile(customer)
        if write.wanted.credit_limit is not None and write.wanted.credit_limit < 0:
            message = f"credit limit {write.wanted.credit_limit} is negative"
            return WriteResult(WriteOutcome.REJECTED, current, message=message)
        try:
            fields = self.storage.sparse_fields(customer, write.wanted, self._today())
        except (TagTooLong, ValueError) as exc:
            return WriteResult(WriteOutcome.REJECTED, current, message=str(exc))
        body = {"Id": customer["Id"], "SyncToken": customer["SyncToken"], "sparse": True, **fields}
        return self._send(body, request_id, current)

    def _probe_replay(self, write: ProfileWrite, current: CreditProfile) -> WriteResult:
        """Was this write ours and already applied? Ask with its requestid and the old SyncToken."""
        if write.expected_version is None or write.expected_version == current.source_version:
            return _conflict(current)
        body = {"Id": write.customer_id, "SyncToken": write.expected_version, "sparse": True}
        try:
            fields = self.storage.sparse_fields({"Notes": None}, write.wanted, self._today())
        except (TagTooLong, ValueError):
            return _conflict(current)
        result = self._send({**body, **fields}, write.idempotency_key, current)
        return _conflict(current) if result is None or result.outcome is not WriteOutcome.APPLIED else result

    def _send(self, body: dict[str, Any], request_id: str, current: CreditProfile) -> WriteResult | None:
        try:
            answer = self.client.post("customer", body, request_id=request_id, params=self.storage.read_params)
        except QuickBooksFault as exc:
            if exc.code == STALE_OBJECT:
                return None
            return WriteResult(WriteOutcome.REJECTED, current, message=str(exc))
        saved = answer.get("Customer")
        if not isinstance(saved, dict):
            return WriteResult(WriteOutcome.REJECTED, current, message="QuickBooks answered without the customer")
        return WriteResult(WriteOutcome.APPLIED, self.storage.profile(saved), erp_reference=request_id)


def _conflict(current: CreditProfile, message: str | None = None) -> WriteResult:
    limit, hold = values(current)
    return WriteResult(WriteOutcome.CONFLICT, current, message=message or f"QuickBooks has limit {limit}, hold {hold}")
