"""Per-company request budget: 500 requests/min, 10 requests/s, at most 10 in flight, 40 batch requests/min.

Why in the client and not only in retries: QuickBooks answers a burst with 429 and a 60 s
penalty; staying under the limit is cheaper than backing off. One limiter per realm, shared by
every thread of the process (`limiter_for`); scaled out, each worker gets its share.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class SlidingWindow:
    """At most `limit` events in any `window` seconds; `acquire` waits (via `sleep`) for room."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self.limit, self.window = limit, window
        self._clock, self._sleep = clock, sleep
        self._events: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                while self._events and self._events[0] <= now - self.window:
                    self._events.popleft()
                if len(self._events) < self.limit:
                    self._events.append(now)
                    return
                wait = self._events[0] + self.window - now
            self._sleep(max(wait, 0.001))


class RateLimiter:
    """The budget of one QuickBooks company."""

    def __init__(
        self,
        *,
        per_minute: int = 500,
        per_second: int = 8,  # Intuit allows 10/s; headroom for timing differences between us and them
        concurrent: int = 10,
        batches_per_minute: int = 40,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._requests = SlidingWindow(per_minute, 60.0, clock, sleep)
        self._burst = SlidingWindow(per_second, 1.0, clock, sleep)
        self._batches = SlidingWindow(batches_per_minute, 60.0, clock, sleep)
        self._in_flight = threading.BoundedSemaphore(concurrent)

    @contextmanager
    def slot(self, *, batch: bool = False) -> Iterator[None]:
        if batch:
            self._batches.acquire()
        self._requests.acquire()
        self._burst.acquire()
        with self._in_flight:
            yield


_LIMITERS: dict[str, RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def limiter_for(realm_id: str) -> RateLimiter:
    """The process-wide limiter of a company."""
    with _LIMITERS_LOCK:
        return _LIMITERS.setdefault(realm_id, RateLimiter())
