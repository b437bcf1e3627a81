"""Change stamps from SAP's change *dates* (KNKK-AEDAT, document entry and clearing dates).

SAP keeps most change marks as dates without a time. A record changed on day D is stamped D at
00:00 in the system's time zone, and a sweep reports as its clock (`served_at`, the next cursor)
the start of today: the next sweep reads today again in full, so a change made later today is
never missed (records read twice are deduplicated by key and version downstream).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, tzinfo


def day_stamp(day: date, zone: tzinfo = UTC) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def start_of_day(now: datetime, zone: tzinfo = UTC) -> datetime:
    """The cursor a sweep at `now` may hand out: the start of that day in the SAP system's zone."""
    return day_stamp(now.astimezone(zone).date(), zone)


def since_day(since: datetime | None, zone: tzinfo = UTC) -> date | None:
    """The first day to ask SAP for: the day `since` falls on (inclusive)."""
    return None if since is None else since.astimezone(zone).date()


def fingerprint(*parts: object) -> str:
    """A record's version where SAP keeps none: a short hash of the values a write compares."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]
