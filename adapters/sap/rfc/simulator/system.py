"""`FakeEcc`: an ECC system for the RFC adapter, with SAP's semantics where they bite.

- Keys as RFC sees them: KUNNR/BELNR/VBELN numeric values zero-padded to 10, no ALPHA conversion
  (an unpadded number is simply not found); dates 'YYYYMMDD'; amounts Decimal.
- Function modules: RFC_READ_TABLE (T001, T014, KNA1, KNB1, KNBK, KNKK, CDHDR, VBAK, VBUK and the
  write contract's TID table), BAPI_AR_ACC_GETOPENITEMS, BAPI_AR_ACC_GETBALANCEDITEMS (RETURN as
  BAPIRETURN), BAPI_CREDIT_ACCOUNT_GET_STATUS (BAPIRETURN1), the configured Z write function
  (RETURN as BAPIRET2), BAPI_TRANSACTION_COMMIT / _ROLLBACK, RFC_PING.
- Business errors come back in RETURN while the call succeeds; classic exceptions raise
  ABAPApplicationError. The write function stages its update in the session's LUW (update task):
  nothing is visible before BAPI_TRANSACTION_COMMIT on the same connection, ROLLBACK discards it,
  and a communication failure replaces the session, losing the LUW, as pyrfc's reconnect does.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Any

from creditbridge.adapters.sap.codes import alpha_in, dats, fits_scale, flag, sap_date
from creditbridge.adapters.sap.ledger_seed import sap_seed
from creditbridge.adapters.sap.rfc.errors import ABAPApplicationError, CommunicationError, LogonError, RFCTypeError
from creditbridge.adapters.sap.rfc.simulator.tables import DDIC, TID_TABLE_FIELDS
from creditbridge.adapters.sap.rfc.simulator.where import OptionError, parse
from creditbridge.adapters.sap.settings import SapSettings
from creditbridge.core.model import Ledger, OrderStatus

UNSET: Any = object()
CENTS = Decimal("0.01")  # KLIMK is CURR 15,2
USER = "CREDITBRIDGE"
PERSON = "FINANCE01"


class RfcFault(StrEnum):
    COMMUNICATION_BEFORE = "communication_before"  # the call never reaches SAP; the session is lost
    COMMUNICATION_AFTER = "communication_after"  # SAP runs the call, the answer is lost; the session is lost
    SESSION_LOST = "session_lost"  # the session is silently replaced before the call (pyrfc's reopen)
    LOGON = "logon"  # the next logon is refused
    RETURN_ERROR = "return_error"  # the write function answers RETURN TYPE 'E' (no authorisation)


@dataclass
class _Session:
    id: int
    staged: list[Callable[[], None]] = field(default_factory=list)
    locks: set[tuple[str, str]] = field(default_factory=set)


class FakeRfcConnection:
    """One RFC connection: its own ABAP session (LUW and locks), as pyrfc's Connection has."""

    def __init__(self, system: FakeEcc) -> None:
        self.system = system
        self.session = system.new_session()
        self.closed = False

    def call(self, function: str, **params: Any) -> dict[str, Any]:
        if self.closed:
            raise CommunicationError("connection is closed", key="RFC_INVALID_HANDLE")
        return self.system.dispatch(self, function, params)

    def reopen(self) -> None:
        """What pyrfc does after a communication error: a new session; the old one's LUW is gone."""
        self.system.end_session(self.session)
        self.session = self.system.new_session()

    def close(self) -> None:
        self.system.end_session(self.session)
        self.closed = True


class FakeEcc:
    def __init__(
        self,
        settings: SapSettings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        zone: tzinfo = UTC,
    ) -> None:
        self.settings, self._clock, self.zone = settings, clock, zone
        self.tables: dict[str, list[dict[str, Any]]] = {name: [] for name in DDIC}
        self.tables[settings.tid_table] = []
        self.lines: list[dict[str, Any]] = []  # customer line items (BSID + BSAD)
        self._faults: list[tuple[RfcFault, str | None]] = []
        self._sessions = itertools.count(1)
        self._locks: dict[tuple[str, str], int] = {}
        self._change_numbers = itertools.count(1)
        self.calls: Counter[str] = Counter()
        for company in settings.company_codes:
            self.tables["T001"].append(
                {"BUKRS": company.code, "BUTXT": f"Company {company.code}", "WAERS": company.currency}
            )
            if not any(r["KKBER"] == company.credit_control_area for r in self.tables["T014"]):
                self.tables["T014"].append(
                    {"KKBER": company.credit_control_area, "WAERS": company.currency, "KKBTX": "Credit control area"}
                )

    # --- the system's clock and sessions -----------------------------------------------------------

    def now(self) -> datetime:
        return self._clock()

    def today(self) -> date:
        return self._clock().astimezone(self.zone).date()

    def connect(self) -> FakeRfcConnection:
        if self._take(RfcFault.LOGON, "LOGON"):
            raise LogonError("Name or password is incorrect (repeat logon)", code=2, key="RFC_LOGON_FAILURE")
        return FakeRfcConnection(self)

    def new_session(self) -> _Session:
        return _Session(next(self._sessions))

    def end_session(self, session: _Session) -> None:
        session.staged.clear()
        for lock in session.locks:
            self._locks.pop(lock, None)
        session.locks.clear()

    def arm(self, fault: RfcFault, function: str | None = None) -> None:
        """Make the next call (of `function`, or of any function) fail as `fault` says."""
        self._faults.append((fault, function))

    def _take(self, fault: RfcFault, function: str) -> bool:
        for n, (armed, target) in enumerate(self._faults):
            if armed is fault and target in (None, function):
                del self._faults[n]
                return True
        return False

    def dispatch(self, connection: FakeRfcConnection, function: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls[function] += 1
        if self._take(RfcFault.SESSION_LOST, function):
            connection.reopen()
        if self._take(RfcFault.COMMUNICATION_BEFORE, function):
            connection.reopen()
            raise CommunicationError("connection to partner broken (CPI-C error)", key="RFC_COMMUNICATION_FAILURE")
        handler = self._handlers().get(function)
        if handler is None:
            raise ABAPApplicationError(f"Function module {function} not found", key="FU_NOT_FOUND")
        answer = handler(connection.session, params)
        if self._take(RfcFault.COMMUNICATION_AFTER, function):
            connection.reopen()
            raise CommunicationError("connection to partner broken (CPI-C error)", key="RFC_COMMUNICATION_FAILURE")
        return answer

    def _handlers(self) -> dict[str, Callable[[_Session, dict[str, Any]], dict[str, Any]]]:
        return {
            "RFC_PING": lambda session, params: {},
            "RFC_READ_TABLE": self._read_table,
            "BAPI_AR_ACC_GETOPENITEMS": self._open_items,
            "BAPI_AR_ACC_GETBALANCEDITEMS": self._balanced_items,
            "BAPI_CREDIT_ACCOUNT_GET_STATUS": self._credit_status,
            self.settings.write_function: self._write_credit,
            "BAPI_TRANSACTION_COMMIT": self._commit,
            "BAPI_TRANSACTION_ROLLBACK": self._rollback,
        }

    # --- what people do in SAP (FD32, VA02) --------------------------------------------------------

    def seed_ledger(self, ledger: Ledger) -> None:
        seed = sap_seed(ledger, self.settings)
        for c in seed.customers:
            kunnr = alpha_in(c.customer)
            self.tables["KNA1"].append({"KUNNR": kunnr, "NAME1": c.name, "LAND1": "", "STCD1": c.tax_id,
                                        "ERDAT": dats(c.created), "AUFSD": "", "KTOKD": "KUNA"})  # fmt: skip
            self.tables["KNB1"].append({"KUNNR": kunnr, "BUKRS": c.company_code.code, "ZTERM": c.payment_terms,
                                        "AKONT": "0000140000", "ERDAT": dats(c.created)})  # fmt: skip
            for account in c.bank_accounts:
                self.tables["KNBK"].append({"KUNNR": kunnr, "BANKS": account[:2], "BANKL": "", "BANKN": account})
        for k in seed.credit:
            limit = self.settings.no_limit_amount if k.limit is None else k.limit
            self.tables["KNKK"].append({
                "KUNNR": alpha_in(k.customer), "KKBER": k.company_code.credit_control_area, "KLIMK": limit,
                "KNKLI": alpha_in(k.credit_account), "CRBLB": "X" if k.blocked else "", "CTLPC": k.risk_category,
                "SBGRP": "", "NXTRV": dats(k.review_date), "DTREV": "00000000", "ERDAT": dats(k.created),
                "ERNAM": PERSON, "AEDAT": dats(k.created), "AENAM": PERSON,
            })  # fmt: skip
        for line in seed.lines:
            self.lines.append({
                "BUKRS": line.company_code, "KUNNR": alpha_in(line.customer), "GJAHR": line.fiscal_year,
                "BELNR": alpha_in(line.document), "BUZEI": line.item, "BLART": line.doc_type,
                "SHKZG": "S" if line.debit else "H", "WRBTR": line.amount, "DMBTR": line.amount, "WAERS": line.currency,
                "BUDAT": line.posting_date, "BLDAT": line.document_date, "CPUDT": line.posting_date,
                "ZFBDT": line.baseline_date, "ZTERM": line.payment_terms, "ZBD1T": line.discount_days,
                "ZBD1P": line.discount_percent, "ZBD2T": 0, "ZBD3T": line.net_days, "ZUONR": line.assignment,
                "XBLNR": line.reference, "SGTXT": "",
                "AUGBL": alpha_in(line.clearing_document) if line.clearing_document else "",
                "AUGDT": line.clearing_date, "REBZG": alpha_in(line.invoice_ref) if line.invoice_ref else "",
                "REBZJ": line.invoice_ref_year, "UMSKZ": "",
            })  # fmt: skip
        for o in seed.orders:
            vbeln = alpha_in(o.order)
            self.tables["VBAK"].append({"VBELN": vbeln, "AUART": "TA", "VKORG": "", "KUNNR": alpha_in(o.customer),
                                        "AUDAT": dats(o.order_date), "ERDAT": dats(o.order_date),
                                        "AEDAT": "00000000", "NETWR": o.amount, "WAERK": o.currency})  # fmt: skip
            status = {OrderStatus.OPEN: ("A", "A"), OrderStatus.CLOSED: ("C", "A"), OrderStatus.CANCELLED: ("C", "C")}
            gbstk, abstk = status[o.status]
            self.tables["VBUK"].append({"VBELN": vbeln, "GBSTK": gbstk, "ABSTK": abstk, "CMGST": ""})

    def knkk(self, customer: str, kkber: str | None = None) -> dict[str, Any] | None:
        kunnr = alpha_in(customer)
        area = kkber or self._area_of(kunnr)
        return next((r for r in self.tables["KNKK"] if r["KUNNR"] == kunnr and r["KKBER"] == area), None)

    def edit_credit(
        self, customer: str, *, credit_limit: Any = UNSET, on_hold: Any = UNSET, risk_category: Any = UNSET
    ) -> None:
        """A person changes the credit account in FD32 (saved at once, logged in CDHDR, AEDAT today)."""
        kunnr = alpha_in(customer)
        row = self.knkk(kunnr) or self._new_knkk(kunnr, self._area_of(kunnr))
        if credit_limit is not UNSET:
            row["KLIMK"] = (
                self.settings.no_limit_amount if credit_limit is None else Decimal(credit_limit).quantize(CENTS)
            )
        if on_hold is not UNSET:
            row["CRBLB"] = "X" if on_hold else ""
        if risk_category is not UNSET:
            row["CTLPC"] = risk_category
        self._changed(row, PERSON, "FD32")

    def post_line(self, **fields: Any) -> None:
        """A person posts a customer line item (FB70, F-28); fields as in BSID."""
        self.lines.append(fields)

    def applied_references(self) -> list[str]:
        """The write contract's references (creditbridge's idempotency keys) of committed writes, in order."""
        return [row["REFERENCE"] for row in self.tables[self.settings.tid_table]]

    def _area_of(self, kunnr: str) -> str:
        for row in self.tables["KNB1"]:
            if row["KUNNR"] == kunnr:
                return self.settings.company(row["BUKRS"]).credit_control_area
        return self.settings.company_codes[0].credit_control_area

    def _new_knkk(self, kunnr: str, kkber: str) -> dict[str, Any]:
        row = {"KUNNR": kunnr, "KKBER": kkber, "KLIMK": Decimal(0), "KNKLI": kunnr, "CRBLB": "", "CTLPC": "",
               "SBGRP": "", "NXTRV": "00000000", "DTREV": "00000000", "ERDAT": dats(self.today()), "ERNAM": USER,
               "AEDAT": "00000000", "AENAM": ""}  # fmt: skip
        self.tables["KNKK"].append(row)
        return row

    def _changed(self, row: dict[str, Any], user: str, tcode: str) -> None:
        now = self._clock().astimezone(self.zone)
        row["AEDAT"], row["AENAM"] = dats(now.date()), user
        self.tables["CDHDR"].append({
            "OBJECTCLAS": "KLIM", "OBJECTID": row["KUNNR"], "CHANGENR": f"{next(self._change_numbers):010d}",
            "USERNAME": user, "UDATE": dats(now.date()), "UTIME": now.strftime("%H%M%S"), "TCODE": tcode,
        })  # fmt: skip

    # --- RFC_READ_TABLE ----------------------------------------------------------------------------

    def _layout(self, table: str) -> dict[str, int]:
        if table == self.settings.tid_table:
            return TID_TABLE_FIELDS
        if table not in DDIC:
            raise ABAPApplicationError(f"Table {table} not available", key="TABLE_NOT_AVAILABLE")
        return DDIC[table]

    def _read_table(self, session: _Session, params: dict[str, Any]) -> dict[str, Any]:
        table = str(params["QUERY_TABLE"]).upper()
        layout = self._layout(table)
        names = [str(f["FIELDNAME"]).upper() for f in params.get("FIELDS") or []] or list(layout)
        for name in names:
            if name not in layout:
                raise ABAPApplicationError(f"Field {name} not valid for {table}", key="FIELD_NOT_VALID")
        try:
            where = parse([str(o["TEXT"]) for o in params.get("OPTIONS") or []], set(layout))
        except OptionError as exc:
            raise ABAPApplicationError(f"Selection criterion not valid: {exc}", key="OPTION_NOT_VALID") from exc
        delimiter = str(params.get("DELIMITER") or "")
        source = self.tables.get(table, [])
        if table in ("BSID", "BSAD"):  # the secondary indexes: open and cleared customer items
            source = [line for line in self.lines if bool(line["AUGBL"]) == (table == "BSAD")]
        rows = [r for r in source if where({k: _text(v) for k, v in r.items()})]
        skip, count = int(params.get("ROWSKIPS") or 0), int(params.get("ROWCOUNT") or 0)
        rows = rows[skip : skip + count] if count else rows[skip:]
        fields, offset = [], 0
        for name in names:
            fields.append({"FIELDNAME": name, "OFFSET": f"{offset:06d}", "LENGTH": f"{layout[name]:06d}", "TYPE": "C",
                           "FIELDTEXT": ""})  # fmt: skip
            offset += layout[name] + len(delimiter)
        data = [{"WA": delimiter.join(_cell(row.get(n, ""), layout[n]) for n in names)} for row in rows]
        return {"DATA": data, "FIELDS": fields, "OPTIONS": params.get("OPTIONS") or []}

    # --- AR BAPIs ----------------------------------------------------------------------------------

    def _customer_in(self, params: dict[str, Any]) -> tuple[str, str, dict[str, Any] | None]:
        bukrs, kunnr = str(params.get("COMPANYCODE", "")), str(params.get("CUSTOMER", ""))
        if not any(r["BUKRS"] == bukrs for r in self.tables["T001"]):
            return bukrs, kunnr, _bapireturn("E", "F5 165", f"Company code {bukrs} does not exist")
        if not any(r["KUNNR"] == kunnr and r["BUKRS"] == bukrs for r in self.tables["KNB1"]):
            return (
                bukrs,
                kunnr,
                _bapireturn("E", "F2 163", f"Customer {kunnr} has not been created for company code {bukrs}"),
            )
        return bukrs, kunnr, None

    def _open_items(self, session: _Session, params: dict[str, Any]) -> dict[str, Any]:
        bukrs, kunnr, error = self._customer_in(params)
        if error is not None:
            return {"RETURN": error, "LINEITEMS": []}
        keydate = sap_date(params.get("KEYDATE")) or self.today()
        lines = [
            _bapi3007_2(line) for line in self.lines
            if line["BUKRS"] == bukrs and line["KUNNR"] == kunnr and line["BUDAT"] <= keydate
            and (not line["AUGBL"] or (line["AUGDT"] is not None and line["AUGDT"] > keydate))
        ]  # fmt: skip
        return {"RETURN": _bapireturn("", "", ""), "LINEITEMS": lines}

    def _balanced_items(self, session: _Session, params: dict[str, Any]) -> dict[str, Any]:
        bukrs, kunnr, error = self._customer_in(params)
        if error is not None:
            return {"RETURN": error, "LINEITEMS": []}
        start = sap_date(params.get("DATE_FROM")) or date(1900, 1, 1)
        end = sap_date(params.get("DATE_TO")) or self.today()
        lines = [
            _bapi3007_2(line) for line in self.lines
            if line["BUKRS"] == bukrs and line["KUNNR"] == kunnr and line["AUGBL"]
            and line["AUGDT"] is not None and start <= line["AUGDT"] <= end
        ]  # fmt: skip
        return {"RETURN": _bapireturn("", "", ""), "LINEITEMS": lines}

    def _credit_status(self, session: _Session, params: dict[str, Any]) -> dict[str, Any]:
        kkber, kunnr = str(params.get("CREDITCONTROLAREA", "")), str(params.get("CUSTOMER", ""))
        row = self.knkk(kunnr, kkber)
        if row is None:
            message = f"Customer {kunnr} has no credit data in credit control area {kkber}"
            return {"RETURN": _bapireturn1("E", "F4", "052", message), "CREDIT_ACCOUNT_DETAIL": {}}
        currency = next(r["WAERS"] for r in self.tables["T014"] if r["KKBER"] == kkber)
        receivable = sum(
            (line["WRBTR"] if line["SHKZG"] == "S" else -line["WRBTR"]) for line in self.lines
            if line["KUNNR"] == kunnr and not line["AUGBL"]
        )  # fmt: skip
        detail = {"CUSTMR_NO": kunnr, "C_CTR_AREA": kkber, "CURRENCY": currency, "CRED_LIMIT": row["KLIMK"],
                  "RECEIVABLE": Decimal(receivable), "RISK_CATEG": row["CTLPC"], "BLOCKED": row["CRBLB"]}  # fmt: skip
        return {"RETURN": _bapireturn1("", "", "", ""), "CREDIT_ACCOUNT_DETAIL": detail}

    # --- the write contract and the LUW ------------------------------------------------------------

    def _write_credit(self, session: _Session, params: dict[str, Any]) -> dict[str, Any]:
        tid, kunnr, kkber = str(params["IV_TID"]), str(params["IV_KUNNR"]), str(params["IV_KKBER"])
        limit = params["IV_KLIMK"]
        if not isinstance(limit, Decimal) or not fits_scale(limit, 2):
            raise RFCTypeError(f"IV_KLIMK: {limit!r} does not fit CURR 15,2")
        tids = self.tables[self.settings.tid_table]
        if any(row["TID"] == tid for row in tids):
            return {"RETURN": [_bapiret2("S", "ZCB", "010", f"Transaction {tid} already processed")]}
        if self._take(RfcFault.RETURN_ERROR, self.settings.write_function):
            return {"RETURN": [_bapiret2("E", "F4", "101", f"No authorization for credit control area {kkber}")]}
        if not any(r["KUNNR"] == kunnr for r in self.tables["KNA1"]):
            return {"RETURN": [_bapiret2("E", "ZCB", "005", f"Customer {kunnr} does not exist")]}
        currency = next((r["WAERS"] for r in self.tables["T014"] if r["KKBER"] == kkber), None)
        if currency is None:
            return {"RETURN": [_bapiret2("E", "ZCB", "004", f"Credit control area {kkber} does not exist")]}
        if str(params.get("IV_WAERS", "")) != currency:
            message = f"Credit limits in credit control area {kkber} are in {currency}, not {params.get('IV_WAERS')}"
            return {"RETURN": [_bapiret2("E", "ZCB", "004", message)]}
        if limit < 0:
            return {"RETURN": [_bapiret2("E", "ZCB", "003", "The credit limit must not be negative")]}
        holder = self._locks.get((kunnr, kkber))
        if holder is not None and holder != session.id:
            return {"RETURN": [_bapiret2("E", "ZCB", "006", f"Customer {kunnr} is locked by another user")]}
        row = self.knkk(kunnr, kkber)
        if flag(params.get("IV_EXPECTED_NEW")):
            changed = row is not None
        else:
            changed = row is None or (
                row["KLIMK"] != params.get("IV_EXPECTED_KLIMK")
                or row["CRBLB"] != str(params.get("IV_EXPECTED_CRBLB", ""))
            )
        if changed:
            return {"RETURN": [_bapiret2("E", "ZCB", "001", f"Credit data of customer {kunnr} changed meanwhile")]}
        self._locks[(kunnr, kkber)] = session.id
        session.locks.add((kunnr, kkber))
        blocked = "X" if flag(params.get("IV_CRBLB")) else ""
        reference = str(params.get("IV_REFERENCE", ""))

        def update() -> None:  # CALL FUNCTION ... IN UPDATE TASK: runs at COMMIT WORK
            target = self.knkk(kunnr, kkber) or self._new_knkk(kunnr, kkber)
            target["KLIMK"], target["CRBLB"] = limit.quantize(CENTS), blocked
            self._changed(target, USER, "ZCB")
            now = self._clock().astimezone(self.zone)
            tids.append({"TID": tid, "KUNNR": kunnr, "KKBER": kkber, "KLIMK": limit, "CRBLB": blocked,
                         "REFERENCE": reference, "UDATE": dats(now.date()),
                         "UTIME": now.strftime("%H%M%S")})  # fmt: skip

        session.staged.append(update)
        return {"RETURN": [_bapiret2("S", "ZCB", "000", f"Credit data of customer {kunnr} saved")]}

    def _commit(self, session: _Session, params: dict[str, Any]) -> dict[str, Any]:
        for update in session.staged:
            update()
        self.end_session(session)
        return {"RETURN": _bapiret2("", "", "", "")}

    def _rollback(self, session: _Session, params: dict[str, Any]) -> dict[str, Any]:
        self.end_session(session)
        return {"RETURN": _bapiret2("", "", "", "")}


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return dats(value)
    return "" if value is None else str(value)


def _cell(value: Any, length: int) -> str:
    if isinstance(value, Decimal):
        text = format(abs(value), "f") + ("-" if value < 0 else " ")
        return text.rjust(length)[:length]
    return _text(value).ljust(length)[:length]


def _bapireturn(kind: str, code: str, message: str) -> dict[str, Any]:
    return {"TYPE": kind, "CODE": code, "MESSAGE": message, "LOG_NO": "", "LOG_MSG_NO": "000000",
            "MESSAGE_V1": "", "MESSAGE_V2": "", "MESSAGE_V3": "", "MESSAGE_V4": ""}  # fmt: skip


def _bapireturn1(kind: str, ident: str, number: str, message: str) -> dict[str, Any]:
    return {"TYPE": kind, "ID": ident, "NUMBER": number, "MESSAGE": message, "LOG_NO": "", "LOG_MSG_NO": "000000",
            "MESSAGE_V1": "", "MESSAGE_V2": "", "MESSAGE_V3": "", "MESSAGE_V4": ""}  # fmt: skip


def _bapiret2(kind: str, ident: str, number: str, message: str) -> dict[str, Any]:
    return {
        **_bapireturn1(kind, ident, number, message),
        "PARAMETER": "",
        "ROW": 0,
        "FIELD": "",
        "SYSTEM": "ECCCLNT100",
    }


def _bapi3007_2(line: dict[str, Any]) -> dict[str, Any]:
    """A BSID/BSAD row as BAPI3007_2 (LINEITEMS of the AR BAPIs): amounts positive, sign in DB_CR_IND."""
    return {
        "COMP_CODE": line["BUKRS"], "CUSTOMER": line["KUNNR"], "SP_GL_IND": line["UMSKZ"],
        "CLEAR_DATE": dats(line["AUGDT"]), "CLR_DOC_NO": line["AUGBL"], "ALLOC_NMBR": line["ZUONR"],
        "FISC_YEAR": line["GJAHR"], "DOC_NO": line["BELNR"], "ITEM_NUM": line["BUZEI"],
        "PSTNG_DATE": dats(line["BUDAT"]), "DOC_DATE": dats(line["BLDAT"]), "ENTRY_DATE": dats(line["CPUDT"]),
        "CURRENCY": line["WAERS"], "LOC_CURRCY": line["WAERS"], "REF_DOC_NO": line["XBLNR"],
        "DOC_TYPE": line["BLART"], "POST_KEY": "01" if line["SHKZG"] == "S" else "15", "DB_CR_IND": line["SHKZG"],
        "LC_AMOUNT": line["DMBTR"], "AMT_DOCCUR": line["WRBTR"], "ITEM_TEXT": line["SGTXT"],
        "BLINE_DATE": dats(line["ZFBDT"]), "PMNTTRMS": line["ZTERM"], "DSCT_DAYS1": Decimal(line["ZBD1T"]),
        "DSCT_DAYS2": Decimal(line["ZBD2T"]), "NETTERMS": Decimal(line["ZBD3T"]), "DSCT_PCT1": Decimal(line["ZBD1P"]),
        "DSCT_PCT2": Decimal(0), "INV_REF": line["REBZG"], "INV_YEAR": line["REBZJ"],
        "INV_ITEM": "001" if line["REBZG"] else "000",
    }  # fmt: skip
