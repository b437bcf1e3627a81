"""Job leases and runs in the store (SQLite and PostgreSQL), with a clock the tests move by hand.

The stories: a second holder is refused while a lease is live and takes the run over once it
expired, with a new fencing token that shuts the old holder out; a finished slot is never run
again; a run whose holders keep dying gives up; a scheduler with a fast clock runs the latest slot
once and lets slots older than its catch-up window go; a Celery slot is enqueued once.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from creditbridge.sync.config import Config
from creditbridge.sync.scheduling import leases
from creditbridge.sync.scheduling.scheduler import Scheduler
from creditbridge.sync.store import Store

sys.path.insert(0, str(Path(__file__).parent / "scheduling_support"))
import scheduling_probe

T0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
SLOT = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def run_row(store: Store, run_id: str) -> dict[str, object]:
    found = leases.run_status(store.engine, run_id)
    assert found is not None
    return found


def test_a_live_lease_refuses_a_second_holder_and_an_expired_one_is_taken_over_with_a_new_fence(store: Store) -> None:
    first = leases.claim(store.engine, "acme", "pull", holder="a", ttl=30, now=T0, trigger="schedule", slot=SLOT)
    assert isinstance(first, leases.Claim) and first.attempts == 1
    refused = leases.claim(store.engine, "acme", "pull", holder="b", ttl=30, now=T0 + timedelta(seconds=20),
                           trigger="schedule", slot=SLOT)  # fmt: skip
    assert isinstance(refused, leases.Refusal) and refused.reason == "busy" and "a holds acme/pull" in refused.detail
    assert leases.renew(store.engine, first, 30, T0 + timedelta(seconds=25))  # a heartbeat: live until T0 + 55 s
    assert isinstance(leases.claim(store.engine, "acme", "pull", holder="b", ttl=30, now=T0 + timedelta(seconds=50),
                                   trigger="schedule", slot=SLOT), leases.Refusal)  # fmt: skip

    second = leases.claim(store.engine, "acme", "pull", holder="b", ttl=30, now=T0 + timedelta(seconds=56),
                          trigger="schedule", slot=SLOT)  # fmt: skip
    assert isinstance(second, leases.Claim)
    assert (second.run_id, second.attempts, second.fence) == (first.run_id, 2, first.fence + 1)
    assert not leases.renew(store.engine, first, 30, T0 + timedelta(seconds=57)), "the old holder is fenced out"
    assert not leases.finish(store.engine, first, "ok", T0 + timedelta(seconds=58), detail="late", error=None)
    assert run_row(store, first.run_id)["status"] == "running"
    assert leases.finish(store.engine, second, "ok", T0 + timedelta(seconds=60), detail="done", error=None)
    row = run_row(store, first.run_id)
    assert (row["status"], row["holder"], row["detail"]) == ("ok", "b", "done")


def test_a_finished_slot_is_never_run_again_but_the_next_slot_is(store: Store) -> None:
    done = leases.claim(store.engine, "acme", "push", holder="a", ttl=30, now=T0, trigger="schedule", slot=SLOT)
    assert isinstance(done, leases.Claim)
    assert leases.finish(store.engine, done, "ok", T0 + timedelta(seconds=1), detail=None, error=None)
    again = leases.claim(store.engine, "acme", "push", holder="b", ttl=30, now=T0 + timedelta(seconds=2),
                         trigger="schedule", slot=SLOT)  # fmt: skip
    assert isinstance(again, leases.Refusal) and again.reason == "done"
    later = leases.claim(store.engine, "acme", "push", holder="b", ttl=30, now=T0 + timedelta(minutes=15),
                         trigger="schedule", slot=SLOT + timedelta(minutes=15))  # fmt: skip
    assert isinstance(later, leases.Claim) and later.run_id != done.run_id and later.fence == done.fence + 1


def test_a_run_whose_holders_keep_dying_gives_up_after_max_attempts(store: Store) -> None:
    now = T0
    for holder in ("a", "b"):
        got = leases.claim(store.engine, "acme", "run", holder=holder, ttl=10, now=now, trigger="schedule", slot=SLOT,
                           max_attempts=2)  # fmt: skip
        assert isinstance(got, leases.Claim)
        now += timedelta(seconds=11)  # the holder dies: no heartbeat, no finish
    gave_up = leases.claim(store.engine, "acme", "run", holder="c", ttl=10, now=now, trigger="schedule", slot=SLOT,
                           max_attempts=2)  # fmt: skip
    assert isinstance(gave_up, leases.Refusal) and gave_up.reason == "done"
    row = run_row(store, got.run_id)
    assert row["status"] == "failed" and "2 attempt(s) whose holders died" in str(row["error"])
    manual = leases.claim(store.engine, "acme", "run", holder="d", ttl=10, now=now, trigger="command")
    assert isinstance(manual, leases.Claim), "the lease was released: a person can run the job by hand"


def test_a_scheduler_runs_the_latest_slot_once_and_lets_older_slots_go(store: Store, store_url: str) -> None:
    scheduling_probe.create_table(store_url)
    config = Config(
        store_url=store_url, connections=[{"name": "acme", "erp": "memory"}],
        schedule={"extra_jobs": {"probe": "scheduling_probe:probe_job"}, "jobs": {"probe": "*/15 * * * *"},
                  "catch_up_seconds": 300, "lease_seconds": 30},
    )  # fmt: skip
    clock = [datetime(2026, 12, 3, 10, 2, tzinfo=UTC)]
    scheduler = Scheduler(config, store, holder="s1", clock=lambda: clock[0])
    other = Scheduler(config, store, holder="s2", clock=lambda: clock[0])
    for minute in (2, 3, 7, 16, 17, 36):  # the 10:30 slot is 6 minutes old at 10:36: beyond catch-up
        clock[0] = clock[0].replace(minute=minute)
        for each in (scheduler, other):
            each.tick()
            each.settle()
    scheduler.close()
    other.close()
    with store.engine.connect() as conn:
        effects = conn.execute(sa.select(scheduling_probe.effects.c.slot)).scalars().all()
    assert sorted(effects) == ["2026-12-03T10:00:00+00:00", "2026-12-03T10:15:00+00:00"]


def test_a_celery_slot_is_enqueued_once(store: Store) -> None:
    first = leases.enqueue(store.engine, "acme", "pull", SLOT, T0)
    assert first is not None
    assert leases.enqueue(store.engine, "acme", "pull", SLOT, T0) is None
    assert leases.queued_before(store.engine, T0 + timedelta(seconds=1)) == [first]
    got = leases.claim(store.engine, "acme", "pull", holder="w", ttl=30, now=T0, trigger="celery", run_id=first)
    assert isinstance(got, leases.Claim) and got.attempts == 1
    assert leases.queued_before(store.engine, T0 + timedelta(seconds=1)) == []


def test_status_asks_for_a_person_for_a_failed_last_run_and_a_stale_cursor(store: Store, store_url: str) -> None:
    from creditbridge.sync.scheduling.status import gather
    from creditbridge.sync.store.pull_tables import pull_state

    config = Config(store_url=store_url, connections=[{"name": "acme", "erp": "memory"}, {"name": "beta", "erp": "memory"}],
                    schedule={"stale_cursor_hours": 24})  # fmt: skip
    failed = leases.claim(store.engine, "acme", "pull", holder="a", ttl=30, now=T0, trigger="schedule", slot=SLOT)
    assert isinstance(failed, leases.Claim)
    leases.finish(store.engine, failed, "failed", T0 + timedelta(seconds=3), detail=None, error="ErpUnavailable: 503")
    with store.engine.begin() as conn:
        for name, finished in (("acme", T0 - timedelta(hours=30)), ("beta", T0 - timedelta(hours=2))):
            conn.execute(sa.insert(pull_state).values(connection=name, entity="customers", updated_at=finished.replace(tzinfo=None),
                                                      last_sweep_finished_at=finished.replace(tzinfo=None)))  # fmt: skip
    found = gather(config, store, T0)
    assert not found.ok
    assert found.attention == [
        "acme: the last pull run failed: ErpUnavailable: 503",
        "acme: the pull cursor is 30.0 h old (more than 24 h): the ERP has not been read",
    ]
    beta = found.as_dict()["connections"][1]
    assert (beta["cursor_age_hours"], beta["cursor_stale"], beta["last_runs"]) == (2.0, False, [])
    assert found.as_dict()["connections"][0]["last_runs"][0]["duration_seconds"] == 3.0


def test_a_celery_scheduler_enqueues_each_slot_once_and_resends_a_run_stuck_in_the_queue(
    store: Store, store_url: str
) -> None:
    config = Config(store_url=store_url, connections=[{"name": "acme", "erp": "memory"}],
                    schedule={"jobs": {"pull": "0 * * * *"}, "requeue_after_seconds": 900})  # fmt: skip
    clock = [datetime(2026, 12, 3, 10, 1, tzinfo=UTC)]
    sent: list[str] = []
    first = Scheduler(config, store, holder="s1", sender=sent.append, clock=lambda: clock[0])
    second = Scheduler(config, store, holder="s2", sender=sent.append, clock=lambda: clock[0])
    first.tick()
    second.tick()
    assert len(sent) == 1, "the 10:00 slot is enqueued once, by one of the two schedulers"
    clock[0] = datetime(2026, 12, 3, 10, 17, tzinfo=UTC)  # still queued 16 minutes later: the message may be lost
    first.tick()
    first.tick()
    assert sent == [sent[0], sent[0]], "sent again once, not at every tick"
    got = leases.claim(store.engine, "acme", "pull", holder="w", ttl=30, now=clock[0], trigger="celery",
                       run_id=sent[0])  # fmt: skip
    assert isinstance(got, leases.Claim)
    clock[0] = datetime(2026, 12, 3, 10, 40, tzinfo=UTC)
    first.tick()
    assert len(sent) == 2, "a claimed run is never sent again"
    first.close()
    second.close()
