"""Scheduled runs against the local fixture site's podcast feed: the first run queues what
the feed has, later runs exactly what is new, with a conditional GET and without touching
an old enclosure; max_items_per_run and the date range are honoured."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from mediadl.db.models import Job
from mediadl.db.models.schedules import ScheduleItem, ScheduleRun
from mediadl.schedules.schemas import SchedulePatch
from tests.fixtures.site import episode_item


@pytest.fixture
def feed(site):
    return site.url("/feed.xml")


def run(service, owner, schedule_id) -> ScheduleRun:
    """Run now (the test's scheduler runs inline) and return the finished run."""
    started = service.run_now(owner, schedule_id)
    runs, _ = service.history(owner, _filter(schedule_id))
    [finished] = [item for item in runs if item.id == started.id]
    assert finished.status != "running"
    return finished


def _filter(schedule_id):
    from mediadl.schedules.service import RunFilter

    return RunFilter(schedule_id=schedule_id, page_size=100)


def queued_urls(database, schedule_id) -> list[str]:
    with database.read() as session:
        jobs = session.scalars(select(Job).where(Job.schedule_id == schedule_id)
                               .order_by(Job.id))
        return [job.url.rsplit("/", 1)[-1] for job in jobs]


def counts(finished: ScheduleRun) -> tuple[int, int, int, int]:
    return finished.found, finished.new, finished.queued, finished.failed


def test_a_feed_schedule_queues_its_items_then_exactly_the_new_ones(
        site, feed, service, owner, make_schedule, database):
    schedule_id = make_schedule(feed, name="Podcast", quality="audio")

    first = run(service, owner, schedule_id)
    assert first.status == "completed" and counts(first) == (3, 3, 3, 0)
    assert queued_urls(database, schedule_id) == ["ep3.mp3", "ep2.mp3", "ep1.mp3"]

    site.feed_items += [episode_item(4), episode_item(5)]
    site.clear_log()
    second = run(service, owner, schedule_id)

    assert counts(second) == (5, 2, 2, 0) and not second.not_modified
    assert queued_urls(database, schedule_id)[3:] == ["ep5.mp3", "ep4.mp3"]
    [feed_get] = site.requests_to("/feed.xml")
    assert feed_get.headers.get("If-None-Match") and feed_get.headers.get("If-Modified-Since")
    assert site.requests_to("/files/") == []  # no enclosure is fetched to list a feed


def test_an_unchanged_feed_costs_one_304(site, feed, service, owner, make_schedule):
    schedule_id = make_schedule(feed)
    run(service, owner, schedule_id)
    site.clear_log()

    again = run(service, owner, schedule_id)

    assert again.not_modified and counts(again) == (0, 0, 0, 0)
    assert [entry.path for entry in site.requests] == ["/feed.xml"]


def test_jobs_carry_the_schedule_and_its_choices(feed, service, owner, make_schedule,
                                                  database):
    schedule_id = make_schedule(feed, quality="audio", priority="low",
                                options={"audio_format": "mp3"})
    run(service, owner, schedule_id)
    with database.read() as session:
        jobs = list(session.scalars(select(Job).where(Job.schedule_id == schedule_id)))
    assert {(job.quality, job.priority, job.status, job.owner_id) for job in jobs} == {
        ("audio", "low", "queued", owner.id)}
    assert all(job.options == {"audio_format": "mp3"} for job in jobs)
    assert {job.title for job in jobs} == {"Episode 1", "Episode 2", "Episode 3"}
    assert {job.entry_key for job in jobs} == {f"fixture-episode-{n}" for n in (1, 2, 3)}


def test_max_items_per_run_backfills_a_big_source_gradually(
        site, feed, service, owner, make_schedule, database):
    site.feed_items += [episode_item(4), episode_item(5)]
    schedule_id = make_schedule(feed, max_items_per_run=2)

    runs = [run(service, owner, schedule_id) for _ in range(4)]

    assert [counts(item) for item in runs] == [(5, 5, 2, 0), (0, 0, 2, 0), (0, 0, 1, 0),
                                              (0, 0, 0, 0)]
    assert [item.not_modified for item in runs] == [False, True, True, True]
    # Newest first; the backlog is worked through without listing the feed again.
    assert queued_urls(database, schedule_id) == [f"ep{n}.mp3" for n in (5, 4, 3, 2, 1)]


def test_the_date_range_is_honoured_and_widening_it_takes_what_it_skipped(
        site, feed, service, owner, make_schedule, database):
    site.feed_items += [episode_item(4), episode_item(5)]
    # Episodes are published on January 1st to 5th, 2024.
    schedule_id = make_schedule(feed, date_from=date(2024, 1, 2), date_to=date(2024, 1, 4))

    first = run(service, owner, schedule_id)
    assert counts(first) == (5, 5, 3, 0)
    assert queued_urls(database, schedule_id) == ["ep4.mp3", "ep3.mp3", "ep2.mp3"]
    with database.read() as session:
        skipped = session.scalars(select(ScheduleItem.item_key).where(
            ScheduleItem.schedule_id == schedule_id, ScheduleItem.state == "skipped"))
        assert sorted(skipped) == ["fixture-episode-1", "fixture-episode-5"]

    service.update(owner, schedule_id, SchedulePatch(date_to=None))
    wider = run(service, owner, schedule_id)

    assert wider.queued == 1
    assert queued_urls(database, schedule_id)[3:] == ["ep5.mp3"]


def test_a_content_type_filter_skips_other_kinds(feed, service, owner, make_schedule,
                                                 database):
    schedule_id = make_schedule(feed, content_types=["videos"])
    first = run(service, owner, schedule_id)
    # The feed's enclosures are audio/mpeg.
    assert counts(first) == (3, 3, 0, 0)
    assert queued_urls(database, schedule_id) == []


def test_a_feed_that_cannot_be_read_fails_the_run_with_the_reason(
        site, service, owner, make_schedule, database):
    schedule_id = make_schedule(site.url("/status/404"))
    failed = run(service, owner, schedule_id)
    assert failed.status == "failed" and "404" in (failed.error or "")
    view = service.get(owner, schedule_id)
    assert view.schedule.last_status == "failed" and view.schedule.enabled
