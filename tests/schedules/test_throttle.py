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
from mediadl.platforms.status import (
    Failure,
    record_failure,
    throttle_name,
    throttle_names_over,
)
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
        site_status = session.get(PlatformStatus, "generic:127.0.0.1")
        generic = session.get(PlatformStatus, "generic")
    assert site_status is not None
    assert site_status.throttled_until == clock.now + timedelta(seconds=900)
    assert generic is not None and generic.throttled_until is None  # other sites go on
    assert generic.failure_total == 1  # the platform's health still counts it


def test_a_throttled_generic_host_pauses_its_own_schedules_only_at_the_next_tick(
        context, clock, service, make_schedule, owner, database):
    scheduler = Scheduler(context, clock=clock, list_source=nothing_new, run_inline=True)
    limited = make_schedule("https://media.example.org/feed.xml", cron="hourly")
    sibling = make_schedule("https://www.media.example.org/other.xml", cron="hourly")
    other = make_schedule("https://podcasts.example.net/feed.xml", cron="hourly")
    with database.session() as session:
        record_failure(session, context.settings, "generic",
                       Failure("HTTP Error 429: Too Many Requests", 5400), clock.now,
                       host="media.example.org")

    clock.advance(hours=1)
    scheduler.tick(clock.now)

    assert [run_count(database, one) for one in (limited, sibling, other)] == [0, 0, 1]
    shown = schedule_out(service.get(owner, limited).schedule, False, clock.now)
    assert shown.state == "paused"
    assert "media.example.org is rate-limiting requests" in (shown.pause_reason or "")
    assert service.get(owner, other).schedule.paused_until is None

    clock.advance(minutes=31)  # the site's pause is over: the missed run happens once
    scheduler.tick(clock.now)
    assert [run_count(database, one) for one in (limited, sibling, other)] == [1, 1, 1]


def test_site_keys_fit_the_status_name_and_cover_subdomains():
    assert throttle_name("generic", "www.Example.org") == "generic:example.org"
    assert throttle_name("youtube", "www.youtube.com") == "youtube"
    long_host = "media.cdn.long-site-name.example"
    assert throttle_name("generic", long_host) == "generic:long-site-name.example"
    tail = throttle_name("generic", "an-even-longer-registrable-name.example")
    assert tail.startswith("generic~") and len(tail) == 32
    for host in (long_host, "an-even-longer-registrable-name.example", "cdn.example.org"):
        assert throttle_name("generic", host) in throttle_names_over("generic", host)
    assert "generic:example.org" in throttle_names_over("generic", "cdn.example.org")
