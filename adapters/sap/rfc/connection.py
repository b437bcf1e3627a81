"""The RFC protocol the ECC adapter needs: pyrfc's `Connection.call`, nothing more.

`RfcConnector` opens connections: the adapter keeps one connection for a BAPI LUW (the write
and its BAPI_TRANSACTION_COMMIT must share the ABAP session) and reopens after a failure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class RfcConnection(Protocol):
    def call(self, function: str, **params: Any) -> dict[str, Any]:
        """Call an RFC-enabled function; EXPORT/CHANGING/TABLES parameters come back as a dict."""
        ...

    def close(self) -> None: ...


RfcConnector = Callable[[], RfcConnection]
"""Opens a new connection (a new ABAP session)."""
