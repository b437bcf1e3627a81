"""AR_RECEIPT_API_PUB emulated: `create_cash` and `apply` (erp-interfaces.md 3.2, "effects to emulate").

create_cash: a CASH receipt (status UNAPP), its payment schedule (CLASS PMT, negative, open) and an
UNAPP application row for the whole amount; a receipt number already used for the customer on
that date is 'E' (AR_RW_CASH_DUPLICATE_RECEIPT). apply: the transaction's payment schedule (by
TRX_NUMBER and installment in the session's operating unit) has AMOUNT_DUE_REMAINING reduced and
AMOUNT_APPLIED raised (STATUS CL at 0), the receipt's schedule moves toward 0, an APP row is
added and the UNAPP row reduced; more than the receipt's unapplied amount or the item's remaining
is 'E' (AR_RW_APPLIED_GREATER_LINE; SIM_APPLIED_GREATER_THAN_UNAPPLIED is the simulator's own
name). Nothing commits (p_commit FND_API.G_FALSE).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from creditbridge.adapters.oracle.simulator.apis import ApiAnswer
from creditbridge.adapters.oracle.simulator.database import STAMP, SimSession

if TYPE_CHECKING:
    from creditbridge.adapters.oracle.simulator import EbsSimulator


def _day(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime(STAMP)
    if isinstance(value, date):
        return f"{value.isoformat()} 00:00:00"
    return str(value)


def _money(value: Any) -> str:
    return format(Decimal(str(value)), "f")


class Receipts:
    def __init__(self, sim: EbsSimulator, session: SimSession) -> None:
        self.sim, self.session, self.db = sim, session, sim.db

    def _context(self, answer: ApiAnswer) -> bool:
        if self.session.user_id is None or self.session.org_id is None:
            answer.error("SIM_CONTEXT_NOT_SET", "FND_GLOBAL.APPS_INITIALIZE and MO_GLOBAL.SET_POLICY_CONTEXT "
                         "must be called before AR_RECEIPT_API_PUB in this session", "U")  # fmt: skip
            return False
        return True

    def create_cash(self, binds: dict[str, Any]) -> ApiAnswer:
        answer = ApiAnswer()
        if not self._context(answer):
            return answer
        org, now = self.session.org_id, self.sim.stamp()
        account = self.db.execute("SELECT CUST_ACCOUNT_ID FROM HZ_CUST_ACCOUNTS WHERE ACCOUNT_NUMBER = ?",
                                  (str(binds["customer_number"]),)).fetchone()  # fmt: skip
        if account is None:
            return answer.error("AR_RAPI_CUS_NUM_INVALID", f"Customer number {binds['customer_number']} is invalid")
        amount = Decimal(str(binds["amount"]))
        if amount <= 0:
            return answer.error("AR_RAPI_AMOUNT_INVALID", "The receipt amount must be positive")
        receipt_date = _day(binds["receipt_date"])
        if self.db.execute("SELECT 1 FROM AR_CASH_RECEIPTS_ALL WHERE RECEIPT_NUMBER = ? AND PAY_FROM_CUSTOMER = ? "
                           "AND RECEIPT_DATE = ? AND ORG_ID = ?",
                           (binds["receipt_number"], account[0], receipt_date, org)).fetchone():  # fmt: skip
            return answer.error("AR_RW_CASH_DUPLICATE_RECEIPT", f"Receipt {binds['receipt_number']} already exists "
                                "for this customer on this date")  # fmt: skip
        receipt = self.sim.next_id("AR_CASH_RECEIPTS_ALL", "CASH_RECEIPT_ID")
        schedule = self.sim.next_id("AR_PAYMENT_SCHEDULES_ALL", "PAYMENT_SCHEDULE_ID")
        self.db.execute(
            "INSERT INTO AR_CASH_RECEIPTS_ALL (CASH_RECEIPT_ID, RECEIPT_NUMBER, RECEIPT_DATE, AMOUNT, CURRENCY_CODE, "
            "PAY_FROM_CUSTOMER, TYPE, STATUS, COMMENTS, ORG_ID, LAST_UPDATE_DATE) "
            "VALUES (?, ?, ?, ?, ?, ?, 'CASH', 'UNAPP', ?, ?, ?)",
            (receipt, binds["receipt_number"], receipt_date, _money(amount), binds["currency_code"], account[0],
             binds["comments"], org, now))  # fmt: skip
        self.db.execute(
            "INSERT INTO AR_PAYMENT_SCHEDULES_ALL (PAYMENT_SCHEDULE_ID, CASH_RECEIPT_ID, CUSTOMER_ID, TRX_NUMBER, "
            "TRX_DATE, DUE_DATE, CLASS, STATUS, AMOUNT_DUE_ORIGINAL, AMOUNT_DUE_REMAINING, AMOUNT_APPLIED, "
            "INVOICE_CURRENCY_CODE, ORG_ID, LAST_UPDATE_DATE) "
            "VALUES (?, ?, ?, ?, ?, ?, 'PMT', 'OP', ?, ?, '0', ?, ?, ?)",
            (schedule, receipt, account[0], binds["receipt_number"], receipt_date, receipt_date, _money(-amount),
             _money(-amount), binds["currency_code"], org, now))  # fmt: skip
        self.db.execute(
            "INSERT INTO AR_RECEIVABLE_APPLICATIONS_ALL (RECEIVABLE_APPLICATION_ID, CASH_RECEIPT_ID, "
            "PAYMENT_SCHEDULE_ID, "
            "AMOUNT_APPLIED, STATUS, APPLICATION_TYPE, DISPLAY, APPLY_DATE, ORG_ID, LAST_UPDATE_DATE) "
            "VALUES (?, ?, ?, ?, 'UNAPP', 'CASH', 'N', ?, ?, ?)",
            (self.sim.next_id("AR_RECEIVABLE_APPLICATIONS_ALL", "RECEIVABLE_APPLICATION_ID"), receipt, schedule,
             _money(amount), receipt_date, org, now))  # fmt: skip
        answer.value = receipt
        return answer

    def apply(self, binds: dict[str, Any]) -> ApiAnswer:
        answer = ApiAnswer()
        if not self._context(answer):
            return answer
        org, now = self.session.org_id, self.sim.stamp()
        receipt = int(binds["cash_receipt_id"])
        unapp = self.db.execute(
            "SELECT ra.RECEIVABLE_APPLICATION_ID, ra.AMOUNT_APPLIED, ra.PAYMENT_SCHEDULE_ID FROM "
            "AR_RECEIVABLE_APPLICATIONS_ALL ra WHERE ra.CASH_RECEIPT_ID = ? AND ra.STATUS = 'UNAPP'",
            (receipt,),
        ).fetchone()
        if unapp is None:
            return answer.error("AR_RAPI_CASH_RCPT_ID_INVALID", f"Cash receipt {receipt} is invalid")
        item = self.db.execute(
            "SELECT PAYMENT_SCHEDULE_ID, CUSTOMER_TRX_ID, AMOUNT_DUE_REMAINING, AMOUNT_APPLIED FROM "
            "AR_PAYMENT_SCHEDULES_ALL WHERE TRX_NUMBER = ? AND COALESCE(TERMS_SEQUENCE_NUMBER, 1) = ? AND ORG_ID = ? "
            "AND CLASS IN ('INV', 'DM', 'CM', 'CB')", (binds["trx_number"], int(binds["installment"] or 1), org)
        ).fetchone()  # fmt: skip
        if item is None:
            return answer.error("AR_RAPI_TRX_NUM_INVALID", f"Transaction number {binds['trx_number']} is invalid")
        amount = Decimal(str(binds["amount_applied"]))
        unapplied = Decimal(unapp[1])
        remaining = Decimal(item[2])
        if amount > unapplied:
            text = f"The amount applied {amount} exceeds the receipt's unapplied amount {unapplied}"
            return answer.error("SIM_APPLIED_GREATER_THAN_UNAPPLIED", text)
        if (remaining >= 0 and (amount > remaining or amount < 0)) or (remaining < 0 and not remaining <= amount <= 0):
            text = f"The amount applied {amount} exceeds the amount due remaining {remaining}"
            return answer.error("AR_RW_APPLIED_GREATER_LINE", text)
        left = remaining - amount
        self.db.execute(
            "UPDATE AR_PAYMENT_SCHEDULES_ALL SET AMOUNT_DUE_REMAINING = ?, AMOUNT_APPLIED = ?, STATUS = ?, "
            "LAST_UPDATE_DATE = ? WHERE PAYMENT_SCHEDULE_ID = ?",
            (_money(left), _money(Decimal(item[3] or 0) + amount), "CL" if left == 0 else "OP", now,
             item[0]))  # fmt: skip
        receipt_ps = self.db.execute("SELECT AMOUNT_DUE_REMAINING, AMOUNT_APPLIED FROM AR_PAYMENT_SCHEDULES_ALL WHERE "
                                     "PAYMENT_SCHEDULE_ID = ?", (unapp[2],)).fetchone()  # fmt: skip
        receipt_left = Decimal(receipt_ps[0]) + amount
        self.db.execute(
            "UPDATE AR_PAYMENT_SCHEDULES_ALL SET AMOUNT_DUE_REMAINING = ?, AMOUNT_APPLIED = ?, STATUS = ?, "
            "LAST_UPDATE_DATE = ? WHERE PAYMENT_SCHEDULE_ID = ?",
            (_money(receipt_left), _money(Decimal(receipt_ps[1] or 0) - amount), "CL" if receipt_left == 0 else "OP",
             now, unapp[2]))  # fmt: skip
        self.db.execute(
            "INSERT INTO AR_RECEIVABLE_APPLICATIONS_ALL (RECEIVABLE_APPLICATION_ID, CASH_RECEIPT_ID, "
            "PAYMENT_SCHEDULE_ID, "
            "APPLIED_CUSTOMER_TRX_ID, APPLIED_PAYMENT_SCHEDULE_ID, AMOUNT_APPLIED, STATUS, APPLICATION_TYPE, DISPLAY, "
            "APPLY_DATE, ORG_ID, LAST_UPDATE_DATE) VALUES (?, ?, ?, ?, ?, ?, 'APP', 'CASH', 'Y', ?, ?, ?)",
            (self.sim.next_id("AR_RECEIVABLE_APPLICATIONS_ALL", "RECEIVABLE_APPLICATION_ID"), receipt, unapp[2],
             item[1], item[0], _money(amount), _day(binds["apply_date"]), org, now))  # fmt: skip
        self.db.execute("UPDATE AR_RECEIVABLE_APPLICATIONS_ALL SET AMOUNT_APPLIED = ?, LAST_UPDATE_DATE = ? "
                        "WHERE RECEIVABLE_APPLICATION_ID = ?", (_money(unapplied - amount), now, unapp[0]))  # fmt: skip
        if unapplied - amount == 0:
            self.db.execute("UPDATE AR_CASH_RECEIPTS_ALL SET STATUS = 'APP', LAST_UPDATE_DATE = ? "
                            "WHERE CASH_RECEIPT_ID = ?",
                            (now, receipt))  # fmt: skip
        return answer
