"""Cron slots across daylight-saving changes, and what `[schedule]` runs when (and refuses)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from creditbridge.sync.config import ConfigError, load_config
from creditbridge.sync.scheduling.cron import latest_slot, next_slot
from creditbridge.sync.scheduling.scheduler import entries


def slots(expression: str, start: datetime, end: datetime, zone: str) -> list[datetime]:
    found, moment = [], start
    while (moment := next_slot(expression, moment, zone)) <= end:
        found.append(moment)
    return found


def test_a_daily_job_runs_once_on_the_night_the_clocks_go_back_and_goes_on_on_the_night_they_go_forward() -> None:
    back = slots("30 2 * * *", datetime(2026, 10, 24, 12, tzinfo=UTC), datetime(2026, 10, 26, 12, tzinfo=UTC),
                 "Europe/Berlin")  # fmt: skip
    assert back == [datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 26, 1, 30, tzinfo=UTC)]
    forward = slots("30 2 * * *", datetime(2026, 3, 28, 12, tzinfo=UTC), datetime(2026, 3, 30, 12, tzinfo=UTC),
                    "Europe/Berlin")  # fmt: skip
    assert forward == [datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 3, 30, 0, 30, tzinfo=UTC)]


def test_the_latest_slot_includes_the_fire_time_itself_and_a_seconds_field_gives_fast_slots() -> None:
    at = datetime(2026, 12, 3, 10, 15, tzinfo=UTC)
    assert latest_slot("*/15 * * * *", at, "UTC") == at
    assert latest_slot("*/15 * * * *", at - timedelta(microseconds=1), "UTC") == at - timedelta(minutes=15)
    assert latest_slot("*/2 * * * * *", at + timedelta(seconds=3.5), "UTC") == at + timedelta(seconds=2)


def config_file(tmp_path: Path, schedule: str) -> Path:
    path = tmp_path / "creditbridge.toml"
    path.write_text('[[connections]]\nname = "north"\nerp = "memory"\nschedule = "*/5 * * * *"\n'
                    '[[connections]]\nname = "south"\nerp = "memory"\n' + schedule, encoding="utf-8")  # fmt: skip
    return path


def test_a_connection_s_own_table_beats_its_schedule_line_which_beats_the_jobs_for_everyone(tmp_path: Path) -> None:
    config = load_config(config_file(tmp_path, '[schedule.jobs]\npull = "0 * * * *"\nrun = "0 6 * * *"\n'
                                     '[schedule.connections.south]\nrun = "off"\nreport = "0 7 * * MON"\n'))
    assert {(e.connection, e.job, e.cron) for e in entries(config)} == {
        ("north", "pull", "*/5 * * * *"), ("north", "run", "0 6 * * *"),
        ("south", "pull", "0 * * * *"), ("south", "report", "0 7 * * MON"),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("schedule", "line", "said"),
    [
        ('[schedule.jobs]\npull = "61 * * * *"\n', 9, "'61 * * * *' is not a cron expression: Bad minute"),
        ('[schedule.jobs]\npul = "0 * * * *"\n', 9, "unknown job 'pul'"),
        ('[schedule.jobs]\npull = "*/2 * * * * *"\n', 9, "a cron expression has 5 fields"),
        ('[schedule]\ntimezone = "Mars/Olympus"\n', 9, "is not an IANA time zone"),
        ('[schedule.connections.west]\npull = "0 * * * *"\n', None, "[schedule.connections.west] names no connection"),
        ('[[connections]]\nname = "x"\nerp = "memory"\nschedule = "every day"\n', 11, "a cron expression has 5"),
    ],
)
def test_a_bad_schedule_names_the_file_line_and_key(tmp_path: Path, schedule: str, line: int | None, said: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(config_file(tmp_path, schedule))
    [issue] = raised.value.issues
    assert said in issue.message and issue.line == line


def test_your_own_job_and_a_seconds_field_are_accepted_when_declared(tmp_path: Path) -> None:
    config = load_config(config_file(tmp_path, '[schedule]\nseconds_field = true\n[schedule.extra_jobs]\n'
                                     'export = "acme_jobs.export:run"\n[schedule.jobs]\nexport = "*/10 * * * * *"\n'))
    assert ("south", "export", "*/10 * * * * *") in {(e.connection, e.job, e.cron) for e in entries(config)}
