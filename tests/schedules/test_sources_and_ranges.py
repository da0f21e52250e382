"""What a schedule lists and keeps: the parts of a profile its content types name, the
date range for entries without a date, and when a forum thread stops being watched."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from mediadl.core.errors import InvalidPayload
from mediadl.db.models import Job
from mediadl.db.models.schedules import ScheduleItem
from mediadl.engines.base import EngineError, Entry, Listing
from mediadl.schedules.content import check_content_types, source_urls
from mediadl.schedules.scheduler import Scheduler
from mediadl.schedules.schemas import ScheduleCreate
from mediadl.schedules.service import RunFilter, ScheduleService
from mediadl.schedules.sources import Listed, merged

BASE = "/api/v1/scheduler"


@pytest.fixture(autouse=True)
def no_jitter(context) -> None:
    context.settings.scheduler.jitter_max_seconds = 0


def scheduled(context, clock, list_source) -> tuple[Scheduler, ScheduleService]:
    scheduler = Scheduler(context, clock=clock, list_source=list_source, run_inline=True)
    return scheduler, ScheduleService(context.settings, context.db, scheduler)


def last_run(service: ScheduleService, owner, schedule_id: int):
    runs, _ = service.history(owner, RunFilter(schedule_id=schedule_id))
    return runs[0]


# -- content types ---------------------------------------------------------------------------
@pytest.mark.parametrize(("platform", "url", "types", "listed"), [
    ("instagram", "https://www.instagram.com/natgeo/", ["posts"],
     ["https://www.instagram.com/natgeo/posts/"]),
    ("instagram", "https://www.instagram.com/natgeo/", ["stories", "reels"],
     ["https://www.instagram.com/stories/natgeo/", "https://www.instagram.com/natgeo/reels/"]),
    ("instagram", "https://www.instagram.com/stories/natgeo/", ["highlights"],
     ["https://www.instagram.com/natgeo/highlights/"]),
    ("youtube", "https://www.youtube.com/@NASA", ["shorts"],
     ["https://www.youtube.com/@NASA/shorts"]),
    ("youtube", "https://www.youtube.com/@NASA/featured", ["videos", "audio"],
     ["https://www.youtube.com/@NASA/videos"]),
    ("youtube", "https://www.youtube.com/playlist?list=PL1", ["videos"],
     ["https://www.youtube.com/playlist?list=PL1"]),
    ("instagram", "https://www.instagram.com/natgeo/", [], ["https://www.instagram.com/natgeo/"]),
])
def test_content_types_name_the_parts_of_a_profile_to_list(platform, url, types, listed):
    assert check_content_types(platform, types, url) == types
    assert source_urls(platform, url, types) == listed


@pytest.mark.parametrize(("platform", "url", "types", "says"), [
    ("youtube", "https://www.youtube.com/playlist?list=PL1", ["shorts"],
     "'shorts' needs a YouTube channel link"),
    ("instagram", "https://www.instagram.com/p/C0ffeeBean12/", ["stories"],
     "'stories' needs an Instagram profile link"),
    ("tiktok", "https://www.tiktok.com/@scout2015", ["photos"],
     "TikTok lists a user's videos only"),
    ("generic", "https://podcast.example.org/feed.xml", ["reels"], "reels is not offered"),
])
def test_a_content_type_the_schedule_cannot_honour_is_refused(platform, url, types, says):
    with pytest.raises(InvalidPayload) as refused:
        check_content_types(platform, types, url)
    assert says in refused.value.detail


def test_the_api_refuses_an_unhonourable_content_type_with_422(client, user_headers):
    answer = client.post(f"{BASE}/jobs", headers=user_headers, json={
        "url": "https://www.youtube.com/playlist?list=PLBCF2DAC6FFB574DE",
        "content_types": ["shorts"]})
    assert answer.status_code == 422, answer.text
    assert "'shorts' needs a YouTube channel link" in answer.json()["detail"]


def test_a_run_lists_each_part_and_keeps_their_state_apart(context, clock, owner):
    tasks = []

    def list_source(_settings, task) -> Listed:
        tasks.append(task)
        parts = [(part, Listed(Listing(kind="gallery", found=1, state={"offset": len(part)},
                                       entries=[Entry(url=part + "1", key=part + "1")]),
                               "gallerydl")) for part in task.parts]
        return merged([one for _, one in parts], task.parts)

    _, service = scheduled(context, clock, list_source)
    schedule_id = service.create(owner, ScheduleCreate(
        url="https://www.instagram.com/natgeo/", content_types=["posts", "stories"])).schedule.id
    service.run_now(owner, schedule_id)

    [task] = tasks
    assert task.parts == ("https://www.instagram.com/natgeo/posts/",
                          "https://www.instagram.com/stories/natgeo/")
    run = last_run(service, owner, schedule_id)
    assert (run.found, run.new, run.queued) == (2, 2, 2)


# -- date range ------------------------------------------------------------------------------
def dated(number: int, day: date | None) -> Entry:
    published = datetime(day.year, day.month, day.day) if day else None
    return Entry(url=f"https://www.youtube.com/watch?v=v{number}", key=f"v{number}",
                 published_at=published, kind="video")


def test_undated_entries_are_placed_by_their_dated_neighbours(context, clock, owner, database):
    """Newest first: v1 and v2 are newer than v3, which is after the range; v5 is older
    than v8, before the range; v6, between v3 and v4 (in the range), may be in it: kept."""
    entries = [dated(1, None), dated(2, None), dated(3, date(2024, 7, 2)), dated(6, None),
               dated(4, date(2024, 3, 1)), dated(8, date(2023, 12, 1)), dated(5, None)]

    def list_source(_settings, _task) -> Listed:
        return Listed(Listing(kind="playlist", entries=entries, found=len(entries),
                              state={"format": "playlist", "order": "newest_first"}), "ytdlp")

    _, service = scheduled(context, clock, list_source)
    schedule_id = service.create(owner, ScheduleCreate(
        url="https://www.youtube.com/@NASA", date_from=date(2024, 1, 1),
        date_to=date(2024, 6, 30))).schedule.id
    service.run_now(owner, schedule_id)

    with database.read() as session:
        states = dict(session.execute(select(ScheduleItem.item_key, ScheduleItem.state)
                                      .where(ScheduleItem.schedule_id == schedule_id)).all())
    assert {key for key, state in states.items() if state != "skipped"} == {"v4", "v6"}
    assert {states[key] for key in ("v1", "v2", "v3", "v5", "v8")} == {"skipped"}


def test_a_collection_entry_carries_the_date_range_and_a_single_item_does_not(
        context, clock, owner, database):
    entries = [Entry(url="https://www.youtube.com/playlist?list=PL9", key="PL9",
                     kind="playlist"),
               Entry(url="https://www.youtube.com/watch?v=v1", key="v1")]

    def list_source(_settings, _task) -> Listed:
        return Listed(Listing(kind="playlist", entries=entries, found=2), "ytdlp")

    _, service = scheduled(context, clock, list_source)
    schedule_id = service.create(owner, ScheduleCreate(
        url="https://www.youtube.com/@NASA/playlists", date_from=date(2024, 1, 1),
        options={"subtitles": True})).schedule.id
    service.run_now(owner, schedule_id)

    with database.read() as session:
        options = dict(session.execute(select(Job.entry_key, Job.options)
                                       .where(Job.schedule_id == schedule_id)).all())
    assert options["PL9"] == {"subtitles": True, "date_from": "2024-01-01"}
    assert options["v1"] == {"subtitles": True}


# -- forum threads ---------------------------------------------------------------------------
def thread(posts: list[str], last_post: list[str], kind: str = "thread",
           failing: list[str] | None = None):
    """A listing stand-in: a thread whose image links are ``posts`` and whose last post
    is ``last_post[0]``; it fails with ``failing[0]`` while that is set."""

    def list_source(_settings, task) -> Listed:
        if failing:
            raise EngineError(failing[0])
        fresh = [Entry(url=url, key=url) for url in posts if url not in task.request.known_keys]
        state = {"thread_url": task.url, "last_post_id": last_post[0]}
        return Listed(Listing(kind=kind, entries=fresh, found=len(posts), state=state),
                      "forum")

    return list_source


def thread_schedule(context, clock, owner, list_source) -> tuple[Scheduler, ScheduleService, int]:
    context.settings.scheduler.thread_expiry_days = 30
    scheduler, service = scheduled(context, clock, list_source)
    schedule_id = service.create(owner, ScheduleCreate(
        url="https://forum.example.com/threads/chat.9/", cron="daily")).schedule.id
    return scheduler, service, schedule_id


def days_pass(scheduler: Scheduler, clock, days: int) -> None:
    for _ in range(days):
        clock.advance(days=1)
        scheduler.tick(clock.now)


def test_a_new_post_without_images_keeps_a_thread_alive(context, clock, owner):
    last_post = ["p1"]
    scheduler, service, schedule_id = thread_schedule(
        context, clock, owner, thread(["https://forum.example.com/a.jpg"], last_post))
    days_pass(scheduler, clock, 20)
    last_post[0] = "p2"  # a reply with text only, seen by the run of day 21
    days_pass(scheduler, clock, 30)
    assert service.get(owner, schedule_id).schedule.enabled  # 29 quiet days since p2
    days_pass(scheduler, clock, 1)
    schedule = service.get(owner, schedule_id).schedule
    assert not schedule.enabled and "No new posts for 30 days" in schedule.disabled_reason


def test_a_thread_read_as_a_gallery_expires_too(context, clock, owner):
    scheduler, service, schedule_id = thread_schedule(
        context, clock, owner, thread(["https://forum.example.com/a.jpg"], ["p1"], "gallery"))
    days_pass(scheduler, clock, 31)
    assert not service.get(owner, schedule_id).schedule.enabled


def test_a_thread_that_keeps_failing_expires_with_the_reason(context, clock, owner):
    failing = ["HTTP Error 410: Gone"]
    scheduler, service, schedule_id = thread_schedule(
        context, clock, owner, thread([], ["p1"], failing=failing))
    days_pass(scheduler, clock, 29)
    assert service.get(owner, schedule_id).schedule.enabled
    assert last_run(service, owner, schedule_id).status == "failed"
    days_pass(scheduler, clock, 2)
    schedule = service.get(owner, schedule_id).schedule
    assert not schedule.enabled and schedule.next_run_at is None
    assert "not been readable for 30 days" in schedule.disabled_reason
    assert "410" in schedule.disabled_reason


def test_a_channel_never_expires_however_quiet(context, clock, owner):
    context.settings.scheduler.thread_expiry_days = 30

    def quiet(_settings, _task) -> Listed:
        return Listed(Listing(kind="gallery", state={"order": "newest_first"}), "gallerydl")

    scheduler, service = scheduled(context, clock, quiet)
    schedule_id = service.create(owner, ScheduleCreate(
        url="https://www.instagram.com/natgeo/", cron="daily")).schedule.id
    days_pass(scheduler, clock, 40)
    assert service.get(owner, schedule_id).schedule.enabled
