"""Serve the simulator over real HTTP on loopback, for clients that cannot be handed a session."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from creditbridge.adapters.quickbooks.simulator.faults import LostResponse

Handle = Callable[[str, str, Mapping[str, str], bytes | None], tuple[int, dict[str, str], bytes]]
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class RunningSimulator:
    base_url: str
    host: str
    port: int


def _handler_class(handle: Handle) -> type[BaseHTTPRequestHandler]:
    class SimulatorRequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            try:
                status, headers, payload = handle(self.command, self.path, dict(self.headers.items()), body)
            except LostResponse:
                self.close_connection = True  # the write happened; the client never hears back
                return
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("intuit_tid", "sim-" + str(threading.get_ident()))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: object) -> None:
            return

    return SimulatorRequestHandler


@contextmanager
def serve(handle: Handle, host: str = "127.0.0.1", port: int = 0) -> Iterator[RunningSimulator]:
    """Run `handle` behind a ThreadingHTTPServer in a daemon thread until the block ends."""
    if host not in LOOPBACK:
        raise ValueError(f"the simulator serves on loopback only, not {host!r}")
    server = ThreadingHTTPServer((host, port), _handler_class(handle))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="qbo-simulator", daemon=True)
    thread.start()
    bound_port = server.server_address[1]
    try:
        yield RunningSimulator(base_url=f"http://{host}:{bound_port}", host=host, port=bound_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
