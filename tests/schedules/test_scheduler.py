"""The scheduler loop's ticks, driven with a hand-moved clock: missed runs coalesce, each
(schedule, due time) fires once however many schedulers share the database, jitter is
the same in every process, and runs whose server vanished are ended."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from mediadl.app_context import AppContext
from mediadl.db.models.schedules import Schedule, ScheduleRun
from mediadl.db.session import Database
from mediadl.engines.base import Listing
from mediadl.schedules import claims
from mediadl.schedules.scheduler import LOST_REASON, STOPPED_REASON, Scheduler
from mediadl.schedules.sources import Listed
from tests.schedules.conftest import ManualClock

PLAYLIST = "https://fake.invalid/playlist/show?count=2"


@pytest.fixture(autouse=True)
def no_jitter(context: AppContext) -> None:
    context.settings.scheduler.jitter_max_seconds = 0


def nothing_new(_settings, _task) -> Listed:
    return Listed(Listing(kind="playlist"), "fake")


@pytest.fixture
def quiet(context: AppContext, clock: ManualClock) -> Scheduler:
    """A scheduler whose sources never have anything new: no listing process needed."""
    return Scheduler(context, clock=clock, list_source=nothing_new, run_inline=True)


def set_next_run(db: Database, schedule_id: int, when: datetime) -> None:
    with db.session() as session:
        session.execute(update(Schedule).where(Schedule.id == schedule_id)
                        .values(next_run_at=when))


def schedule_row(db: Database, schedule_id: int) -> Schedule:
    with db.read() as session:
        found = session.get(Schedule, schedule_id)
    assert found is not None
    return found


def runs_of(db: Database, schedule_id: int) -> list[ScheduleRun]:
    with db.read() as session:
        return list(session.scalars(select(ScheduleRun).where(
            ScheduleRun.schedule_id == schedule_id).order_by(ScheduleRun.id)))


def test_a_new_schedule_is_due_at_its_first_cron_time(make_schedule, database, clock):
    schedule_id = make_schedule(PLAYLIST, cron="hourly")
    assert schedule_row(database, schedule_id).next_run_at == datetime(2026, 6, 1, 13, 0)


def test_missed_runs_are_coalesced_into_one_run(make_schedule, database, scheduler, clock):
    schedule_id = make_schedule(PLAYLIST, cron="hourly")
    # The server was down for five hours: five hourly runs were missed.
    missed = clock.now - timedelta(hours=5)
    set_next_run(database, schedule_id, missed)

    started = scheduler.tick(clock.now)

    assert len(started) == 1
    [run] = runs_of(database, schedule_id)
    assert (run.due_at, run.status, run.queued) == (missed, "completed", 2)
    assert schedule_row(database, schedule_id).next_run_at == datetime(2026, 6, 1, 13, 0)
    assert scheduler.tick(clock.now) == []


def test_a_schedule_fires_once_per_due_time_over_several_hours(
        make_schedule, database, quiet, clock):
    schedule_id = make_schedule(PLAYLIST, cron="hourly")
    fired = []
    for _ in range(6 * 4):  # six hours of 15-minute ticks
        clock.advance(minutes=15)
        fired += quiet.tick(clock.now)
    due = [run.due_at for run in runs_of(database, schedule_id)]
    assert due == [datetime(2026, 6, 1, hour, 0) for hour in range(13, 19)]
    assert len(fired) == 6


def test_two_schedulers_sharing_a_database_fire_each_tick_once(
        context: AppContext, make_schedule, clock: ManualClock):
    ids = [make_schedule(f"https://fake.invalid/playlist/s{n}?count=1", cron="hourly")
           for n in range(4)]
    # Two "processes": separate engines and connection pools over one database file.
    databases = [Database(context.settings.resolved_database_url) for _ in range(2)]
    schedulers = [Scheduler(AppContext(settings=context.settings, db=db), clock=clock,
                            list_source=nothing_new, run_inline=True) for db in databases]
    won: list[list[int]] = [[], []]
    try:
        for _ in range(3):
            clock.advance(hours=1)
            barrier = threading.Barrier(2)

            def tick(index: int) -> None:
                barrier.wait()
                won[index] += schedulers[index].tick(clock.now)

            threads = [threading.Thread(target=tick, args=(i,)) for i in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        for db in databases:
            db.dispose()
    per_tick = Counter((run.schedule_id, run.due_at)
                       for schedule_id in ids for run in runs_of(context.db, schedule_id))
    assert len(per_tick) == 4 * 3 and set(per_tick.values()) == {1}
    assert sorted(won[0] + won[1]) == sorted(run.id for schedule_id in ids
                                             for run in runs_of(context.db, schedule_id))


def test_jitter_is_the_same_everywhere_and_below_the_maximum():
    due = datetime(2026, 6, 1, 13, 0)
    delays = {claims.jitter(schedule_id, due, 60) for schedule_id in range(200)}
    assert all(timedelta(0) <= delay < timedelta(seconds=60) for delay in delays)
    assert len(delays) > 150  # spread out, not one shared delay
    assert claims.jitter(7, due, 60) == claims.jitter(7, due, 60)
    assert claims.jitter(7, due, 0) == timedelta(0)


def test_a_run_waits_for_its_jitter(context, make_schedule, database, quiet, clock):
    context.settings.scheduler.jitter_max_seconds = 120
    schedule_id = make_schedule(PLAYLIST, cron="hourly")
    due = schedule_row(database, schedule_id).next_run_at
    assert due is not None
    delay = claims.jitter(schedule_id, due, 120)
    assert quiet.tick(due + delay - timedelta(seconds=1)) == []
    assert len(quiet.tick(due + delay)) == 1


def test_a_due_tick_during_a_running_run_is_covered_by_that_run(
        make_schedule, database, quiet, clock):
    schedule_id = make_schedule(PLAYLIST, cron="hourly")
    clock.advance(minutes=59)
    with database.session() as session:
        schedule = session.get(Schedule, schedule_id)
        assert schedule is not None
        assert claims.start_run(session, schedule, "manual", None, clock.now, "other") is not None
    clock.advance(minutes=1)
    assert quiet.tick(clock.now) == []
    assert len(runs_of(database, schedule_id)) == 1
    assert schedule_row(database, schedule_id).next_run_at == datetime(2026, 6, 1, 14, 0)


def test_runs_of_a_vanished_server_are_ended_and_the_schedule_runs_again(
        context, make_schedule, database, quiet, clock):
    schedule_id = make_schedule(PLAYLIST, cron="hourly")
    with database.session() as session:
        schedule = session.get(Schedule, schedule_id)
        assert schedule is not None
        claims.start_run(session, schedule, "cron", clock.now, clock.now, "gone:1:x")
    # Its deadline (plus a grace) passed long before the next due time, 13:00.
    assert context.settings.scheduler.run_timeout_seconds + 120 < 3600
    clock.advance(hours=1)
    started = quiet.tick(clock.now)
    lost, again = runs_of(database, schedule_id)
    assert (lost.status, lost.error) == ("failed", LOST_REASON)
    assert started == [again.id] and again.status == "completed"


def test_stopping_a_scheduler_ends_its_own_running_runs(
        context, make_schedule, database, clock):
    schedule_id = make_schedule(PLAYLIST, cron="hourly")
    stopping = Scheduler(context, clock=clock)
    with database.session() as session:
        schedule = session.get(Schedule, schedule_id)
        assert schedule is not None
        mine = claims.start_run(session, schedule, "manual", None, clock.now, stopping.instance)
        assert mine is not None
        run_id = mine.id
    stopping.stop()
    [run] = runs_of(database, schedule_id)
    assert (run.id, run.status, run.error) == (run_id, "failed", STOPPED_REASON)


def test_disabled_schedules_never_fire(make_schedule, database, quiet, clock):
    schedule_id = make_schedule(PLAYLIST, cron="hourly", enabled=False)
    assert schedule_row(database, schedule_id).next_run_at is None
    clock.advance(days=2)
    assert quiet.tick(clock.now) == []
