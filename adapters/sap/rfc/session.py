"""One RFC connection kept for reads, reopened after a failure, with RFC errors turned into the ErpError tree.

Why translate here: above this line the adapter speaks the ports' language — a broken network
is `ErpUnavailable` (retry later), a refused logon `ErpAuthError`, a function or table the
system lacks `ErpConfigError`. pyrfc reconnects silently after a communication error, so the
next call runs in a new ABAP session; we drop the connection and open a fresh one instead.
"""

from __future__ import annotations

import contextlib
from typing import Any

from creditbridge.adapters.sap.rfc.connection import RfcConnection, RfcConnector
from creditbridge.adapters.sap.rfc.errors import (
    ABAPApplicationError,
    ABAPRuntimeError,
    CommunicationError,
    ExternalAuthorizationError,
    LogonError,
    RFCError,
    RFCTypeError,
)
from creditbridge.core.ports import ErpAuthError, ErpConfigError, ErpError, ErpUnavailable


def translated(exc: RFCError, doing: str) -> ErpError:
    """The ErpError for an RFC failure while `doing` (e.g. 'RFC_READ_TABLE KNKK')."""
    if isinstance(exc, CommunicationError):
        return ErpUnavailable(f"SAP could not be reached ({doing}): {exc}")
    if isinstance(exc, LogonError):
        return ErpAuthError(f"SAP refused the logon ({doing}): {exc}; check user, password and client")
    if isinstance(exc, ExternalAuthorizationError):
        return ErpConfigError(f"the RFC user lacks an authorisation ({doing}): {exc}")
    if isinstance(exc, ABAPApplicationError):
        return ErpConfigError(f"SAP refused {doing}: {exc}")
    if isinstance(exc, RFCTypeError):
        return ErpConfigError(f"a value did not fit its ABAP type ({doing}): {exc}")
    if isinstance(exc, ABAPRuntimeError):
        return ErpUnavailable(f"SAP ended {doing} with a runtime error: {exc}")
    return ErpError(f"RFC failed ({doing}): {exc}")


class RfcSession:
    def __init__(self, connector: RfcConnector) -> None:
        self._connector = connector
        self._connection: RfcConnection | None = None

    def call(self, function: str, **params: Any) -> dict[str, Any]:
        doing = function + (f" {params['QUERY_TABLE']}" if "QUERY_TABLE" in params else "")
        try:
            if self._connection is None:
                self._connection = self._connector()
            return self._connection.call(function, **params)
        except RFCError as exc:
            if isinstance(exc, CommunicationError | LogonError | ABAPRuntimeError):
                self.close()
            raise translated(exc, doing) from exc

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(RFCError):  # closing a broken connection: nothing left to release
                connection.close()
