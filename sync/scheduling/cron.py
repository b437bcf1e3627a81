"""Cron slots: the fire times of an expression in the schedule's time zone, as UTC instants.

Why cronsim: it follows Debian cron across daylight-saving changes (a job at 02:30 runs once on
the night the clocks go back, and at 03:00 on the night they go forward), reports which field of
an expression is wrong, and walks backwards, which is what "the latest slot" needs. A slot is the
instant a run was due; the scheduler only ever runs the latest one (missed slots coalesce into
one run, as every job catches up on everything since its last run anyway).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from cronsim import CronSim


def latest_slot(expression: str, now: datetime, zone: str) -> datetime:
    """The last fire time at or before `now` (aware UTC)."""
    local = now.astimezone(ZoneInfo(zone)).replace(microsecond=0) + timedelta(seconds=1)
    return next(CronSim(expression, local, reverse=True)).astimezone(UTC)


def next_slot(expression: str, now: datetime, zone: str) -> datetime:
    """The first fire time after `now` (aware UTC)."""
    local = now.astimezone(ZoneInfo(zone)).replace(microsecond=0)
    return next(CronSim(expression, local)).astimezone(UTC)
