"""Serve a simulator's `handle(method, path, headers, body)` over real HTTP on loopback.

Shared by the ERP simulators (QuickBooks, SAP OData) so clients that cannot be handed a session
(`creditbridge simulator …`, the demos) talk to them over a socket. A handler that raises one of
the `lost` exceptions makes the server drop the connection without answering: the client sees a
timeout or a reset, as when an answer is lost on the network.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Handle = Callable[[str, str, Mapping[str, str], bytes | None], tuple[int, dict[str, str], bytes]]
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class RunningSimulator:
    base_url: str
    host: str
    port: int


def _handler_class(
    handle: Handle, lost: tuple[type[BaseException], ...], extra_headers: Callable[[], dict[str, str]]
) -> type[BaseHTTPRequestHandler]:
    class SimulatorRequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            try:
                status, headers, payload = handle(self.command, self.path, dict(self.headers.items()), body)
            except lost:
                self.close_connection = True  # the request may have been applied; the client never hears back
                return
            self.send_response(status)
            for name, value in {**extra_headers(), **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_MERGE = _serve

        def log_message(self, format: str, *args: object) -> None:
            return

    return SimulatorRequestHandler


@contextmanager
def serve(
    handle: Handle,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    lost: tuple[type[BaseException], ...] = (),
    extra_headers: Callable[[], dict[str, str]] = dict,
    name: str = "simulator",
) -> Iterator[RunningSimulator]:
    """Run `handle` behind a ThreadingHTTPServer in a daemon thread until the block ends."""
    if host not in LOOPBACK:
        raise ValueError(f"the simulator serves on loopback only, not {host!r}")
    server = ThreadingHTTPServer((host, port), _handler_class(handle, lost, extra_headers))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    bound_port = server.server_address[1]
    try:
        yield RunningSimulator(base_url=f"http://{host}:{bound_port}", host=host, port=bound_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
