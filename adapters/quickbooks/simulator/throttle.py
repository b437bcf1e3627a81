"""QuickBooks' per-realm rate limits: 500 requests a minute, 10 a second, 10 in flight at once.

Counted on a monotonic wall clock (rate limits are about real request rates, not the simulated
business clock). Over a limit the answer is HTTP 429 with the XML body Intuit sends even to JSON
clients."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

PER_MINUTE = 500
PER_SECOND = 10
MAX_CONCURRENT = 10

THROTTLE_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<IntuitResponse time="{time}" xmlns="http://schema.intuit.com/finance/v3">\n'
    '    <Fault type="SERVICE">\n'
    '        <Error code="3001">\n'
    "            <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>\n"
    "            <Detail>The request limit was reached.  Try again later</Detail>\n"
    "        </Error>\n"
    "    </Fault>\n"
    "</IntuitResponse>\n"
)


class RateLimiter:
    """Sliding-window counters for one realm; `admit()` is False when the request must get a 429."""

    def __init__(self, now: Callable[[], float] = time.monotonic, *, enabled: bool = True) -> None:
        self._now = now
        self.enabled = enabled
        self._stamps: deque[float] = deque()
        self._lock = threading.Lock()
        self.in_flight = 0

    def admit(self) -> bool:
        with self._lock:
            if not self.enabled:
                self.in_flight += 1
                return True
            now = self._now()
            while self._stamps and self._stamps[0] <= now - 60:
                self._stamps.popleft()
            last_second = sum(1 for s in self._stamps if s > now - 1)
            if len(self._stamps) >= PER_MINUTE or last_second >= PER_SECOND or self.in_flight >= MAX_CONCURRENT:
                return False
            self._stamps.append(now)
            self.in_flight += 1
            return True

    def release(self) -> None:
        with self._lock:
            self.in_flight -= 1
