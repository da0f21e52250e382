"""Watching a forum thread: each run reads from the last page seen onward and queues only
the new posts' images; a thread quiet for thread_expiry_days stops its schedule itself."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from mediadl.db.models import Job
from mediadl.db.models.library_ops import NotificationEvent
from mediadl.db.models.platforms import ForumThread
from mediadl.engines.base import Entry, Listing
from mediadl.schedules.scheduler import Scheduler
from mediadl.schedules.schemas import ScheduleCreate, SchedulePatch
from mediadl.schedules.service import RunFilter, ScheduleService
from mediadl.schedules.sources import Listed
from tests.fixtures.site import board_post

THREAD = "/board/threads/summer-photos.1/"


def run_now(service: ScheduleService, owner, schedule_id: int):
    started = service.run_now(owner, schedule_id)
    runs, _ = service.history(owner, RunFilter(schedule_id=schedule_id))
    return next(item for item in runs if item.id == started.id)


def queued_posts(database, schedule_id: int) -> list[str]:
    with database.read() as session:
        urls = session.scalars(select(Job.url).where(Job.schedule_id == schedule_id)
                               .order_by(Job.id))
        return [url.rsplit("post=", 1)[-1] for url in urls]


def test_a_thread_schedule_picks_up_only_new_posts(site, service, owner, make_schedule,
                                                    database):
    schedule_id = make_schedule(site.url(THREAD), name="Summer photos")
    first = run_now(service, owner, schedule_id)
    # Three posts on two pages; images are queued for the forum engine to resolve.
    assert (first.status, first.new, first.queued) == ("completed", 3, 3)
    assert sorted(queued_posts(database, schedule_id)) == ["1", "2", "3"]

    site.board_posts += [board_post(4), board_post(5)]
    site.clear_log()
    second = run_now(service, owner, schedule_id)

    assert (second.new, second.queued) == (2, 2)
    assert sorted(queued_posts(database, schedule_id)[3:]) == ["4", "5"]
    # Read from the last page seen (page 2) onward: page 1 is not fetched again.
    assert [entry.path for entry in site.requests] == [
        "/board/threads/summer-photos.1/page-2", "/board/threads/summer-photos.1/page-3"]
    with database.read() as session:
        jobs = list(session.scalars(select(Job).where(Job.schedule_id == schedule_id)))
        thread = session.scalars(select(ForumThread)).one()
    assert {(job.engine, job.platform, job.kind) for job in jobs} == {
        ("forum", "forum", "image")}
    assert thread.last_page_url and thread.last_page_url.endswith("/page-3")


def quiet_thread(posts: list[str]):
    """A listing process stand-in: a thread whose posts are ``posts``."""

    def list_source(_settings, task) -> Listed:
        fresh = [Entry(url=url, key=url) for url in posts if url not in task.request.known_keys]
        return Listed(Listing(kind="thread", entries=fresh, found=len(posts),
                              title="Quiet thread"), "forum")

    return list_source


def test_a_thread_without_new_posts_expires_with_a_visible_reason(
        context, clock, owner, make_user):
    context.settings.scheduler.thread_expiry_days = 30
    context.settings.scheduler.jitter_max_seconds = 0
    posts = ["https://forum.example.com/a.jpg"]
    scheduler = Scheduler(context, clock=clock, list_source=quiet_thread(posts),
                          run_inline=True)
    service = ScheduleService(context.settings, context.db, scheduler)
    view = service.create(owner, ScheduleCreate(
        url="https://forum.example.com/threads/quiet.7/", cron="daily"))
    schedule_id = view.schedule.id
    clock.advance(days=10)  # June 11th: the thread's second post appears
    posts.append("https://forum.example.com/b.jpg")
    scheduler.tick(clock.now)
    last_news = clock.now
    while clock.now < last_news + timedelta(days=29):  # daily runs, nothing new
        clock.advance(days=1)
        scheduler.tick(clock.now)
        assert service.get(owner, schedule_id).schedule.enabled

    clock.advance(days=1)  # 30 days after the last new post
    scheduler.tick(clock.now)

    schedule = service.get(owner, schedule_id).schedule
    assert not schedule.enabled and schedule.next_run_at is None
    assert "No new posts for 30 days" in (schedule.disabled_reason or "")
    with context.db.read() as session:
        told = session.scalars(select(NotificationEvent.message).where(
            NotificationEvent.event == "schedule_run_finished")).all()
    assert any("No new posts for 30 days" in message for message in told)

    # Enabled again by hand, it gets a fresh month rather than expiring at once.
    enabled = service.update(owner, schedule_id, SchedulePatch(enabled=True)).schedule
    assert enabled.enabled and enabled.disabled_reason is None
    clock.advance(days=1)
    scheduler.tick(clock.now)
    assert service.get(owner, schedule_id).schedule.enabled
