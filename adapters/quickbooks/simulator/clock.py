"""Simulator time: Intuit-style timestamps and a fake clock that moves one second per write."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

PACIFIC = timezone(timedelta(hours=-8))  # Intuit answers in the company's zone; a fixed offset is enough here
DEFAULT_START = datetime(2026, 1, 2, 18, 0, 0, tzinfo=UTC)


class SimClock:
    """`now()` for reads; `write_time()` for writes (the fake clock ticks 1 s per write)."""

    def __init__(self, clock: Callable[[], datetime] | None = None, start: datetime = DEFAULT_START) -> None:
        self._external = clock
        self._fake = start

    def now(self) -> datetime:
        if self._external is not None:
            moment = self._external()
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return self._fake

    def write_time(self) -> datetime:
        if self._external is None:
            self._fake += timedelta(seconds=1)
        return self.now()

    def advance(self, seconds: float) -> None:
        """Move the fake clock on (token expiry, CDC windows); not possible with an injected clock."""
        if self._external is not None:
            raise RuntimeError("the simulator uses an injected clock: advance that clock instead")
        self._fake += timedelta(seconds=seconds)


def qbo_timestamp(moment: datetime) -> str:
    """MetaData times as Intuit writes them: '2015-07-24T10:35:08-07:00'."""
    return moment.astimezone(PACIFIC).isoformat(timespec="seconds")


def qbo_envelope_time(moment: datetime) -> str:
    """The `time` field of a response envelope: milliseconds and offset."""
    return moment.astimezone(PACIFIC).isoformat(timespec="milliseconds")


def parse_instant(text: str) -> datetime:
    # a "+" offset that arrived unencoded in a query string reads as a space
    moment = datetime.fromisoformat(re.sub(r" (\d\d:?\d\d)$", r"+\1", text.strip()))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
