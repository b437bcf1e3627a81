"""SAP Gateway's OData V2 JSON, both ways: `d`/`results`/`__next`, `/Date(ms)/`, decimals as text, error bodies.

Used by the client (to read answers) and the simulator (to write them), so both agree with
SAP's documentation rather than with each other only.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d+)?\)/$")


def to_date(value: object) -> date | None:
    """Edm.DateTime '/Date(1733184000000)/' -> date (SAP sends dates as midnight UTC); null -> None."""
    if value is None or value == "":
        return None
    match = DATE.match(str(value))
    if match is None:
        raise ValueError(f"not an OData V2 date: {value!r}")
    return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC).date()


def from_date(value: date | None) -> str | None:
    if value is None:
        return None
    return f"/Date({int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp()) * 1000})/"


def to_decimal(value: object) -> Decimal:
    """Edm.Decimal comes as a JSON string ("5000.00"); never through float."""
    if isinstance(value, bool | float):
        raise ValueError(f"an Edm.Decimal must be a string, got {value!r}")
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal: {value!r}") from exc


def results(body: Any) -> tuple[list[dict[str, Any]], str | None]:
    """The rows of a collection answer and its `__next` link (None when it is the last page)."""
    d = body.get("d") if isinstance(body, dict) else None
    if not isinstance(d, dict):
        raise ValueError("not an OData V2 answer (no 'd')")
    rows = d.get("results")
    if not isinstance(rows, list):
        raise ValueError("not an OData V2 collection (no 'd.results')")
    return rows, d.get("__next")


def entity(body: Any) -> dict[str, Any]:
    d = body.get("d") if isinstance(body, dict) else None
    if not isinstance(d, dict):
        raise ValueError("not an OData V2 entity answer (no 'd')")
    return d


def error_body(
    code: str, message: str, transaction_id: str, details: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """SAP Gateway's error JSON (help.sap.com, "Error Response")."""
    return {
        "error": {
            "code": code,
            "message": {"lang": "en", "value": message},
            "innererror": {
                "application": {"component_id": "FIN-FSCM-CR", "service_namespace": "/SAP/", "service_version": "0001"},
                "transactionid": transaction_id,
                "errordetails": details
                if details is not None
                else [{"code": code, "message": message, "propertyref": "", "severity": "error", "target": ""}],
            },
        }
    }


def error_message(body: Any) -> str | None:
    """'CODE: message (detail; detail)' of a Gateway error body, None if the body is not one."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    message = error.get("message")
    text = message.get("value") if isinstance(message, dict) else str(message or "")
    details = ((error.get("innererror") or {}).get("errordetails")) or []
    extra = [
        str(d.get("message")) for d in details if isinstance(d, dict) and d.get("message") and d.get("message") != text
    ]
    code = error.get("code") or ""
    return f"{code}: {text}" + (f" ({'; '.join(extra)})" if extra else "")
