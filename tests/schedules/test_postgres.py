"""The scheduler on PostgreSQL: the same migrations (partial unique index included), one
run per tick with two schedulers racing, and a full run recorded."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from mediadl.app_context import AppContext
from mediadl.auth.service import create_user
from mediadl.core.settings import Settings
from mediadl.db.models import Job, User
from mediadl.db.models.schedules import Schedule, ScheduleRun
from mediadl.db.session import Database
from mediadl.engines.base import Listing
from mediadl.schedules import claims
from mediadl.schedules.scheduler import Scheduler
from mediadl.schedules.schemas import ScheduleCreate
from mediadl.schedules.service import ScheduleService
from mediadl.schedules.sources import Listed
from tests.schedules.conftest import ManualClock
from tests.servers import postgres_bin_dir

pytestmark = pytest.mark.skipif(postgres_bin_dir() is None,
                                reason="PostgreSQL binaries are not installed")


@pytest.fixture
def pg_context(postgres_url: str, settings: Settings) -> Iterator[AppContext]:
    settings.scheduler.jitter_max_seconds = 0
    db = Database(postgres_url)
    yield AppContext(settings=settings, db=db)
    db.dispose()


def nothing_new(_settings, _task) -> Listed:
    return Listed(Listing(kind="playlist"), "fake")


def owner_and_service(context: AppContext, clock: ManualClock) -> tuple[User, ScheduleService]:
    with context.db.session() as session:
        owner = create_user(session, context.settings, "pg-owner", "correct horse battery")
    scheduler = Scheduler(context, clock=clock, run_inline=True)
    return owner, ScheduleService(context.settings, context.db, scheduler)


def test_two_schedulers_fire_each_tick_once_on_postgres(pg_context, postgres_url):
    clock = ManualClock()
    owner, service = owner_and_service(pg_context, clock)
    ids = [service.create(owner, ScheduleCreate(
        url=f"https://fake.invalid/playlist/p{n}", cron="hourly")).schedule.id
        for n in range(3)]
    databases = [Database(postgres_url) for _ in range(2)]
    racers = [Scheduler(AppContext(settings=pg_context.settings, db=db), clock=clock,
                        list_source=nothing_new, run_inline=True) for db in databases]
    try:
        for _ in range(3):
            clock.advance(hours=1)
            barrier = threading.Barrier(2)

            def tick(racer: Scheduler) -> None:
                barrier.wait()
                racer.tick(clock.now)

            threads = [threading.Thread(target=tick, args=(racer,)) for racer in racers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        for db in databases:
            db.dispose()
    with pg_context.db.read() as session:
        ticks = session.execute(select(ScheduleRun.schedule_id, ScheduleRun.due_at)).all()
    assert len(ticks) == len(set(ticks)) == 3 * len(ids)


def test_one_running_run_per_schedule_on_postgres(pg_context):
    clock = ManualClock()
    owner, service = owner_and_service(pg_context, clock)
    schedule_id = service.create(owner, ScheduleCreate(
        url="https://fake.invalid/playlist/one")).schedule.id
    with pg_context.db.session() as session:
        schedule = session.get(Schedule, schedule_id)
        assert schedule is not None
        first = claims.start_run(session, schedule, "manual", None, clock.now, "a")
        second = claims.start_run(session, schedule, "manual", None, clock.now, "b")
    assert first is not None and second is None


def test_a_full_run_is_recorded_on_postgres(pg_context):
    clock = ManualClock()
    owner, service = owner_and_service(pg_context, clock)
    schedule_id = service.create(owner, ScheduleCreate(
        url="https://fake.invalid/playlist/full?count=4", max_items_per_run=3)).schedule.id
    service.run_now(owner, schedule_id)
    service.run_now(owner, schedule_id)
    with pg_context.db.read() as session:
        runs = list(session.scalars(select(ScheduleRun).order_by(ScheduleRun.id)))
        jobs = session.scalars(select(Job.entry_key).where(Job.schedule_id == schedule_id))
        keys = sorted(jobs)
    assert [(run.status, run.new, run.queued) for run in runs] == [("completed", 4, 3),
                                                                   ("completed", 0, 1)]
    assert keys == [f"full-{n}" for n in range(1, 5)]
