"""What runs tell people (notification events, recorded once and shown live), and the next
scheduled run the stats show."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from mediadl.app_context import AppContext
from mediadl.db.models import User
from mediadl.db.models.library_ops import NotificationEvent
from mediadl.engines.base import EngineError, Entry, Listing
from mediadl.realtime.events import Event
from mediadl.schedules.scheduler import Scheduler
from mediadl.schedules.schemas import ScheduleCreate
from mediadl.schedules.service import ScheduleService, next_scheduled_run
from mediadl.schedules.sources import Listed


class RecordingHub:
    def __init__(self) -> None:
        self.published: list[Event] = []

    def publish(self, event: Event) -> None:
        self.published.append(event)

    def publish_all(self, events: list[Event]) -> None:
        self.published.extend(events)


def listing_of(count: int):
    def list_source(_settings, task) -> Listed:
        entries = [Entry(url=f"https://fake.invalid/video/e{n}", key=f"e{n}")
                   for n in range(count)]
        fresh = [entry for entry in entries if entry.key not in task.request.known_keys]
        return Listed(Listing(kind="playlist", entries=fresh, found=count), "fake")

    return list_source


def failing(_settings, _task) -> Listed:
    raise EngineError("HTTP Error 404: Not Found")


def service_with(context: AppContext, clock, list_source) -> tuple[ScheduleService, RecordingHub]:
    hub = RecordingHub()
    live = AppContext(settings=context.settings, db=context.db, events=hub)  # type: ignore[arg-type]
    scheduler = Scheduler(live, clock=clock, list_source=list_source, run_inline=True)
    return ScheduleService(context.settings, context.db, scheduler), hub


def recorded(database) -> list[tuple[str, str, str]]:
    with database.read() as session:
        rows = session.scalars(select(NotificationEvent).order_by(NotificationEvent.id))
        return [(row.event, row.level, row.message) for row in rows]


def test_runs_with_news_or_failures_are_recorded_and_shown_live(context, clock, owner):
    two, hub = service_with(context, clock, listing_of(2))
    schedule = two.create(owner, ScheduleCreate(url="https://fake.invalid/playlist/ev",
                                                name="Show")).schedule

    two.run_now(owner, schedule.id)   # two new items queued
    two.run_now(owner, schedule.id)   # nothing new: stays quiet
    broken, broken_hub = service_with(context, clock, failing)
    broken.run_now(owner, schedule.id)

    assert recorded(context.db) == [
        ("schedule_run_finished", "success", "2 new, 2 queued."),
        ("schedule_failed", "error", "HTTP Error 404: Not Found")]
    toasts = [event.data for event in hub.published + broken_hub.published
              if event.type == "notification"]
    assert [(toast["event"], toast["title"]) for toast in toasts] == [
        ("schedule_run_finished", "Schedule \u201cShow\u201d"),
        ("schedule_failed", "Schedule \u201cShow\u201d failed")]
    queue_news = [event for event in hub.published if event.type == "queue_updated"]
    assert len(queue_news) == 2 and {event.owner_id for event in queue_news} == {owner.id}


def test_next_scheduled_run_is_the_earliest_enabled_one_the_user_may_see(
        context, clock, service, owner, make_user):
    other_id = make_user("other")
    with context.db.read() as session:
        other = session.get(User, other_id)
    admin = User(id=0, username="root", password_hash="x", role="admin")
    assert other is not None
    service.create(owner, ScheduleCreate(url="https://fake.invalid/playlist/a", cron="daily"))
    service.create(owner, ScheduleCreate(url="https://fake.invalid/playlist/b",
                                         cron="hourly", enabled=False))
    service.create(other, ScheduleCreate(url="https://fake.invalid/playlist/c",
                                         cron="hourly"))
    with context.db.read() as session:
        assert next_scheduled_run(session, owner) == datetime(2026, 6, 2, 0, 0)
        assert next_scheduled_run(session, other) == datetime(2026, 6, 1, 13, 0)
        assert next_scheduled_run(session, admin) == datetime(2026, 6, 1, 13, 0)
