"""Running the service: uvicorn in the foreground, the queue drainer in a thread beside it.

Why a thread and not a separate process: one `creditbridge serve` under systemd or in a
container is the whole deployment; a webhook wakes the drainer at once, and it also drains
every `drain_interval` seconds, so requests queued while it was down are pulled on start.
A cron `creditbridge webhooks drain` may run as well: claims keep the two apart.
"""

from __future__ import annotations

import uvicorn

from creditbridge.core.credit.policy import Policy
from creditbridge.sync.composition import open_store
from creditbridge.sync.config import Config
from creditbridge.sync.service.app import create_app
from creditbridge.sync.service.worker import QueueDrainer


def run_server(
    config: Config,
    host: str = "127.0.0.1",
    port: int = 8080,
    drain_interval: float = 5.0,
    policy: Policy | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM, then let the drainer finish its pull; `StoreError` if the store is down.

    `policy` (default: the built-in) gives the thresholds of POST /credit/check and of webhook order
    checks, and the version the checks of POST /credit/check are kept under.
    """
    store = open_store(config)
    drainer = QueueDrainer(config, store, drain_interval, None if policy is None else policy.order_check)
    app = create_app(config, store=store, on_enqueued=drainer.wake, policy=policy)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None, server_header=False))
    drainer.start()
    try:
        server.run()
    finally:
        drainer.stop()
        store.close()
