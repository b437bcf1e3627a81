"""Serve the QuickBooks simulator over real HTTP on loopback (adapters/loopback_http.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from creditbridge.adapters import loopback_http
from creditbridge.adapters.loopback_http import LOOPBACK, Handle, RunningSimulator
from creditbridge.adapters.quickbooks.simulator.faults import LostResponse

__all__ = ["LOOPBACK", "Handle", "RunningSimulator", "serve"]


@contextmanager
def serve(handle: Handle, host: str = "127.0.0.1", port: int = 0) -> Iterator[RunningSimulator]:
    """Run `handle` until the block ends; Intuit's `intuit_tid` header on every answer."""
    with loopback_http.serve(
        handle, host, port, lost=(LostResponse,), name="qbo-simulator",
        extra_headers=lambda: {"intuit_tid": "sim-" + str(threading.get_ident())},
    ) as running:  # fmt: skip
        yield running
