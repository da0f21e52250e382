"""Rate limits: a throttled platform pauses its schedules, which resume by themselves; a run
answered "429" throttles its platform and pauses its site's schedules at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from mediadl.core.errors import Conflict
from mediadl.db.models.platforms import PlatformStatus
from mediadl.db.models.schedules import ScheduleRun
from mediadl.engines.base import Listing
from mediadl.platforms.status import Failure, record_failure
from mediadl.schedules.scheduler import Scheduler
from mediadl.schedules.serialize import schedule_out
from mediadl.schedules.service import RunFilter
from mediadl.schedules.sources import Listed


@pytest.fixture(autouse=True)
def no_jitter(context) -> None:
    context.settings.scheduler.jitter_max_seconds = 0


def nothing_new(_settings, _task) -> Listed:
    return Listed(Listing(kind="playlist"), "fake")


def run_count(database, schedule_id: int) -> int:
    with database.read() as session:
        return len(session.scalars(select(ScheduleRun.id).where(
            ScheduleRun.schedule_id == schedule_id)).all())


def test_a_throttled_platform_pauses_its_schedules_until_the_throttle_ends(
        context, clock, service, make_schedule, owner, database):
    scheduler = Scheduler(context, clock=clock, list_source=nothing_new, run_inline=True)
    fake = make_schedule("https://fake.invalid/playlist/a", cron="hourly")
    other = make_schedule("https://www.youtube.com/@example", cron="hourly")
    with database.session() as session:
        until = record_failure(session, context.settings, "fake",
                               Failure("HTTP Error 429: Too Many Requests", 5400), clock.now)
    assert until == clock.now + timedelta(seconds=5400)

    clock.advance(hours=1)  # both are due; only the other platform's runs
    scheduler.tick(clock.now)

    assert (run_count(database, fake), run_count(database, other)) == (0, 1)
    paused = service.get(owner, fake).schedule
    shown = schedule_out(paused, False, clock.now)
    assert shown.state == "paused" and shown.paused_until is not None
    assert "fake is rate-limiting requests" in (shown.pause_reason or "")
    with pytest.raises(Conflict):
        service.run_now(owner, fake)

    clock.advance(minutes=31)  # the throttle has ended: the missed run happens once
    scheduler.tick(clock.now)
    assert run_count(database, fake) == 1
    resumed = service.get(owner, fake).schedule
    assert resumed.paused_until is None and resumed.pause_reason is None
    assert schedule_out(resumed, False, clock.now).state == "active"


def test_a_run_answered_429_pauses_the_schedules_of_that_site(
        site, context, clock, service, owner, make_schedule, database):
    limited = make_schedule(site.url("/status/429?retry_after=900"))
    neighbour = make_schedule(site.url("/feed.xml"))
    elsewhere = make_schedule("https://podcasts.example.org/feed.xml")

    started = service.run_now(owner, limited)

    [failed], _ = service.history(owner, RunFilter(schedule_id=limited))
    assert failed.id == started.id and failed.status == "failed"
    assert "429" in (failed.error or "")
    for schedule_id in (limited, neighbour):
        shown = schedule_out(service.get(owner, schedule_id).schedule, False, clock.now)
        assert shown.state == "paused"
        assert "127.0.0.1 is rate-limiting requests" in (shown.pause_reason or "")
    assert service.get(owner, elsewhere).schedule.paused_until is None
    with database.read() as session:
        status = session.get(PlatformStatus, "generic")
    assert status is not None and status.throttled_until == clock.now + timedelta(seconds=900)
