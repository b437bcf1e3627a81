"""Cash applications posted as QuickBooks Payments, 30 to a batch request.

Why batches: QuickBooks allows 40 batch requests/min of up to 30 items against 500 single
requests/min, so a day's cash application costs a call per 30 payments. Why one `requestid`
per batch, derived from its posting keys: a resend of the same batch after a lost answer is
answered from QuickBooks' replay cache instead of recording the payments twice (batch
requestids are at most 36 characters, item bIds at most 10). Each item's Fault rejects only
its own posting. Credit memos are applied by a line linked to the CreditMemo, as QuickBooks does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from creditbridge.adapters.quickbooks.client import QuickBooksClient
from creditbridge.core.ports import CashApplicationPosting, PostingResult, WriteOutcome

BATCH_SIZE = 30
CM_PREFIX = "CM-"


def batch_request_id(postings: Sequence[CashApplicationPosting]) -> str:
    digest = hashlib.sha256("\n".join(p.posting_key for p in postings).encode()).hexdigest()
    return f"cb-{digest[:33]}"


def payment_body(posting: CashApplicationPosting) -> dict[str, Any]:
    lines = []
    for item_id, applied in posting.applications:
        credit = item_id.startswith(CM_PREFIX)
        txn_id = item_id[len(CM_PREFIX) :] if credit else item_id
        lines.append(
            {
                "Amount": format(abs(applied.amount), "f"),
                "LinkedTxn": [{"TxnId": txn_id, "TxnType": "CreditMemo" if credit else "Invoice"}],
            }
        )
    body: dict[str, Any] = {
        "CustomerRef": {"value": posting.customer_id},
        "TotalAmt": format(posting.amount.amount, "f"),
        "TxnDate": posting.paid_on.isoformat(),
        "PrivateNote": f"creditbridge posting {posting.posting_key}",
        "Line": lines,
    }
    if posting.reference:
        body["PaymentRefNum"] = posting.reference[:21]
    return body


class QuickBooksCashPoster:
    def __init__(self, client: QuickBooksClient) -> None:
        self.client = client

    def post_cash_applications(self, postings: Sequence[CashApplicationPosting]) -> tuple[PostingResult, ...]:
        results: list[PostingResult] = []
        for start in range(0, len(postings), BATCH_SIZE):
            results += self._post_batch(postings[start : start + BATCH_SIZE])
        return tuple(results)

    def _post_batch(self, batch: Sequence[CashApplicationPosting]) -> list[PostingResult]:
        items = [
            {"bId": f"p{n}", "operation": "create", "Payment": payment_body(posting)} for n, posting in enumerate(batch)
        ]
        answer = self.client.post("batch", {"BatchItemRequest": items}, request_id=batch_request_id(batch))
        by_id = {str(item.get("bId")): item for item in answer.get("BatchItemResponse") or []}
        results = []
        for n, posting in enumerate(batch):
            item = by_id.get(f"p{n}")
            if item is None:
                results.append(_rejected(posting, "no answer in the batch"))
            elif "Fault" in item:
                errors = item["Fault"].get("Error") or [{}]
                text = "; ".join(f"{e.get('code')}: {e.get('Message')} {e.get('Detail', '')}".strip() for e in errors)
                results.append(_rejected(posting, text))
            else:
                payment_id = str((item.get("Payment") or {}).get("Id", "")) or None
                results.append(PostingResult(posting.posting_key, WriteOutcome.APPLIED, erp_reference=payment_id))
        return results


def _rejected(posting: CashApplicationPosting, message: str) -> PostingResult:
    return PostingResult(posting.posting_key, WriteOutcome.REJECTED, message=message)
