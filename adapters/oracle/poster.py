"""Cash-application posting through AR_RECEIPT_API_PUB: a receipt (`create_cash`) and its applications (`apply`).

One posting is one database transaction: the posting key is looked up in XXCB_WRITEBACK_KEYS (a
key seen before answers APPLIED with the receipt recorded then, and posts nothing), the FND/MOAC
context is set, `create_cash` makes the receipt (receipt number: the posting's reference, else its
key), `apply` applies it to each item (TRX_NUMBER and installment from the item key), the key is
recorded and the transaction committed — only when every call answered 'S'; otherwise it is
rolled back and the posting REJECTED with every FND message (an over-application, an unknown
transaction). A connection lost during COMMIT raises WriteOutcomeUnknown (the resend finds the
key); ORA-00054 and lost connections before it are ErpUnavailable, retriable.
"""

from __future__ import annotations

from collections.abc import Sequence

from creditbridge.adapters.oracle import sql
from creditbridge.adapters.oracle.errors import ROW_LOCKED, error_info, translate
from creditbridge.adapters.oracle.options import OracleOptions
from creditbridge.adapters.oracle.plsql import call_api, initialize, record_key, seen_key
from creditbridge.adapters.oracle.seam import DbConnection, SessionSource
from creditbridge.core.ports import CashApplicationPosting, PostingResult, WriteOutcome, WriteOutcomeUnknown


class OracleCashPoster:
    def __init__(self, sessions: SessionSource, options: OracleOptions, receipt_method_id: int) -> None:
        self.sessions, self.options, self.receipt_method_id = sessions, options, receipt_method_id

    def post_cash_applications(self, postings: Sequence[CashApplicationPosting]) -> tuple[PostingResult, ...]:
        return tuple(self._post(posting) for posting in postings)

    def _post(self, posting: CashApplicationPosting) -> PostingResult:
        committing = False
        try:
            with self.sessions.acquire() as connection:
                try:
                    result, commit = self._in_transaction(connection, posting)
                    if not commit:
                        connection.rollback()
                        return result
                    committing = True
                    connection.commit()
                    return result
                except Exception:
                    connection.rollback()
                    raise
        except Exception as exc:
            info = error_info(exc)
            if info is None:
                raise
            if committing:
                raise WriteOutcomeUnknown(
                    f"the connection to Oracle was lost while committing receipt {posting.posting_key} "
                    f"({info.full_code}); read back before resending"
                ) from exc
            if info.full_code == ROW_LOCKED or info.connection_lost:
                raise translate(info) from exc
            return PostingResult(posting.posting_key, WriteOutcome.REJECTED, message=f"Oracle {info.full_code}: "
                                 f"{info.message}")  # fmt: skip

    def _in_transaction(self, connection: DbConnection, posting: CashApplicationPosting) -> tuple[PostingResult, bool]:
        """The posting's result, and whether to commit."""
        key = posting.posting_key
        seen = seen_key(connection, key)
        if seen is not None:
            return PostingResult(key, WriteOutcome.APPLIED, seen, "posted before (the key was seen)"), False
        cursor = connection.cursor()
        try:
            cursor.execute(sql.ACCOUNT_ID, {"account_number": posting.customer_id})
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return PostingResult(key, WriteOutcome.REJECTED, message=f"no account {posting.customer_id} in EBS"), False
        initialize(connection, self.options)
        created = call_api(connection, "create_cash", sql.CREATE_CASH, {
            "currency_code": posting.amount.currency, "amount": posting.amount.amount,
            "receipt_number": posting.reference or key, "receipt_date": posting.paid_on, "gl_date": posting.paid_on,
            "customer_number": posting.customer_id, "receipt_method_id": self.receipt_method_id,
            "comments": f"creditbridge {key}", "org_id": self.options.org_id,
        }, "new_id")  # fmt: skip
        if created.status != "S" or created.value is None:
            return PostingResult(key, WriteOutcome.REJECTED, message=created.describe()), False
        for item_id, amount in posting.applications:
            trx_number, _, installment = item_id.partition("/")
            applied = call_api(connection, "apply", sql.APPLY_CASH, {
                "cash_receipt_id": created.value, "trx_number": trx_number,
                "installment": int(installment) if installment else 1, "amount_applied": amount.amount,
                "apply_date": posting.paid_on, "apply_gl_date": posting.paid_on, "org_id": self.options.org_id,
            }, "new_id")  # fmt: skip
            if applied.status != "S":
                return PostingResult(key, WriteOutcome.REJECTED, message=f"{item_id}: {applied.describe()}"), False
        reference = f"receipt {created.value}"
        record_key(connection, key, int(row[0]), reference)
        return PostingResult(key, WriteOutcome.APPLIED, reference), True
