"""ECC over RFC: our own small RFC protocol (pyrfc's shape), the ECC reader and writer, and a fake backend.

The adapter depends only on `RfcConnection` (`call(function, **params) -> dict`) and the
exception mirror in errors.py; pyrfc (which needs SAP's proprietary NW RFC SDK) is imported by
pyrfc_connection.py alone, and only when an RFC connection is opened.
"""

from creditbridge.adapters.sap.rfc.connection import RfcConnection, RfcConnector
from creditbridge.adapters.sap.rfc.errors import (
    ABAPApplicationError,
    ABAPRuntimeError,
    CommunicationError,
    ExternalRuntimeError,
    LogonError,
    RFCError,
    RFCLibError,
    RFCTypeError,
)

__all__ = [
    "ABAPApplicationError",
    "ABAPRuntimeError",
    "CommunicationError",
    "ExternalRuntimeError",
    "LogonError",
    "RFCError",
    "RFCLibError",
    "RFCTypeError",
    "RfcConnection",
    "RfcConnector",
]
