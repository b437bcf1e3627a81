"""Intuit's error shapes, so clients meet the same faults as against QuickBooks Online.

A `QboFault` raised anywhere inside the simulator becomes the JSON Fault envelope of Intuit's
"handling common errors" page: `code` is a string, `type` is usually "ValidationFault".
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import requests


class SimulatorFault(Enum):
    """Failures a test can arm on the simulator (`sim.arm(fault, times)`)."""

    THROTTLE = "throttle"  # HTTP 429 with Intuit's XML body
    EXPIRE_ACCESS_TOKENS = "expire_access_tokens"  # every issued access token expires now -> 401
    SERVER_ERROR = "server_error"  # HTTP 503 with an HTML body
    TIMEOUT_AFTER_APPLY = "timeout_after_apply"  # the write is applied, the response is lost
    STALE_ON_NEXT_UPDATE = "stale_on_next_update"  # someone edits the object first -> 5010
    TIMEOUT_BEFORE_APPLY = "timeout_before_apply"  # the next write is lost on the way: nothing applied, no response
    REJECT_NEXT_WRITE = "reject_next_write"  # the next write fails business validation (6000), nothing applied


class QboFault(Exception):
    """One Intuit Fault: HTTP status, string code, message, detail, element and fault type."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        detail: str = "",
        *,
        element: str = "",
        fault_type: str = "ValidationFault",
    ) -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.element = element
        self.fault_type = fault_type

    def fault(self) -> dict[str, Any]:
        """The `Fault` object (without the `time` envelope field)."""
        return {
            "Error": [{"Message": self.message, "Detail": self.detail, "code": self.code, "element": self.element}],
            "type": self.fault_type,
        }


class LostResponse(requests.exceptions.ConnectionError):
    """Raised by `handle` when TIMEOUT_AFTER_APPLY is armed: the write happened, no response comes back.

    The HTTP server closes the connection without answering; raised from a `responses` callback it
    reaches the client as the `requests.exceptions.ConnectionError` it is.
    """


def stale_object(who: str = "root") -> QboFault:
    return QboFault(
        400,
        "5010",
        "Stale Object Error",
        f"Stale Object Error : You and {who} were working on this at the same time. "
        f"{who} finished before you did, so your work was not saved.",
    )


def not_found(entity: str, entity_id: str) -> QboFault:
    return QboFault(
        400,
        "610",
        "Object Not Found",
        f"Object Not Found : Something you're trying to use has been made inactive. "
        f"Check the fields with accounts, customers, items, vendors or employees. ({entity} {entity_id})",
    )


def query_parse_error(detail: str) -> QboFault:
    return QboFault(400, "4000", "Error parsing query", f"QueryParserError: {detail}")


def invalid_reference(detail: str) -> QboFault:
    return QboFault(400, "2500", "Invalid Reference Id", f"Invalid Reference Id : {detail}")


def required_param(name: str) -> QboFault:
    return QboFault(
        400, "2020", "Required param missing, need to supply the required value for the API",
        f"Required parameter {name} is missing in the request", element=name,
    )


def string_too_long(field: str, maximum: int, supplied: int) -> QboFault:
    return QboFault(
        400, "2050", "String length is either shorter or longer than supported by specification",
        f"String length specified does not match the supported length. Min:0 Max:{maximum} supplied length:{supplied}",
        element=field,
    )


def business_validation(detail: str) -> QboFault:
    return QboFault(
        400, "6000", "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
    )


def duplicate_name(name: str) -> QboFault:
    return QboFault(
        400, "6240", "Duplicate Name Exists Error",
        f"The name supplied already exists. : {name}",
    )


def unsupported(detail: str) -> QboFault:
    return QboFault(400, "500", "Unsupported Operation", detail)


def invalid_request(detail: str, code: str = "2010") -> QboFault:
    """A request-level problem (bad parameter, limit exceeded). Codes here are our choice where Intuit's is unknown."""
    return QboFault(400, code, "Request has invalid or unsupported property", detail)
