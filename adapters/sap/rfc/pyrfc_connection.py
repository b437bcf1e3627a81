"""A real ECC connection through pyrfc — the only module that imports it, and only when called.

pyrfc is archived by SAP and needs the proprietary SAP NW RFC SDK, so it is not on the package
index and no extra installs it. Where the SDK is present: set SAPNWRFC_HOME to it, then build
pyrfc from SAP's source (github.com/SAP-archive/PyRFC: `pip install cython` then
`pip install --no-build-isolation <the PyRFC checkout>`), or use a pyrfc-compatible binding.
"""

from __future__ import annotations

from typing import Any

from creditbridge.adapters.sap.rfc.connection import RfcConnection, RfcConnector
from creditbridge.adapters.sap.rfc.errors import MIRRORED, RFCError, RFCLibError
from creditbridge.core.ports import ErpConfigError

INSTALL_HINT = (
    "SAP over RFC needs pyrfc, which is built against SAP's NW RFC SDK and is not on the package index: "
    "download the SDK from the SAP Support Portal, set SAPNWRFC_HOME, then `pip install cython` and "
    "`pip install --no-build-isolation <checkout of github.com/SAP-archive/PyRFC>` (see README, SAP); "
    "or connect S/4HANA over OData instead (options.odata_url)"
)
CONFIG_KEYS = ("dtime", "rstrip", "return_import_params", "timeout")


class PyrfcConnection:
    """pyrfc's Connection behind our protocol: its exceptions become our mirror classes."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def call(self, function: str, **params: Any) -> dict[str, Any]:
        try:
            return dict(self._connection.call(function, **params))
        except Exception as exc:
            raise _mirrored(exc) from exc

    def close(self) -> None:
        try:
            self._connection.close()
        except Exception as exc:  # closing a dead connection must not hide the error that killed it
            raise _mirrored(exc) from exc


def pyrfc_connector(params: dict[str, str], *, timeout: float | None = 60.0) -> RfcConnector:
    """A connector opening pyrfc connections with `params` (ashost, sysnr, client, user, passwd…)."""
    try:
        from pyrfc import Connection
    except ImportError as exc:
        raise ErpConfigError(f"{INSTALL_HINT} ({exc})") from exc
    config = {"dtime": False, "rstrip": True}
    if timeout is not None:
        config["timeout"] = timeout  # type: ignore[assignment]

    def open_connection() -> RfcConnection:
        try:
            return PyrfcConnection(Connection(config=config, **params))
        except Exception as exc:
            raise _mirrored(exc) from exc

    return open_connection


def _mirrored(exc: Exception) -> RFCError:
    cls = MIRRORED.get(type(exc).__name__)
    if cls is None:
        return RFCError(str(exc))
    if issubclass(cls, RFCLibError):
        fields = ("code", "key", "msg_class", "msg_type", "msg_number", "msg_v1", "msg_v2", "msg_v3", "msg_v4")
        return cls(str(getattr(exc, "message", exc)), **{f: getattr(exc, f, None) for f in fields})
    return cls(str(exc))
