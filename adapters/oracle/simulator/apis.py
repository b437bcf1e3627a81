"""The PL/SQL APIs the adapter calls, emulated: FND/MOAC context and HZ_CUSTOMER_PROFILE_V2PUB.

Semantics kept from Oracle's package source (erp-interfaces.md 3.2): a NULL record attribute
leaves the column unchanged and FND_API.G_MISS_NUM sets it to NULL (the adapter's block says
which with `:clear_limit`); the row is locked NOWAIT (ORA-00054 when another session holds it);
a passed OBJECT_VERSION_NUMBER other than the stored one is 'E' with HZ_API_RECORD_CHANGED, and
success returns OVN + 1 and stamps LAST_UPDATE_DATE; a missing row is HZ_API_NO_RECORD; a
second amounts row in one currency HZ_API_DUPLICATE_COLUMN; a CREDIT_HOLD change applies or
releases the Order Management credit hold (hold id 1, entity 'C' = the account, release reason
AR_AUTOMATIC) on the account's open orders, as OE_Holds_PUB.Process_Holds does; nothing commits.
The APIs refuse to run ('U') before FND_GLOBAL.APPS_INITIALIZE and MO_GLOBAL.SET_POLICY_CONTEXT,
to catch an adapter that forgets them. Message names not taken from Oracle's source are the
simulator's own and start with SIM_ (negative limits, an order limit over the credit limit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from creditbridge.adapters.oracle.simulator.database import SimSession, SimVar, oracle_error
from creditbridge.adapters.oracle.simulator.faults import SimFault

if TYPE_CHECKING:
    from creditbridge.adapters.oracle.simulator import EbsSimulator

_CALL = re.compile(r"\b([A-Z][A-Z0-9_$#]*)\.([A-Z][A-Z0-9_$#]*)\s*\(")
OPEN_ORDER_STATUSES = ("CLOSED", "CANCELLED", "INVOICED")
CREDIT_CHECK_FAILURE = 1  # OE_HOLD_DEFINITIONS.HOLD_ID of the seeded credit check hold


@dataclass
class ApiAnswer:
    status: str = "S"
    value: int | None = None
    messages: list[tuple[str, str]] = field(default_factory=list)

    def error(self, name: str, text: str, status: str = "E") -> ApiAnswer:
        self.status = status
        self.messages.append((name, text))
        return self


class Tca:
    """HZ_CUSTOMER_PROFILE_V2PUB in one session: each method is one API call."""

    def __init__(self, sim: EbsSimulator, session: SimSession, *, faults: bool = True) -> None:
        self.sim, self.session, self.db, self.faults = sim, session, sim.db, faults

    def _context(self, answer: ApiAnswer) -> bool:
        if self.session.user_id is None or self.session.org_id is None:
            answer.error("SIM_CONTEXT_NOT_SET", "FND_GLOBAL.APPS_INITIALIZE and MO_GLOBAL.SET_POLICY_CONTEXT "
                         "must be called before the TCA APIs in this session", "U")  # fmt: skip
            return False
        return True

    def _fault(self, answer: ApiAnswer, table: str, key_column: str, key: int) -> bool:
        fault = self.sim.faults.api() if self.faults else None
        if fault is SimFault.ROW_LOCKED:
            raise oracle_error("ORA-00054", "resource busy and acquire with NOWAIT specified or timeout expired")
        if fault is SimFault.API_ERROR:
            answer.error("SIM_VALIDATION_FAILED", "The simulator refused this change (armed fault)")
            return False
        if fault is SimFault.API_UNEXPECTED:
            answer.error("HZ_API_OTHERS_EXCEP", "ORA-06502: PL/SQL: numeric or value error (armed fault)", "U")
            return False
        if fault is SimFault.CONCURRENT_SAVE:
            self.sim.foreign_write(
                f"UPDATE {table} SET OBJECT_VERSION_NUMBER = OBJECT_VERSION_NUMBER + 1, LAST_UPDATE_DATE = ? "
                f"WHERE {key_column} = ?", (self.sim.stamp(), key))  # fmt: skip
        return True

    def update_cust_profile_amt(self, amount_id: int, ovn: int, limit: Decimal | None, clear: bool) -> ApiAnswer:
        answer = ApiAnswer()
        if not self._context(answer) or not self._fault(
            answer, "HZ_CUST_PROFILE_AMTS", "CUST_ACCT_PROFILE_AMT_ID", amount_id
        ):
            return answer
        row = self.db.execute(
            "SELECT OBJECT_VERSION_NUMBER, TRX_CREDIT_LIMIT, OVERALL_CREDIT_LIMIT FROM HZ_CUST_PROFILE_AMTS "
            "WHERE CUST_ACCT_PROFILE_AMT_ID = ?", (amount_id,)).fetchone()  # fmt: skip
        if row is None:
            return answer.error("HZ_API_NO_RECORD", f"No record found in HZ_CUST_PROFILE_AMTS for id {amount_id}")
        stored, trx_limit, overall = row
        if int(ovn) != int(stored or 1):
            return answer.error("HZ_API_RECORD_CHANGED", "Record in table hz_cust_profile_amts has been changed by "
                                "another user. Please query the record again.")  # fmt: skip
        new_limit = None if clear else (overall if limit is None else Decimal(limit))
        if new_limit is not None and new_limit < 0:
            return answer.error("SIM_NEGATIVE_CREDIT_LIMIT", f"The credit limit {new_limit} cannot be negative")
        if new_limit is not None and trx_limit is not None and trx_limit > new_limit:
            text = f"The order credit limit {trx_limit} cannot exceed the credit limit {new_limit}"
            return answer.error("SIM_ORDER_LIMIT_OVER_CREDIT_LIMIT", text)
        version = int(stored or 1) + 1
        self.db.execute(
            "UPDATE HZ_CUST_PROFILE_AMTS SET OVERALL_CREDIT_LIMIT = ?, OBJECT_VERSION_NUMBER = ?, "
            "LAST_UPDATE_DATE = ?, LAST_UPDATED_BY = ? WHERE CUST_ACCT_PROFILE_AMT_ID = ?",
            (None if new_limit is None else format(new_limit, "f"), version, self.sim.stamp(), self.session.user_id,
             amount_id))  # fmt: skip
        answer.value = version
        return answer

    def create_cust_profile_amt(
        self, profile_id: int, account_id: int, currency: str, limit: Decimal | None
    ) -> ApiAnswer:
        answer = ApiAnswer()
        if not self._context(answer) or not self._fault(
            answer, "HZ_CUSTOMER_PROFILES", "CUST_ACCOUNT_PROFILE_ID", profile_id
        ):
            return answer
        profile = self.db.execute(
            "SELECT CUST_ACCOUNT_ID FROM HZ_CUSTOMER_PROFILES WHERE CUST_ACCOUNT_PROFILE_ID = ?", (profile_id,)
        ).fetchone()
        if profile is None or int(profile[0]) != int(account_id):
            return answer.error(
                "HZ_API_INVALID_FK", "cust_account_profile_id does not identify a profile of the account"
            )
        if self.db.execute("SELECT 1 FROM HZ_CUST_PROFILE_AMTS WHERE CUST_ACCOUNT_PROFILE_ID = ? AND CURRENCY_CODE = ?",
                           (profile_id, currency)).fetchone():  # fmt: skip
            return answer.error("HZ_API_DUPLICATE_COLUMN", f"currency_code {currency} already has a profile amount")
        if limit is not None and Decimal(limit) < 0:
            return answer.error("SIM_NEGATIVE_CREDIT_LIMIT", f"The credit limit {limit} cannot be negative")
        new_id = self.sim.next_id("HZ_CUST_PROFILE_AMTS", "CUST_ACCT_PROFILE_AMT_ID")
        self.db.execute(
            "INSERT INTO HZ_CUST_PROFILE_AMTS (CUST_ACCT_PROFILE_AMT_ID, CUST_ACCOUNT_PROFILE_ID, CUST_ACCOUNT_ID, "
            "CURRENCY_CODE, OVERALL_CREDIT_LIMIT, OBJECT_VERSION_NUMBER, CREATED_BY_MODULE, LAST_UPDATE_DATE, "
            "LAST_UPDATED_BY) VALUES (?, ?, ?, ?, ?, 1, 'TCA_V2_API', ?, ?)",
            (new_id, profile_id, account_id, currency, None if limit is None else format(Decimal(limit), "f"),
             self.sim.stamp(), self.session.user_id))  # fmt: skip
        answer.value = new_id
        return answer

    def update_customer_profile(self, profile_id: int, ovn: int, credit_hold: str | None,
                                risk_code: str | None = None) -> ApiAnswer:  # fmt: skip
        answer = ApiAnswer()
        if not self._context(answer) or not self._fault(
            answer, "HZ_CUSTOMER_PROFILES", "CUST_ACCOUNT_PROFILE_ID", profile_id
        ):
            return answer
        row = self.db.execute(
            "SELECT OBJECT_VERSION_NUMBER, CREDIT_HOLD, CUST_ACCOUNT_ID, SITE_USE_ID FROM HZ_CUSTOMER_PROFILES "
            "WHERE CUST_ACCOUNT_PROFILE_ID = ?", (profile_id,)).fetchone()  # fmt: skip
        if row is None:
            return answer.error("HZ_API_NO_RECORD", f"No record found in HZ_CUSTOMER_PROFILES for id {profile_id}")
        stored, hold, account_id, _site_use = row
        if int(ovn) != int(stored or 1):
            return answer.error("HZ_API_RECORD_CHANGED", "Record in table hz_customer_profiles has been changed by "
                                "another user. Please query the record again.")  # fmt: skip
        if credit_hold not in (None, "Y", "N"):
            return answer.error("HZ_API_INVALID_LOOKUP", f"credit_hold must be Y or N, not {credit_hold!r}")
        if credit_hold is not None and credit_hold != hold:
            self._process_holds(int(account_id), "APPLY" if credit_hold == "Y" else "RELEASE")
        version = int(stored or 1) + 1
        self.db.execute(
            "UPDATE HZ_CUSTOMER_PROFILES SET CREDIT_HOLD = COALESCE(?, CREDIT_HOLD), "
            "RISK_CODE = COALESCE(?, RISK_CODE), OBJECT_VERSION_NUMBER = ?, LAST_UPDATE_DATE = ?, "
            "LAST_UPDATED_BY = ? WHERE CUST_ACCOUNT_PROFILE_ID = ?",
            (credit_hold, risk_code, version, self.sim.stamp(), self.session.user_id, profile_id))  # fmt: skip
        answer.value = version
        return answer

    def _process_holds(self, account_id: int, action: str) -> None:
        """OE_Holds_PUB.Process_Holds(p_hold_entity_code => 'C', p_hold_id => 1, p_action => APPLY|RELEASE)."""
        now, org = self.sim.stamp(), self.session.org_id
        if action == "APPLY":
            source = self.sim.next_id("OE_HOLD_SOURCES_ALL", "HOLD_SOURCE_ID")
            self.db.execute(
                "INSERT INTO OE_HOLD_SOURCES_ALL (HOLD_SOURCE_ID, HOLD_ID, HOLD_ENTITY_CODE, HOLD_ENTITY_ID, "
                "RELEASED_FLAG, ORG_ID, CREATION_DATE, LAST_UPDATE_DATE) VALUES (?, ?, 'C', ?, 'N', ?, ?, ?)",
                (source, CREDIT_CHECK_FAILURE, account_id, org, now, now))  # fmt: skip
            orders = self.db.execute(
                "SELECT HEADER_ID FROM OE_ORDER_HEADERS_ALL WHERE SOLD_TO_ORG_ID = ? AND ORG_ID = ? "
                "AND FLOW_STATUS_CODE NOT IN (?, ?, ?)",
                (account_id, org, *OPEN_ORDER_STATUSES)).fetchall()  # fmt: skip
            for (header,) in orders:
                self.db.execute(
                    "INSERT INTO OE_ORDER_HOLDS_ALL (ORDER_HOLD_ID, HEADER_ID, HOLD_SOURCE_ID, RELEASED_FLAG, ORG_ID, "
                    "LAST_UPDATE_DATE) VALUES (?, ?, ?, 'N', ?, ?)",
                    (self.sim.next_id("OE_ORDER_HOLDS_ALL", "ORDER_HOLD_ID"), header, source, org, now))  # fmt: skip
            return
        sources = [s for (s,) in self.db.execute(
            "SELECT HOLD_SOURCE_ID FROM OE_HOLD_SOURCES_ALL WHERE HOLD_ENTITY_CODE = 'C' AND HOLD_ENTITY_ID = ? "
            "AND HOLD_ID = ? AND RELEASED_FLAG = 'N'", (account_id, CREDIT_CHECK_FAILURE)).fetchall()]  # fmt: skip
        for source in sources:
            self.db.execute("UPDATE OE_HOLD_SOURCES_ALL SET RELEASED_FLAG = 'Y', RELEASE_REASON_CODE = 'AR_AUTOMATIC', "
                            "LAST_UPDATE_DATE = ? WHERE HOLD_SOURCE_ID = ?", (now, source))  # fmt: skip
            self.db.execute("UPDATE OE_ORDER_HOLDS_ALL SET RELEASED_FLAG = 'Y', LAST_UPDATE_DATE = ? "
                            "WHERE HOLD_SOURCE_ID = ?", (now, source))  # fmt: skip


def run_block(sim: EbsSimulator, session: SimSession, block: str, binds: dict[str, Any]) -> None:
    """Dispatch an anonymous block to the API it calls, and fill its OUT binds."""
    calls = {f"{m.group(1)}.{m.group(2)}" for m in _CALL.finditer(block.upper())}
    if "FND_GLOBAL.APPS_INITIALIZE" in calls:
        session.user_id, session.resp_id = int(binds["user_id"]), int(binds["resp_id"])
        if "MO_GLOBAL.SET_POLICY_CONTEXT" in calls:
            session.org_id = int(binds["org_id"])
        return
    from creditbridge.adapters.oracle.simulator.receipts import Receipts  # it builds on ApiAnswer here

    tca = Tca(sim, session)
    if "HZ_CUSTOMER_PROFILE_V2PUB.UPDATE_CUST_PROFILE_AMT" in calls:
        if "FND_API.G_MISS_NUM" not in block.upper():
            raise oracle_error("ORA-06550", "simulator: a limit is cleared with FND_API.G_MISS_NUM, not NULL")
        answer = tca.update_cust_profile_amt(
            int(binds["profile_amt_id"]), int(binds["object_version_number"]),
            _decimal(binds["overall_credit_limit"]), binds["clear_limit"] == "Y",
        )  # fmt: skip
        out = "new_version"
    elif "HZ_CUSTOMER_PROFILE_V2PUB.CREATE_CUST_PROFILE_AMT" in calls:
        answer = tca.create_cust_profile_amt(
            int(binds["profile_id"]), int(binds["cust_account_id"]), str(binds["currency_code"]),
            _decimal(binds["overall_credit_limit"]),
        )  # fmt: skip
        out = "new_id"
    elif "HZ_CUSTOMER_PROFILE_V2PUB.UPDATE_CUSTOMER_PROFILE" in calls:
        answer = tca.update_customer_profile(
            int(binds["profile_id"]), int(binds["object_version_number"]), binds["credit_hold"]
        )
        out = "new_version"
    elif "AR_RECEIPT_API_PUB.CREATE_CASH" in calls:
        answer, out = Receipts(sim, session).create_cash(binds), "new_id"
    elif "AR_RECEIPT_API_PUB.APPLY" in calls:
        answer, out = Receipts(sim, session).apply(binds), "new_id"
    else:
        raise oracle_error(
            "ORA-06550", f"PLS-00201: identifier must be declared ({', '.join(sorted(calls)) or 'no call'})"
        )
    session.messages = answer.messages
    values = {
        out: answer.value,
        "return_status": answer.status,
        "msg_count": len(answer.messages),
        "messages": "".join(f"{text}\n" for _, text in answer.messages) or None,
        "message_names": "".join(f"{name}\n" for name, _ in answer.messages) or None,
    }
    for name, value in values.items():
        var = binds.get(name)
        if isinstance(var, SimVar):
            var.setvalue(0, value)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))
