"""Bounded retries of a read, honouring the ERP's Retry-After (DESIGN.md "Sync rules (reads)").

Why a small loop and not tenacity: tenacity is an optional dependency (QuickBooks, SAP extras),
and the pull needs little: retry only `ErpUnavailable` (429, 5xx, connection errors; reads are
safe to repeat), wait what the ERP asked (`retry_after`) or else a capped exponential backoff
with full jitter, and stop after `max_attempts` attempts or once the next wait would pass
`max_elapsed` seconds (a Retry-After longer than the budget fails at once: rerun later) - then
the last error is raised. Sleep, clock and randomness are
injectable so tests can assert the waits without waiting.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from creditbridge.core.ports import ErpUnavailable

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a read that failed with `ErpUnavailable`."""

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_elapsed: float = 120.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, attempt: int, error: ErpUnavailable) -> float:
        """The wait before attempt `attempt + 1`: Retry-After if given, else backoff with jitter."""
        if error.retry_after is not None:
            return max(0.0, float(error.retry_after))
        ceiling = min(self.max_delay, self.base_delay * float(2 ** (attempt - 1)))
        return ceiling * (0.5 + self.jitter() / 2)


NO_RETRY = RetryPolicy(max_attempts=1)


def call_with_retries(
    call: Callable[[], T],
    policy: RetryPolicy,
    on_retry: Callable[[int, float, ErpUnavailable], None] | None = None,
) -> T:
    """`call()`, retried on `ErpUnavailable` as `policy` says; other errors pass at once.

    `on_retry(attempt, wait, error)` runs before each wait (for logs). Raises the last
    `ErpUnavailable` when attempts or time run out.
    """
    started = policy.clock()
    attempt = 1
    while True:
        try:
            return call()
        except ErpUnavailable as error:
            if attempt >= policy.max_attempts:
                raise
            wait = policy.delay(attempt, error)
            if policy.clock() - started + wait > policy.max_elapsed:
                raise
            if on_retry is not None:
                on_retry(attempt, wait, error)
            policy.sleep(wait)
            attempt += 1
