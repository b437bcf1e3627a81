"""Compare-and-set of a credit limit and hold through `HZ_CUSTOMER_PROFILE_V2PUB`, applied once.

Why the public API and never `UPDATE hz_customer_profiles`: `update_customer_profile` applies or
releases the Order Management credit hold on the account's open orders when CREDIT_HOLD changes,
checks and bumps OBJECT_VERSION_NUMBER, validates, stamps the WHO columns and raises the business
event; a direct UPDATE does none of that (erp-interfaces.md 3.2).

One write, in one database transaction:
1. Look up the idempotency key in XXCB_WRITEBACK_KEYS: a key seen before is a replay (its answer
   was lost, or the process crashed after commit) — return APPLIED with the first reference.
2. Read the account-level profile and its amounts rows; limit and hold must equal
   `write.expected`, else CONFLICT (a person changed them in EBS).
3. `apps_initialize` + MOAC context, then the API calls with scalar binds inside anonymous
   blocks: `update_cust_profile_amt` for the wanted currency's row (`create_cust_profile_amt` if
   the account has none), a NULL limit sent as FND_API.G_MISS_NUM (a plain NULL means "leave
   unchanged" to these APIs); `update_customer_profile` for CREDIT_HOLD. Each passes the
   OBJECT_VERSION_NUMBER just read; HZ_API_RECORD_CHANGED (someone saved the row in between)
   re-reads: our fields moved → CONFLICT, only other fields → one more try on the new version.
4. Any status but 'S' rolls back and returns REJECTED with every FND message (name and text).
5. Insert the key, commit. A connection lost during COMMIT is WriteOutcomeUnknown (the caller reads
   back, and a resend finds the key); lost before it, Oracle rolled back: ErpUnavailable.
ORA-00054 (the row is locked by another session: the API locks with NOWAIT) is retried a few
times here, then raised as ErpUnavailable, retriable; other Oracle errors are not retried.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from creditbridge.adapters.oracle import rows as rw
from creditbridge.adapters.oracle import sql
from creditbridge.adapters.oracle.errors import AUTH, CONFIG, ROW_LOCKED, OracleErrorInfo, error_info, translate
from creditbridge.adapters.oracle.options import OracleOptions
from creditbridge.adapters.oracle.plsql import ApiResult, call_api, initialize, record_key, seen_key
from creditbridge.adapters.oracle.reader import OracleChangeReader
from creditbridge.adapters.oracle.seam import DbConnection, SessionSource
from creditbridge.core.model import CreditProfile
from creditbridge.core.ports import (
    ErpError,
    ErpUnavailable,
    ProfileWrite,
    WriteOutcome,
    WriteOutcomeUnknown,
    WriteResult,
)

RECORD_CHANGED = "HZ_API_RECORD_CHANGED"
UNIQUE_VIOLATED = "ORA-00001"


class _RecordChanged(Exception):
    pass


class _Locked(Exception):
    def __init__(self, info: OracleErrorInfo) -> None:
        super().__init__(info.message)
        self.info = info


class OracleProfileWriter:
    def __init__(
        self,
        sessions: SessionSource,
        options: OracleOptions,
        reader: OracleChangeReader,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.sessions, self.options, self.reader, self._sleep = sessions, options, reader, sleep

    # --- reading ---------------------------------------------------------------------------------

    def read_credit_profile(self, customer_id: str) -> CreditProfile | None:
        try:
            with self.sessions.acquire() as connection:
                rows = self._rows(connection, customer_id)
        except Exception as exc:
            info = error_info(exc)
            if info is None:
                raise
            raise translate(info) from exc
        return None if rows is None else self._profile(rows)

    def _rows(self, connection: DbConnection, account_number: str) -> rw.ProfileRows | None:
        found = list(self.reader.iter_profiles(connection, account_number))
        return rw.profile_rows(found) if found else None

    def _profile(self, rows: rw.ProfileRows) -> CreditProfile:
        return rw.credit_profile(rows, self.reader.codes, self.options.preferred_currency)

    # --- writing ---------------------------------------------------------------------------------

    def write_credit_profile(self, write: ProfileWrite) -> WriteResult:
        attempts = self.options.lock_retries + 1
        for attempt in range(attempts):
            try:
                return self._attempt_translated(write)
            except _Locked as locked:
                if attempt == attempts - 1:
                    raise ErpUnavailable(
                        f"Oracle {locked.info.full_code}: the profile of {write.customer_id} is locked by another "
                        f"session (tried {attempts} times): {locked.info.message}",
                        retry_after=30.0,
                    ) from None
                self._sleep(self.options.lock_wait_seconds * 2**attempt)
        raise AssertionError("unreachable")

    def _attempt_translated(self, write: ProfileWrite) -> WriteResult:
        try:
            return self._attempt(write)
        except (_Locked, ErpError):
            raise
        except Exception as exc:  # acquiring the session failed: nothing was sent
            info = error_info(exc)
            if info is None:
                raise
            raise translate(info) from exc

    def _attempt(self, write: ProfileWrite) -> WriteResult:
        committing = False
        with self.sessions.acquire() as connection:
            try:
                result = self._in_transaction(connection, write)
                if result.outcome is not WriteOutcome.APPLIED or result.current is not None:
                    connection.rollback()
                    return result
                committing = True
                connection.commit()
            except (_RecordChanged, _Locked):
                _rollback(connection)
                raise
            except Exception as exc:
                info = error_info(exc)
                if info is None:
                    raise
                _rollback(connection)
                if committing:
                    raise WriteOutcomeUnknown(
                        f"the connection to Oracle was lost while committing ({info.full_code}); "
                        "read back before resending"
                    ) from exc
                return self._failed(connection, write, info, exc)
        return WriteResult(WriteOutcome.APPLIED, self.read_credit_profile(write.customer_id), result.erp_reference)

    def _failed(
        self, connection: DbConnection, write: ProfileWrite, info: OracleErrorInfo, exc: Exception
    ) -> WriteResult:
        if info.full_code == ROW_LOCKED:
            raise _Locked(info) from exc
        if info.full_code == UNIQUE_VIOLATED:
            raise ErpUnavailable(
                "another send of the same idempotency key committed meanwhile; retry reads it"
            ) from exc
        if info.connection_lost or info.full_code in AUTH or info.full_code in CONFIG:
            raise translate(info) from exc
        current = None
        try:
            rows = self._rows(connection, write.customer_id)
            current = None if rows is None else self._profile(rows)
        except Exception:
            current = None
        return WriteResult(WriteOutcome.REJECTED, current, message=f"Oracle {info.full_code}: {info.message}")

    def _in_transaction(self, connection: DbConnection, write: ProfileWrite) -> WriteResult:
        """The write's outcome; APPLIED with current None means 'commit, then read back'."""
        seen = self._seen(connection, write.idempotency_key)
        if seen is not None:
            rows = self._rows(connection, write.customer_id)
            return WriteResult(WriteOutcome.APPLIED, None if rows is None else self._profile(rows), seen)
        rows = self._rows(connection, write.customer_id)
        if rows is None:
            return WriteResult(
                WriteOutcome.REJECTED, None,
                message=f"account {write.customer_id} has no account-level customer profile in operating unit "
                f"{self.options.org_id}",
            )  # fmt: skip
        limit = write.wanted.credit_limit
        if limit is not None and limit < 0:
            return WriteResult(WriteOutcome.REJECTED, self._profile(rows), message=f"credit limit {limit} is negative")
        self._initialize(connection)
        for tries_left in (1, 0):
            current = self._profile(rows)
            if _values(current) != (write.expected.credit_limit, write.expected.on_hold):
                return _conflict(current)
            try:
                outcome = self._apply(connection, rows, write)
            except _RecordChanged:
                connection.rollback()
                self._initialize(connection)
                fresh = self._rows(connection, write.customer_id)
                if fresh is None:
                    return WriteResult(WriteOutcome.REJECTED, None, message="the profile was deleted meanwhile")
                rows = fresh
                if tries_left == 0:
                    return _conflict(
                        self._profile(rows), "EBS reported HZ_API_RECORD_CHANGED twice: the profile keeps changing"
                    )
                continue
            if isinstance(outcome, ApiResult):
                return WriteResult(WriteOutcome.REJECTED, current, message=outcome.describe())
            self._record(connection, write, rows.cust_account_id, outcome)
            return WriteResult(WriteOutcome.APPLIED, None, outcome)
        raise AssertionError("unreachable")

    def _apply(self, connection: DbConnection, rows: rw.ProfileRows, write: ProfileWrite) -> str | ApiResult:
        """Call the APIs the change needs; the ERP reference on success, the failing call otherwise."""
        wanted = write.wanted
        target = rows.in_currency(wanted.currency)
        amount_ref = "" if target is None else f"amounts {target.amount_id} v{target.version}"
        if target is None and wanted.credit_limit is not None:
            created = self._call(connection, "create_cust_profile_amt", sql.CREATE_PROFILE_AMOUNT, {
                "profile_id": rows.profile_id, "cust_account_id": rows.cust_account_id,
                "currency_code": wanted.currency, "overall_credit_limit": wanted.credit_limit,
            }, "new_id")  # fmt: skip
            if created.status != "S":
                return created
            amount_ref = f"amounts {created.value} v1 ({wanted.currency} created)"
        elif target is not None and target.overall_credit_limit != wanted.credit_limit:
            updated = self._call(connection, "update_cust_profile_amt", sql.UPDATE_PROFILE_AMOUNT, {
                "object_version_number": target.version, "profile_amt_id": target.amount_id,
                "clear_limit": "Y" if wanted.credit_limit is None else "N",
                "overall_credit_limit": wanted.credit_limit,
            }, "new_version")  # fmt: skip
            if updated.status != "S":
                return updated
            amount_ref = f"amounts {target.amount_id} v{updated.value}"
        profile_version = rows.version
        if rows.credit_hold != wanted.on_hold:
            held = self._call(connection, "update_customer_profile", sql.UPDATE_CREDIT_HOLD, {
                "object_version_number": rows.version, "profile_id": rows.profile_id,
                "credit_hold": "Y" if wanted.on_hold else "N",
            }, "new_version")  # fmt: skip
            if held.status != "S":
                return held
            profile_version = held.value or profile_version
        reference = f"profile {rows.profile_id} v{profile_version}"
        return f"{reference}, {amount_ref}" if amount_ref else reference

    def _call(self, connection: DbConnection, api: str, block: str, binds: dict[str, Any], out: str) -> ApiResult:
        result = call_api(connection, api, block, binds, out)
        if result.status != "S" and RECORD_CHANGED in result.names:
            raise _RecordChanged(result.describe())
        return result

    def _initialize(self, connection: DbConnection) -> None:
        initialize(connection, self.options)

    def _seen(self, connection: DbConnection, key: str) -> str | None:
        return seen_key(connection, key)

    def _record(self, connection: DbConnection, write: ProfileWrite, account_id: int, reference: str) -> None:
        record_key(connection, write.idempotency_key, account_id, reference)


def _values(profile: CreditProfile) -> tuple[Decimal | None, bool]:
    return (None if profile.credit_limit is None else profile.credit_limit.amount, profile.on_hold)


def _conflict(current: CreditProfile, message: str | None = None) -> WriteResult:
    limit, hold = _values(current)
    return WriteResult(WriteOutcome.CONFLICT, current, message=message or f"EBS has limit {limit}, hold {hold}")


def _rollback(connection: DbConnection) -> None:
    with contextlib.suppress(Exception):
        connection.rollback()
