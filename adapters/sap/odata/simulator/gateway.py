"""`S4Simulator`: SAP Gateway in front of an S/4HANA system, as a client written from SAP's docs meets it.

Served at /sap/opu/odata/sap/<SERVICE>/…: the service document, `$metadata`, collections with
`$filter`, `$select`, `$top`, `$skip`, `$inlinecount=allpages` (`__count`) and server-driven paging
(`__next` with `$skiptoken` beyond `server_page` rows), single entities by key, and writes:
PATCH of a CreditManagementAccount (ETag required: If-Match, 428 without, 412 when stale) and
POST of a new account through CreditMgmtBusinessPartner(…)/to_CreditMgmtAccountTP.
Security as Gateway does it: Basic logon or the session cookie it sets; `sap-client` must be the
system's client; writes need the CSRF token fetched with `x-csrf-token: Fetch` in the same
session (403 "CSRF token validation failed" and `x-csrf-token: Required` otherwise).
Errors are Gateway error bodies (wire.error_body).
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from creditbridge.adapters import loopback_http
from creditbridge.adapters.sap.codes import fits_scale
from creditbridge.adapters.sap.ledger_seed import sap_seed
from creditbridge.adapters.sap.odata import wire
from creditbridge.adapters.sap.odata.simulator.entity_sets import (
    CREDIT_ACCOUNT,
    CREDIT_PARTNER,
    CUSTOMER,
    CUSTOMER_COMPANY,
    ENTITY_SETS,
    LINE_ITEM,
    NAVIGATION,
    SALES_ORDER,
    EntitySet,
    metadata,
)
from creditbridge.adapters.sap.odata.simulator.filters import FilterError, parse
from creditbridge.adapters.sap.settings import SapSettings
from creditbridge.core.model import Ledger, OrderStatus

ROOT = "/sap/opu/odata/sap/"
UNSET: Any = object()
Answer = tuple[int, dict[str, str], bytes]


class LostResponse(Exception):
    """The answer never reaches the client (the server drops the connection)."""


class GatewayFault(StrEnum):
    SERVER_ERROR = "server_error"  # the next request gets 503 (ICM: service unavailable)
    LOST_BEFORE_APPLY = "lost_before_apply"  # the next write is lost on the way: nothing applied, no answer
    LOST_AFTER_APPLY = "lost_after_apply"  # the next write is applied, its answer is lost
    REJECT_NEXT_WRITE = "reject_next_write"  # the next write fails a business check (400)


class _Reply(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


class S4Simulator:
    def __init__(
        self,
        settings: SapSettings,
        *,
        client: str = "100",
        user: str = "CREDITBRIDGE",
        password: str = "simulator",
        server_page: int = 1000,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        zone: tzinfo = UTC,
    ) -> None:
        self.settings, self.client, self.user, self.password = settings, client, user, password
        self.server_page, self._clock, self.zone = server_page, clock, zone
        self.rows: dict[tuple[str, str], list[dict[str, Any]]] = {key: [] for key in ENTITY_SETS}
        self._etags: dict[tuple[str, ...], int] = {}
        self._sessions: dict[str, str] = {}  # session cookie -> CSRF token ('' before a fetch)
        self._faults: list[GatewayFault] = []
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self.writes = 0  # writes applied (PATCH and POST)
        self.requests: list[tuple[str, str]] = []

    # --- a person in S/4HANA (transaction UKM_BP) and the test's hand ------------------------------

    def today(self) -> date:
        return self._clock().astimezone(self.zone).date()

    def seed_ledger(self, ledger: Ledger) -> None:
        seed = sap_seed(ledger, self.settings)
        for c in seed.customers:
            self._rows(CUSTOMER).append({"Customer": c.customer, "CustomerName": c.name, "CreationDate": c.created,
                                         "OrderIsBlockedForCustomer": "", "DeletionIndicator": False})  # fmt: skip
            company = {"Customer": c.customer, "CompanyCode": c.company_code.code, "PaymentTerms": c.payment_terms}
            self._rows(CUSTOMER_COMPANY).append({**company, "DeletionIndicator": False})
            credit = next((k for k in seed.credit if k.customer == c.customer), None)
            self._rows(CREDIT_PARTNER).append({
                "BusinessPartner": c.customer, "CrdtMgmtBusinessPartnerGroup": "",
                "CreditWorthinessScoreValue": "", "CreditRiskClass": credit.risk_category if credit else "",
                "CreditCheckRule": "01",
            })  # fmt: skip
        for k in seed.credit:
            if k.limit is None and not k.blocked:
                continue  # a risk class alone lives on the business partner
            self._new_account(k.customer, k.company_code.credit_segment, k.company_code.currency,
                              k.limit, k.blocked, k.created)  # fmt: skip
        for line in seed.lines:
            signed = line.amount if line.debit else -line.amount
            credit_memo = line.doc_type in {b for b, t in self.settings.document_types.items() if t.value == "CM"}
            self._rows(LINE_ITEM).append({
                "CompanyCode": line.company_code, "FiscalYear": line.fiscal_year, "AccountingDocument": line.document,
                "AccountingDocumentItem": line.item, "Customer": line.customer, "FinancialAccountType": "D",
                "AccountingDocumentType": line.doc_type, "DebitCreditCode": "S" if line.debit else "H",
                "IsCleared": bool(line.clearing_document), "ClearingAccountingDocument": line.clearing_document,
                "ClearingDate": line.clearing_date, "PostingDate": line.posting_date,
                "DocumentDate": line.document_date, "AccountingDocumentCreationDate": line.posting_date,
                "DueCalculationBaseDate": line.baseline_date,
                "NetDueDate": line.baseline_date + timedelta(days=0 if credit_memo else line.net_days),
                "PaymentTerms": line.payment_terms, "CashDiscount1Days": Decimal(line.discount_days),
                "CashDiscount1Percent": line.discount_percent, "AssignmentReference": line.assignment,
                "DocumentReferenceID": line.reference, "InvoiceReference": line.invoice_ref,
                "InvoiceReferenceFiscalYear": line.invoice_ref_year, "SpecialGLCode": "",
                "AmountInTransactionCurrency": signed, "TransactionCurrency": line.currency,
                "AmountInCompanyCodeCurrency": signed, "CompanyCodeCurrency": line.currency,
            })  # fmt: skip

        statuses = {OrderStatus.OPEN: ("A", "A"), OrderStatus.CLOSED: ("C", "A"), OrderStatus.CANCELLED: ("C", "C")}
        for o in seed.orders:
            process, rejection = statuses[o.status]
            self._rows(SALES_ORDER).append({
                "SalesOrder": o.order, "SalesOrderType": "OR", "SalesOrganization": "", "SoldToParty": o.customer,
                "SalesOrderDate": o.order_date, "CreationDate": o.order_date, "LastChangeDate": None,
                "TotalNetAmount": o.amount, "TransactionCurrency": o.currency, "OverallSDProcessStatus": process,
                "OverallSDDocumentRejectionSts": rejection, "TotalCreditCheckStatus": "",
            })  # fmt: skip

    def account(self, partner: str, segment: str | None = None) -> dict[str, Any] | None:
        for row in self._rows(CREDIT_ACCOUNT):
            if row["BusinessPartner"] == partner and (segment is None or row["CreditSegment"] == segment):
                return row
        return None

    def edit_account(
        self, partner: str, *, credit_limit: Any = UNSET, on_hold: Any = UNSET, critical: Any = UNSET
    ) -> None:
        """A person changes the credit account in UKM_BP (saved at once; the ETag moves)."""
        with self._lock:
            row = self.account(partner)
            if row is None:
                segment = self.settings.company_codes[0]
                row = self._new_account(partner, segment.credit_segment, segment.currency, None, False, self.today())
            if credit_limit is not UNSET:
                row["CreditLimitAmount"] = (
                    Decimal(0) if credit_limit is None else Decimal(credit_limit).quantize(Decimal("0.01"))
                )
                row["CreditLimitIsZero"] = credit_limit is not None and Decimal(credit_limit) == 0
                row["CreditLimitLastChangeDate"] = self.today()
            if on_hold is not UNSET:
                row["CreditAccountIsBlocked"] = bool(on_hold)
                row["CreditAccountBlockReason"] = self.settings.block_reason if on_hold else ""
            if critical is not UNSET:
                row["BusinessPartnerIsCritical"] = bool(critical)
            self._bump(row)

    def arm(self, fault: GatewayFault) -> None:
        self._faults.append(fault)

    def expire_csrf_tokens(self) -> None:
        """Gateway forgot every CSRF token (session timeout, server restart): the next write gets 403."""
        with self._lock:
            self._sessions = {sid: "" for sid in self._sessions}

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Any:
        return loopback_http.serve(self.handle, host, port, lost=(LostResponse,), name="sap-odata-simulator")

    def _rows(self, entity_set: EntitySet) -> list[dict[str, Any]]:
        return self.rows[(entity_set.service, entity_set.name)]

    def _new_account(
        self, partner: str, segment: str, currency: str, limit: Decimal | None, blocked: bool, changed: date
    ) -> dict[str, Any]:
        row = {
            "BusinessPartner": partner, "CreditSegment": segment, "BusinessPartnerIsCritical": False,
            "CreditAccountIsBlocked": blocked,
            "CreditAccountBlockReason": self.settings.block_reason if blocked else "",
            "CreditAccountResubmissionDate": None, "CreditLimitAmount": Decimal(0) if limit is None else limit,
            "CreditLimitValidityEndDate": date(9999, 12, 31), "CreditLimitLastChangeDate": changed,
            "CreditLimitCalculatedAmount": Decimal(0), "CreditLimitIsZero": limit is not None and limit == 0,
            "CreditLimitRequestedAmount": Decimal(0), "CreditSegmentCurrency": currency,
        }  # fmt: skip
        self._rows(CREDIT_ACCOUNT).append(row)
        self._bump(row)
        return row

    def _bump(self, row: dict[str, Any]) -> None:
        key = (row["BusinessPartner"], row["CreditSegment"])
        self._etags[key] = self._etags.get(key, 0) + 1

    def etag(self, row: dict[str, Any]) -> str:
        n = self._etags.get((row["BusinessPartner"], row["CreditSegment"]), 1)
        return f"W/\"datetimeoffset'{n:06d}'\""

    # --- HTTP --------------------------------------------------------------------------------------

    def handle(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> Answer:
        with self._lock:
            return self._handle(method.upper(), url, {k.lower(): v for k, v in headers.items()}, body)

    def _handle(self, method: str, url: str, headers: dict[str, str], body: bytes | None) -> Answer:
        parts = urlsplit(url)
        self.requests.append((method, parts.path))
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        out: dict[str, str] = {"dataserviceversion": "2.0"}
        try:
            if GatewayFault.SERVER_ERROR in self._faults:
                self._faults.remove(GatewayFault.SERVER_ERROR)
                return 503, {"Content-Type": "text/html"}, b"<html><body>503 Service Unavailable (ICM)</body></html>"
            session = self._logon(headers, query, out)
            if headers.get("x-csrf-token", "").lower() == "fetch":
                token = self._sessions.get(session) or secrets.token_urlsafe(18)
                self._sessions[session] = token
                out["x-csrf-token"] = token
            if method not in ("GET", "HEAD"):
                self._check_csrf(session, headers)
            if not parts.path.startswith(ROOT):
                raise _Reply(404, "/IWFND/MED/170", f"No service found for namespace '', name '{parts.path}'")
            service, _, rest = parts.path[len(ROOT) :].partition("/")
            if not any(s.service == service for s in ENTITY_SETS.values()):
                raise _Reply(
                    404, "/IWFND/MED/170", f"No service found for namespace '/SAP/', name '{service}', version '0001'"
                )
            status, payload, extra = self._route(method, service, unquote(rest), query, headers, body, parts)
            out.update(extra)
            return status, out, payload
        except _Reply as reply:
            out.update(reply.headers)
            if reply.code == "CSRF":
                out["Content-Type"] = "text/plain"
                return reply.status, out, reply.message.encode()
            out["Content-Type"] = "application/json"
            error = wire.error_body(reply.code, reply.message, f"{next(self._ids):032X}")
            return reply.status, out, json.dumps(error).encode()

    def _logon(self, headers: dict[str, str], query: dict[str, str], out: dict[str, str]) -> str:
        if query.get("sap-client", self.client) != self.client:
            raise _Reply(401, "/IWFND/CM_CONSUMER/101", f"Logon failed: client {query['sap-client']} does not exist")
        cookie_name = f"SAP_SESSIONID_S4H_{self.client}"
        cookies = dict(c.strip().split("=", 1) for c in headers.get("cookie", "").split(";") if "=" in c)
        session = cookies.get(cookie_name)
        if session in self._sessions:
            return session
        auth = headers.get("authorization", "")
        expected = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        if auth != expected:
            raise _Reply(
                401,
                "/IWFND/CM_CONSUMER/101",
                "Logon failed",
                {"WWW-Authenticate": 'Basic realm="SAP NetWeaver Application Server [S4H/100]"'},
            )
        session = secrets.token_urlsafe(16)
        self._sessions[session] = ""
        out["Set-Cookie"] = f"{cookie_name}={session}; path=/; HttpOnly"
        return session

    def _check_csrf(self, session: str, headers: dict[str, str]) -> None:
        token = self._sessions.get(session, "")
        if not token or headers.get("x-csrf-token") != token:
            raise _Reply(403, "CSRF", "CSRF token validation failed", {"x-csrf-token": "Required"})

    def _route(
        self,
        method: str,
        service: str,
        rest: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes | None,
        parts: Any,
    ) -> tuple[int, bytes, dict[str, str]]:
        base = f"{ROOT}{service}/"
        if rest in ("", "/"):
            names = [s.name for s in ENTITY_SETS.values() if s.service == service]
            return 200, json.dumps({"d": {"EntitySets": names}}).encode(), {"Content-Type": "application/json"}
        if rest == "$metadata":
            return 200, metadata(service).encode(), {"Content-Type": "application/xml"}
        name, key_text, nav = _resource(rest)
        entity_set = ENTITY_SETS.get((service, name))
        if entity_set is None:
            raise _Reply(404, "/IWBEP/CM_MGW_RT/021", f"Resource not found for segment '{name}'")
        if key_text is None:
            if method != "GET":
                raise _Reply(405, "/IWBEP/CM_MGW_RT/011", f"Method {method} not allowed on the collection {name}")
            return self._collection(entity_set, query, base, parts)
        key = _keys(key_text, entity_set)
        row = next((r for r in self._rows(entity_set) if all(r[k] == v for k, v in key.items())), None)
        if row is None:
            raise _Reply(404, "/IWBEP/CM_MGW_RT/020", f"Resource not found for segment '{name}({key_text})'")
        if nav:
            target = NAVIGATION.get((name, nav))
            if target is None:
                raise _Reply(404, "/IWBEP/CM_MGW_RT/021", f"Resource not found for segment '{nav}'")
            if method == "POST":
                return self._create_account(row, body, base)
            related = [r for r in self._rows(CREDIT_ACCOUNT) if r["BusinessPartner"] == row["BusinessPartner"]]
            payload = {"d": {"results": [self._render(CREDIT_ACCOUNT, r, base, None) for r in related]}}
            return 200, json.dumps(payload).encode(), {"Content-Type": "application/json"}
        if method == "GET":
            extra = {"ETag": self.etag(row)} if entity_set.etag else {}
            payload = {"d": self._render(entity_set, row, base, query.get("$expand"))}
            return 200, json.dumps(payload).encode(), {"Content-Type": "application/json", **extra}
        if method in ("PATCH", "MERGE", "PUT") and entity_set is CREDIT_ACCOUNT:
            return self._patch(row, headers, body)
        raise _Reply(405, "/IWBEP/CM_MGW_RT/011", f"Method {method} not allowed for {name}")

    def _collection(
        self, entity_set: EntitySet, query: dict[str, str], base: str, parts: Any
    ) -> tuple[int, bytes, dict[str, str]]:
        rows = self._rows(entity_set)
        if query.get("$filter"):
            try:
                predicate = parse(query["$filter"], set(entity_set.properties))
            except FilterError as exc:
                raise _Reply(400, "/IWBEP/CM_MGW_RT/000", f"Invalid filter expression: {exc}") from exc
            rows = [r for r in rows if predicate(r)]
        rows = sorted(rows, key=lambda r: tuple(str(r[k]) for k in entity_set.keys))
        total = len(rows)
        skip = _int(query.get("$skip"), "$skip")
        top = _int(query.get("$top"), "$top") if query.get("$top") else None
        window = rows[skip : skip + top] if top is not None else rows[skip:]
        token = _int(query.get("$skiptoken"), "$skiptoken")
        page = window[token : token + self.server_page]
        select = [s.strip() for s in query["$select"].split(",")] if query.get("$select") else None
        results = [self._render(entity_set, r, base, query.get("$expand"), select) for r in page]
        d: dict[str, Any] = {"results": results}
        if query.get("$inlinecount") == "allpages":
            d["__count"] = str(total)
        if token + self.server_page < len(window):
            params = {k: v for k, v in query.items() if k != "$skiptoken"}
            params["$skiptoken"] = str(token + self.server_page)
            d["__next"] = f"{base}{entity_set.name}?{urlencode(params, quote_via=quote, safe='$')}"
        return 200, json.dumps({"d": d}).encode(), {"Content-Type": "application/json"}

    def _render(
        self, entity_set: EntitySet, row: dict[str, Any], base: str, expand: str | None, select: list[str] | None = None
    ) -> dict[str, Any]:
        uri = base + entity_set.name + "(" + ",".join(f"{k}='{quote(str(row[k]))}'" for k in entity_set.keys) + ")"
        meta: dict[str, Any] = {"id": uri, "uri": uri, "type": f"{entity_set.service}.{entity_set.entity_type}"}
        if entity_set.etag:
            meta["etag"] = self.etag(row)
        out: dict[str, Any] = {"__metadata": meta}
        for name, kind in entity_set.properties.items():
            if select is not None and name not in select:
                continue
            out[name] = _encode(row.get(name), kind)
        for (source, nav), _target in NAVIGATION.items():
            if source != entity_set.name:
                continue
            if expand and nav in expand.split(","):
                related = [r for r in self._rows(CREDIT_ACCOUNT) if r["BusinessPartner"] == row["BusinessPartner"]]
                out[nav] = {"results": [self._render(CREDIT_ACCOUNT, r, base, None) for r in related]}
            else:
                out[nav] = {"__deferred": {"uri": f"{uri}/{nav}"}}
        return out

    def _patch(
        self, row: dict[str, Any], headers: dict[str, str], body: bytes | None
    ) -> tuple[int, bytes, dict[str, str]]:
        given = headers.get("if-match")
        if not given:
            raise _Reply(428, "/IWBEP/CM_MGW_RT/024", "Precondition required: send If-Match with the entity's ETag")
        if given != "*" and given != self.etag(row):
            raise _Reply(412, "/IWBEP/CM_MGW_RT/022", "Precondition failed: the entity was changed by another user")
        changes = self._changes(body, CREDIT_ACCOUNT)
        self._write_fault()
        if GatewayFault.LOST_BEFORE_APPLY in self._faults:
            self._faults.remove(GatewayFault.LOST_BEFORE_APPLY)
            raise LostResponse
        if "CreditLimitAmount" in changes and changes["CreditLimitAmount"] != row["CreditLimitAmount"]:
            row["CreditLimitLastChangeDate"] = self.today()
        row.update(changes)
        self._bump(row)
        self.writes += 1
        if GatewayFault.LOST_AFTER_APPLY in self._faults:
            self._faults.remove(GatewayFault.LOST_AFTER_APPLY)
            raise LostResponse
        return 204, b"", {"ETag": self.etag(row)}

    def _create_account(
        self, partner: dict[str, Any], body: bytes | None, base: str
    ) -> tuple[int, bytes, dict[str, str]]:
        data = _json(body)
        segment = str(data.get("CreditSegment", ""))
        segments = {c.credit_segment: c.currency for c in self.settings.company_codes}
        if segment not in segments:
            raise _Reply(400, "UKM_BP/020", f"Credit segment {segment} does not exist")
        if self.account(partner["BusinessPartner"], segment) is not None:
            raise _Reply(
                400, "UKM_BP/021", f"Business partner {partner['BusinessPartner']} already has credit segment {segment}"
            )
        currency = str(data.get("CreditSegmentCurrency") or segments[segment])
        if currency != segments[segment]:
            raise _Reply(400, "UKM_BP/022", f"Credit segment {segment} is kept in {segments[segment]}, not {currency}")
        changes = self._changes(
            json.dumps({k: v for k, v in data.items() if k in CREDIT_ACCOUNT.updatable}).encode(), CREDIT_ACCOUNT
        )
        self._write_fault()
        if GatewayFault.LOST_BEFORE_APPLY in self._faults:
            self._faults.remove(GatewayFault.LOST_BEFORE_APPLY)
            raise LostResponse
        row = self._new_account(partner["BusinessPartner"], segment, currency, None, False, self.today())
        row.update(changes)
        self.writes += 1
        if GatewayFault.LOST_AFTER_APPLY in self._faults:
            self._faults.remove(GatewayFault.LOST_AFTER_APPLY)
            raise LostResponse
        payload = {"d": self._render(CREDIT_ACCOUNT, row, base, None)}
        return 201, json.dumps(payload).encode(), {"Content-Type": "application/json", "ETag": self.etag(row)}

    def _write_fault(self) -> None:
        if GatewayFault.REJECT_NEXT_WRITE in self._faults:
            self._faults.remove(GatewayFault.REJECT_NEXT_WRITE)
            raise _Reply(400, "UKM_BP/105", "No authorization to change credit limits in this credit segment")

    def _changes(self, body: bytes | None, entity_set: EntitySet) -> dict[str, Any]:
        data = _json(body)
        changes: dict[str, Any] = {}
        for name, value in data.items():
            if name == "__metadata":
                continue
            if name not in entity_set.properties:
                raise _Reply(400, "/IWBEP/CM_MGW_RT/000", f"Property '{name}' is invalid")
            if name not in entity_set.updatable:
                raise _Reply(400, "/IWBEP/CM_MGW_RT/000", f"Property '{name}' is not updatable")
            kind = entity_set.properties[name]
            try:
                changes[name] = _decode(value, kind)
            except ValueError as exc:
                raise _Reply(400, "/IWBEP/CM_MGW_RT/000", f"Property '{name}' has invalid value: {exc}") from exc
        limit = changes.get("CreditLimitAmount")
        if limit is not None and (limit < 0 or not fits_scale(limit, 2)):
            raise _Reply(400, "UKM_BP/011", f"Credit limit {limit} is not valid (0 or more, 2 decimals)")
        if limit is not None:
            changes["CreditLimitAmount"] = limit.quantize(Decimal("0.01"))  # CURR 15,2
        return changes


def _resource(rest: str) -> tuple[str, str | None, str | None]:
    """'Set' | "Set(keys)" | "Set(keys)/nav" -> (set, keys text or None, nav or None)."""
    head, _, nav = rest.partition("/")
    if "(" in head and head.endswith(")"):
        name, key_text = head[: head.index("(")], head[head.index("(") + 1 : -1]
        return name, key_text, nav or None
    return head, None, None


def _keys(text: str, entity_set: EntitySet) -> dict[str, str]:
    if "=" not in text and len(entity_set.keys) == 1:
        return {entity_set.keys[0]: text.strip("'")}
    keys: dict[str, str] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        keys[name.strip()] = value.strip().strip("'")
    if set(keys) != set(entity_set.keys):
        raise _Reply(400, "/IWBEP/CM_MGW_RT/000", f"Invalid key predicate: {text}")
    return keys


def _int(value: str | None, name: str) -> int:
    try:
        return int(value or 0)
    except ValueError as exc:
        raise _Reply(400, "/IWBEP/CM_MGW_RT/000", f"Invalid system query option {name}={value}") from exc


def _json(body: bytes | None) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        raise _Reply(400, "/IWBEP/CM_MGW_RT/000", f"Malformed JSON body: {exc}") from exc
    if not isinstance(data, dict):
        raise _Reply(400, "/IWBEP/CM_MGW_RT/000", "The body must be a JSON object")
    return data


def _encode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "Edm.Decimal":
        return format(value, "f")
    if kind == "Edm.DateTime":
        return wire.from_date(value)
    return value


def _decode(value: Any, kind: str) -> Any:
    if kind == "Edm.Decimal":
        return wire.to_decimal(value)
    if kind == "Edm.Boolean":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
        return value
    if kind == "Edm.DateTime":
        return None if value is None else wire.to_date(value)
    return "" if value is None else str(value)


def in_process_session(simulator: S4Simulator) -> Any:
    """A requests.Session whose http:// requests the simulator answers in-process (no socket).

    A lost answer surfaces as requests' ReadTimeout, as over the network.
    """
    import requests
    from requests.adapters import BaseAdapter
    from requests.structures import CaseInsensitiveDict

    class SimulatorTransport(BaseAdapter):
        def send(self, request: Any, *args: Any, **kwargs: Any) -> requests.Response:
            body = request.body.encode() if isinstance(request.body, str) else request.body
            try:
                status, headers, payload = simulator.handle(request.method, request.url, dict(request.headers), body)
            except LostResponse as exc:
                raise requests.ReadTimeout("the simulator lost the answer") from exc
            response = requests.Response()
            response.status_code, response._content = status, payload
            response.headers = CaseInsensitiveDict(headers)
            response.url, response.request = request.url, request
            response.reason = {200: "OK", 201: "Created", 204: "No Content"}.get(status, "Error")
            if "Set-Cookie" in headers:
                name, _, rest = headers["Set-Cookie"].partition("=")
                session.cookies.set(name, rest.split(";")[0], path="/")
            return response

        def close(self) -> None:
            pass

    session = requests.Session()
    session.mount("http://", SimulatorTransport())
    return session
