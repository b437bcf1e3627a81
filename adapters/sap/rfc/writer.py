"""Compare-and-set of a credit limit and block in ECC through the customer's released Z-function.

SAP has no released BAPI that writes KNKK, so the mapping names an RFC-enabled function written
to our contract (README, "SAP ECC write contract"): it takes a transaction id, the customer,
credit control area, the new KLIMK/CRBLB and the values expected now; locks the credit account,
compares, stages the change in the update task together with a row of its TID table, and reports
in RETURN (BAPIRET2) — ZCB 001 when the values changed meanwhile, ZCB 010 for a TID already done.

The flow, and why:
1. The transaction id is derived from the idempotency key, which the outbox saved before the first
   attempt; so every resend carries the same TID. If SAP's TID table already has it, the write was
   committed before (a lost answer, a crash after the commit): APPLIED, nothing is sent.
2. Our read of KNKK must show `expected`, else CONFLICT: a person changed the account since the
   review, and a person decides. The Z-function compares again under its lock (no lost update).
3. The call runs in its own session; RETURN with TYPE E/A means failure although the RFC call
   succeeded: BAPI_TRANSACTION_ROLLBACK, then REJECTED (or CONFLICT for ZCB 001).
4. BAPI_TRANSACTION_COMMIT with WAIT = 'X' on that same connection. A commit whose answer is lost
   is `WriteOutcomeUnknown` (read back: the TID tells). A commit that "succeeds" in a session
   that was silently replaced commits nothing — so the TID must be in SAP afterwards, or the LUW
   was lost and the write is reported as not applied (`ErpUnavailable`, safe to resend).
"""

from __future__ import annotations

import contextlib
import hashlib
from decimal import Decimal
from typing import Any

from creditbridge.adapters.sap.codes import alpha_in, amount, fits_scale
from creditbridge.adapters.sap.rfc.connection import RfcConnection, RfcConnector
from creditbridge.adapters.sap.rfc.errors import CommunicationError, RFCError, RFCTypeError
from creditbridge.adapters.sap.rfc.read_table import quoted
from creditbridge.adapters.sap.rfc.reader import KNKK_FIELDS, EccReader
from creditbridge.adapters.sap.rfc.returns import ReturnMessage, failures, messages
from creditbridge.adapters.sap.rfc.session import RfcSession, translated
from creditbridge.adapters.sap.rfc.tables import rows
from creditbridge.core.model import CreditProfile
from creditbridge.core.ports import (
    ErpUnavailable,
    ProfileWrite,
    WriteOutcome,
    WriteOutcomeUnknown,
    WriteResult,
)

CHANGED_MEANWHILE = ("ZCB", "001")
ALREADY_PROCESSED = ("ZCB", "010")


def transaction_id(idempotency_key: str) -> str:
    """The 24-character TID of a write (SAP's TID length), the same for every attempt of it."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:24].upper()


class EccCreditWriter:
    def __init__(self, connector: RfcConnector, session: RfcSession, reader: EccReader) -> None:
        self.connector, self.session, self.reader, self.settings = connector, session, reader, reader.settings

    def _account(self, customer_id: str) -> tuple[str, dict[str, str], dict[str, str] | None] | None:
        """(KUNNR, its KNB1 row, its KNKK row in the company code's control area), None if not a customer here."""
        kunnr = alpha_in(customer_id)
        codes = [c.code for c in self.settings.company_codes]
        fields = ("KUNNR", "BUKRS", "ZTERM", "ERDAT")
        knb1 = [r for r in rows(self.session, "KNB1", fields, [f"KUNNR = {quoted(kunnr)}"]) if r["BUKRS"] in codes]
        if not knb1:
            return None
        company_row = min(knb1, key=lambda r: codes.index(r["BUKRS"]))
        area = self.settings.company(company_row["BUKRS"]).credit_control_area
        knkk = rows(self.session, "KNKK", KNKK_FIELDS, [f"KUNNR = {quoted(kunnr)}", f"KKBER = {quoted(area)}"])
        return kunnr, company_row, (knkk[0] if knkk else None)

    def read_credit_profile(self, customer_id: str) -> CreditProfile | None:
        account = self._account(customer_id)
        return None if account is None else self.reader.profile(*account)

    def _applied(self, tid: str) -> bool:
        return bool(rows(self.session, self.settings.tid_table, ("TID",), [f"TID = '{tid}'"]))

    def write_credit_profile(self, write: ProfileWrite) -> WriteResult:
        account = self._account(write.customer_id)
        if account is None:
            return WriteResult(
                WriteOutcome.REJECTED, None, message=f"customer {write.customer_id} is not in the mapped company codes"
            )
        kunnr, company_row, knkk = account
        current = self.reader.profile(kunnr, company_row, knkk)
        tid = transaction_id(write.idempotency_key)
        if self._applied(tid):
            return WriteResult(WriteOutcome.APPLIED, current, erp_reference=tid, message="already committed in SAP")
        if _values(current) != (write.expected.credit_limit, write.expected.on_hold):
            return _conflict(current)
        area = self.settings.company(company_row["BUKRS"]).credit_control_area
        problem = self._invalid(write, self.reader.area_currency(area))
        if problem is not None:
            return WriteResult(WriteOutcome.REJECTED, current, message=problem)
        wanted = write.wanted.credit_limit
        params: dict[str, Any] = {
            "IV_TID": tid,
            "IV_REFERENCE": write.idempotency_key[:64],
            "IV_KUNNR": kunnr,
            "IV_KKBER": area,
            "IV_KLIMK": self.settings.no_limit_amount if wanted is None else wanted,
            "IV_CRBLB": "X" if write.wanted.on_hold else "",
            "IV_WAERS": write.wanted.currency,
            "IV_EXPECTED_NEW": "X" if knkk is None else "",
            "IV_EXPECTED_KLIMK": self.settings.no_limit_amount if knkk is None else _klimk(knkk),
            "IV_EXPECTED_CRBLB": "" if knkk is None else knkk["CRBLB"],
        }
        outcome = self._send(params, current)
        if outcome is not None:
            return outcome
        if not self._applied(tid):
            raise ErpUnavailable(
                "SAP committed an empty LUW (the session was replaced before BAPI_TRANSACTION_COMMIT): "
                "nothing was applied; the write can be sent again"
            )
        after = self.read_credit_profile(write.customer_id)
        return WriteResult(WriteOutcome.APPLIED, after, erp_reference=tid)

    def _invalid(self, write: ProfileWrite, currency: str) -> str | None:
        limit = write.wanted.credit_limit
        if write.wanted.currency != currency:
            return (
                f"credit limits of this customer's credit control area are in {currency}, not {write.wanted.currency}"
            )
        if limit is None:
            return None
        if limit < 0:
            return f"credit limit {limit} is negative"
        if not fits_scale(limit, 2):
            return f"SAP keeps credit limits to the cent (KLIMK, CURR 15,2); {limit} would be rounded"
        if limit >= self.settings.no_limit_amount:
            return f"credit limit {limit} is SAP's largest amount, which this mapping uses to mean no limit"
        return None

    def _send(self, params: dict[str, Any], current: CreditProfile) -> WriteResult | None:
        """Call the Z-function and commit on one connection; None once committed, a result when not."""
        function = self.settings.write_function
        connection: RfcConnection | None = None
        try:
            connection = self.connector()
            answer = connection.call(function, **params)
            failed = failures(answer)
            if failed:
                _rollback(connection)
                if any((m.id, m.number) == CHANGED_MEANWHILE for m in failed):
                    fresh = self.read_credit_profile(current.customer_id)
                    return _conflict(fresh or current, str(failed[0]))
                return WriteResult(WriteOutcome.REJECTED, current, message=f"{function}: {_text(failed)}")
            if any((m.id, m.number) == ALREADY_PROCESSED for m in messages(answer)):
                _rollback(connection)
                return WriteResult(WriteOutcome.APPLIED, current, erp_reference=params["IV_TID"])
            try:
                commit = connection.call("BAPI_TRANSACTION_COMMIT", WAIT="X")
            except CommunicationError as exc:
                raise WriteOutcomeUnknown(
                    f"SAP did not answer BAPI_TRANSACTION_COMMIT ({exc}): the write may or may not be committed"
                ) from exc
            failed = failures(commit)
            if failed:
                _rollback(connection)
                return WriteResult(WriteOutcome.REJECTED, current, message=f"the update task failed: {_text(failed)}")
            return None
        except RFCTypeError as exc:
            return WriteResult(WriteOutcome.REJECTED, current, message=f"{function}: {exc}")
        except CommunicationError as exc:  # before the commit: the session and its LUW are gone
            raise ErpUnavailable(f"SAP could not be reached ({function}): {exc}; nothing was committed") from exc
        except RFCError as exc:
            raise translated(exc, function) from exc
        finally:
            if connection is not None:
                with contextlib.suppress(RFCError):
                    connection.close()


def _rollback(connection: RfcConnection) -> None:
    with contextlib.suppress(CommunicationError):  # the session is gone, and with it the LUW
        connection.call("BAPI_TRANSACTION_ROLLBACK")


def _klimk(knkk: dict[str, str]) -> Decimal:
    return amount(knkk["KLIMK"])


def _values(profile: CreditProfile) -> tuple[object, bool]:
    return (None if profile.credit_limit is None else profile.credit_limit.amount, profile.on_hold)


def _text(found: tuple[ReturnMessage, ...]) -> str:
    return "; ".join(str(m) for m in found)


def _conflict(current: CreditProfile, message: str | None = None) -> WriteResult:
    limit, hold = _values(current)
    return WriteResult(WriteOutcome.CONFLICT, current, message=message or f"SAP has limit {limit}, block {hold}")
