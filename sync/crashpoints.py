"""Named points where tests can kill the process, to prove that a job survives `kill -9` anywhere.

`crash_point("outbox.sent")` does nothing unless the environment variable
`CREDITBRIDGE_CRASH_AT` names that point (optionally `name@N`: the N-th time it is reached,
counting from 1). Then the process sends itself SIGKILL: no cleanup, no flush, no finally —
exactly what a power cut or an OOM kill does. Production never sets the variable.
"""

from __future__ import annotations

import os
import signal

CRASH_AT_ENV = "CREDITBRIDGE_CRASH_AT"
_reached: dict[str, int] = {}


def crash_point(name: str) -> None:
    wanted = os.environ.get(CRASH_AT_ENV)
    if not wanted:
        return
    point, _, nth = wanted.partition("@")
    if point != name:
        return
    _reached[name] = _reached.get(name, 0) + 1
    if _reached[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
