"""The QuickBooks Online wire protocol as one function: request in, (status, headers, body) out.

Order of checks, as a client meets them: token endpoint; throttling (armed or over the per-realm
limits: 429 + XML); armed 503; bearer auth (401 plain text); realm; minorversion (>= 75);
requestid replay (the stored response, nothing re-executed); then the operation itself.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import simplejson

from creditbridge.adapters.quickbooks.simulator import faults
from creditbridge.adapters.quickbooks.simulator.clock import SimClock, parse_instant, qbo_envelope_time
from creditbridge.adapters.quickbooks.simulator.faults import LostResponse, QboFault, SimulatorFault
from creditbridge.adapters.quickbooks.simulator.query_language import parse_query, select
from creditbridge.adapters.quickbooks.simulator.state import ENTITIES, ENTITY_BY_PATH, NAME_LISTS, CompanyState
from creditbridge.adapters.quickbooks.simulator.throttle import THROTTLE_XML, RateLimiter
from creditbridge.adapters.quickbooks.simulator.tokens import TokenIssuer

Response = tuple[int, dict[str, str], bytes]

MINIMUM_MINOR_VERSION = 75
REQUEST_ID_MAX = 50
BATCH_REQUEST_ID_MAX = 36
BATCH_MAX_ITEMS = 30
CDC_MAX_OBJECTS = 1000
CDC_LOOK_BACK = timedelta(days=30)
CUSTOM_FIELDS_INCLUDE = "enhancedAllCustomFields"
TOKEN_PATH = "/oauth2/v1/tokens/bearer"

_JSON_HEADERS = {"Content-Type": "application/json;charset=UTF-8"}
_UNAUTHORIZED = b"message=AuthenticationFailed; errorCode=003200; statusCode=401"
_FORBIDDEN = b"message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403"
_SERVER_ERROR = (b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head>"
                 b"<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request."
                 b"</p></body></html>")


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: dict[str, str]
    status: int
    request_id: str | None


@dataclass
class WireState:
    """Everything `handle` needs besides the books; owned by the simulator facade."""

    realm_id: str
    clock: SimClock
    company: CompanyState
    tokens: TokenIssuer
    limiter: RateLimiter
    lock: threading.RLock = field(default_factory=threading.RLock)
    armed: dict[SimulatorFault, int] = field(default_factory=dict)
    replay: dict[str, Response] = field(default_factory=dict)
    request_log: list[RequestRecord] = field(default_factory=list)
    applied_request_ids: list[str] = field(default_factory=list)

    def take(self, fault: SimulatorFault) -> bool:
        """Consume one armed occurrence of `fault`."""
        with self.lock:
            left = self.armed.get(fault, 0)
            if left <= 0:
                return False
            self.armed[fault] = left - 1
            return True


def dumps(payload: Any) -> bytes:
    """JSON with Decimal amounts written as JSON numbers."""
    return bytes(simplejson.dumps(payload, use_decimal=True), "utf-8")


def loads(body: bytes) -> Any:
    return simplejson.loads(body.decode("utf-8"), use_decimal=True)


def handle(wire: WireState, method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> Response:
    parts = urlsplit(url)
    path = unquote(parts.path)
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    lowered = {k.lower(): v for k, v in headers.items()}
    request_id = query.get("requestid")
    status = 500
    try:
        response = _dispatch(wire, method.upper(), path, query, lowered, body or b"")
        status = response[0]
        return response
    except LostResponse:
        status = 0
        raise
    finally:
        with wire.lock:
            wire.request_log.append(RequestRecord(method.upper(), path, query, status, request_id))


def _dispatch(wire: WireState, method: str, path: str, query: dict[str, str], headers: dict[str, str],
              body: bytes) -> Response:
    if path.rstrip("/") == TOKEN_PATH:
        if method != "POST":
            return 405, {"Content-Type": "text/plain"}, b"Method Not Allowed"
        with wire.lock:
            return wire.tokens.handle_token_request(headers, body)
    prefix = "/v3/company/"
    if not path.startswith(prefix):
        return 404, {"Content-Type": "text/plain"}, b"Not Found"
    realm, _, resource = path[len(prefix):].partition("/")
    if wire.take(SimulatorFault.THROTTLE) or not wire.limiter.admit():
        xml = THROTTLE_XML.format(time=qbo_envelope_time(wire.clock.now()))
        return 429, {"Content-Type": "application/xml"}, xml.encode()
    try:
        return _authorized(wire, method, realm, resource.strip("/"), query, headers, body)
    finally:
        wire.limiter.release()


def _authorized(wire: WireState, method: str, realm: str, resource: str, query: dict[str, str],
                headers: dict[str, str], body: bytes) -> Response:
    if wire.take(SimulatorFault.SERVER_ERROR):
        return 503, {"Content-Type": "text/html"}, _SERVER_ERROR
    if wire.take(SimulatorFault.EXPIRE_ACCESS_TOKENS):
        with wire.lock:
            wire.tokens.expire_access_tokens()
    auth = headers.get("authorization", "")
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    with wire.lock:
        valid = bool(token) and wire.tokens.access_token_valid(token)
    if not valid:
        return 401, {"Content-Type": "text/plain", "WWW-Authenticate": 'Bearer realm="Intuit"'}, _UNAUTHORIZED
    if realm != wire.realm_id:
        return 403, {"Content-Type": "text/plain"}, _FORBIDDEN
    request_id = query.get("requestid")
    if method == "POST" and resource != "query" and wire.take(SimulatorFault.TIMEOUT_BEFORE_APPLY):
        raise LostResponse(f"{method} {resource} lost before it reached the company: nothing was applied")
    with wire.lock:
        try:
            _check_minor_version(query)
            if request_id is not None:
                limit = BATCH_REQUEST_ID_MAX if resource == "batch" else REQUEST_ID_MAX
                if not request_id or len(request_id) > limit:
                    raise faults.invalid_request(f"requestid must be 1 to {limit} characters", code="2010")
                cached = wire.replay.get(request_id)
                if cached is not None:
                    return cached[0], dict(cached[1]), cached[2]
        except QboFault as fault:
            return _fault_response(wire, fault)
        revision = wire.company.revision
        try:
            if method == "POST" and resource != "query" and wire.take(SimulatorFault.REJECT_NEXT_WRITE):
                raise faults.business_validation("the simulator was armed to reject this write")
            payload = _operation(wire, method, resource, query, body)
            response: Response = 200, dict(_JSON_HEADERS), dumps({**payload, "time": _now(wire)})
        except QboFault as fault:
            response = _fault_response(wire, fault)
        applied = wire.company.revision != revision
        is_write = method == "POST" and resource != "query"
        if request_id is not None and is_write:
            wire.replay[request_id] = response
            if applied:
                wire.applied_request_ids.append(request_id)
    if is_write and applied and wire.take(SimulatorFault.TIMEOUT_AFTER_APPLY):
        raise LostResponse(f"response to {method} {resource} lost after the write was applied")
    return response


def _now(wire: WireState) -> str:
    return qbo_envelope_time(wire.clock.now())


def _fault_response(wire: WireState, fault: QboFault) -> Response:
    return fault.status, dict(_JSON_HEADERS), dumps({"Fault": fault.fault(), "time": _now(wire)})


def _check_minor_version(query: dict[str, str]) -> None:
    text = query.get("minorversion")
    if text is None:
        raise faults.invalid_request(f"minorversion is required: {MINIMUM_MINOR_VERSION} or later", code="2010")
    try:
        version = int(text)
    except ValueError:
        raise faults.invalid_request(f"minorversion {text!r} is not a number", code="2010") from None
    if version < MINIMUM_MINOR_VERSION:
        raise faults.invalid_request(
            f"minorversion {version} is no longer supported: use {MINIMUM_MINOR_VERSION} or later", code="2010")


def _operation(wire: WireState, method: str, resource: str, query: dict[str, str], body: bytes) -> dict[str, Any]:
    custom_fields = CUSTOM_FIELDS_INCLUDE in query.get("include", "").split(",")
    head, _, rest = resource.partition("/")
    if head == "query":
        text = query.get("query") if method == "GET" else body.decode("utf-8")
        if not text:
            raise faults.required_param("query")
        return {"QueryResponse": run_query(wire, text, custom_fields=custom_fields)}
    if head == "cdc" and method == "GET":
        return _cdc(wire, query, custom_fields=custom_fields)
    if head == "batch" and method == "POST":
        return _batch(wire, _json_body(body), custom_fields=custom_fields)
    entity = ENTITY_BY_PATH.get(head.lower())
    if entity is None:
        raise faults.unsupported(f"Unsupported entity or operation: {method} {resource}")
    if method == "GET" and rest and "/" not in rest:
        return {entity: render(entity, wire.company.get(entity, rest), custom_fields=custom_fields)}
    if method == "POST" and not rest:
        return {entity: write(wire, entity, query.get("operation"), _json_body(body), custom_fields=custom_fields)}
    raise faults.unsupported(f"Unsupported operation: {method} {resource}")


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        parsed = loads(body)
    except (ValueError, UnicodeDecodeError):
        raise faults.QboFault(400, "2310", "Invalid Request Body", "Request body is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise faults.QboFault(400, "2310", "Invalid Request Body", "Request body must be a JSON object")
    return parsed


def render(entity: str, obj: dict[str, Any], *, custom_fields: bool) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    if entity == "Customer" and not custom_fields:
        out.pop("CustomField", None)
    return out


def write(wire: WireState, entity: str, operation: str | None, body: dict[str, Any], *,
          custom_fields: bool) -> dict[str, Any]:
    company = wire.company
    if operation == "delete":
        _maybe_stale(wire, entity, body)
        return company.delete(entity, body)
    if operation not in (None, "", "update"):
        raise faults.unsupported(f"Operation {operation} is not supported by the simulator")
    if body.get("Id") not in (None, ""):
        _maybe_stale(wire, entity, body)
        return render(entity, company.update(entity, body, custom_fields=custom_fields), custom_fields=custom_fields)
    return render(entity, company.create(entity, body, custom_fields=custom_fields), custom_fields=custom_fields)


def _maybe_stale(wire: WireState, entity: str, body: dict[str, Any]) -> None:
    entity_id = str(body.get("Id"))
    if entity_id in wire.company.objects[entity] and wire.take(SimulatorFault.STALE_ON_NEXT_UPDATE):
        wire.company.human_edit(entity, entity_id, {})


def run_query(wire: WireState, text: str, *, custom_fields: bool) -> dict[str, Any]:
    """Evaluate one query; the `QueryResponse` object (entity key absent when nothing matches)."""
    parsed = parse_query(text)
    entity = next((name for name in ENTITIES if name.lower() == parsed.entity.lower()), None)
    if entity is None:
        raise faults.query_parse_error(f"Invalid context declaration : {parsed.entity}")
    rows, total = select(parsed, list(wire.company.objects[entity].values()), active_only_default=entity in NAME_LISTS)
    if parsed.count:
        return {"totalCount": total}
    if not rows:
        return {}
    return {entity: [render(entity, r, custom_fields=custom_fields) for r in rows],
            "startPosition": parsed.start_position, "maxResults": len(rows)}


def _cdc(wire: WireState, query: dict[str, str], *, custom_fields: bool) -> dict[str, Any]:
    names = [n.strip() for n in query.get("entities", "").split(",") if n.strip()]
    if not names:
        raise faults.required_param("entities")
    if "changedSince" not in query:
        raise faults.required_param("changedSince")
    try:
        since = parse_instant(query["changedSince"])
    except ValueError:
        raise faults.invalid_request(f"changedSince {query['changedSince']!r} is not an ISO-8601 dateTime") from None
    if since < wire.clock.now() - CDC_LOOK_BACK:
        raise faults.invalid_request(
            "changedSince is more than 30 days in the past: Change Data Capture looks back at most 30 days",
            code="2010")
    left = CDC_MAX_OBJECTS
    responses: list[dict[str, Any]] = []
    for name in names:
        entity = next((e for e in ENTITIES if e.lower() == name.lower()), None)
        if entity is None:
            raise faults.invalid_request(f"Unsupported entity in CDC: {name}")
        rows = wire.company.changed_since(entity, since)[:left]
        left -= len(rows)
        if rows:
            responses.append({entity: [render(entity, r, custom_fields=custom_fields) for r in rows],
                              "startPosition": 1, "maxResults": len(rows)})
        else:
            responses.append({})
    return {"CDCResponse": [{"QueryResponse": responses}]}


def _batch(wire: WireState, body: dict[str, Any], *, custom_fields: bool) -> dict[str, Any]:
    items = body.get("BatchItemRequest")
    if not isinstance(items, list):
        raise faults.required_param("BatchItemRequest")
    if len(items) > BATCH_MAX_ITEMS:
        raise faults.invalid_request(
            f"Batch has {len(items)} items: the maximum is {BATCH_MAX_ITEMS} per batch request", code="2010")
    out: list[dict[str, Any]] = []
    for item in items:
        bid = item.get("bId")
        result: dict[str, Any] = {"bId": bid}
        try:
            if "Query" in item:
                result["QueryResponse"] = run_query(wire, str(item["Query"]), custom_fields=custom_fields)
            else:
                entity = next((k for k in item if k in ENTITIES), None)
                if entity is None:
                    raise faults.unsupported("Batch item names no supported entity")
                operation = item.get("operation", "create")
                if operation == "create" and item[entity].get("Id"):
                    raise faults.invalid_request("A create must not carry an Id", code="2010")
                result[entity] = write(wire, entity, "delete" if operation == "delete" else None, item[entity],
                                       custom_fields=custom_fields)
        except QboFault as fault:
            result["Fault"] = fault.fault()
        out.append(result)
    return {"BatchItemResponse": out}

