"""Schedules of a user (an admin: of everyone): create, read, change, delete, run now and
the run history. Each public method is one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.orm import Session

from mediadl.core.clock import isoformat
from mediadl.core.errors import Conflict, InvalidPayload, NotFound
from mediadl.core.settings import Settings
from mediadl.db.models import User
from mediadl.db.models.schedules import RUN_RUNNING, Schedule, ScheduleRun, ScheduleSource
from mediadl.db.session import Database
from mediadl.schedules import items
from mediadl.schedules.claims import TRIGGER_MANUAL, start_run
from mediadl.schedules.content import check_content_types
from mediadl.schedules.cron import next_run_after, shortest_interval
from mediadl.schedules.scheduler import Scheduler
from mediadl.schedules.schemas import ScheduleCreate, SchedulePatch
from mediadl.schedules.sources import SourceKind, identify
from mediadl.security.policy import refuse_unsafe_url

FILTER_FIELDS = frozenset({"date_from", "date_to", "content_types"})
TIMING_FIELDS = frozenset({"cron", "timezone", "enabled"})
# Fields a PATCH may set to null (content_types: no filter); for the others null means
# "leave as it is".
NULLABLE_FIELDS = frozenset({"date_from", "date_to", "max_items_per_run", "content_types"})


@dataclass(frozen=True)
class ScheduleView:
    schedule: Schedule
    running: bool


@dataclass(frozen=True)
class RunFilter:
    schedule_id: int | None = None
    status: str | None = None
    page: int = 1
    page_size: int = 50


def visible_schedules(user: User) -> Select[Schedule]:
    statement = select(Schedule)
    return statement if user.is_admin else statement.where(Schedule.owner_id == user.id)


def schedule_row(session: Session, user: User, schedule_id: int) -> Schedule:
    schedule = session.scalar(visible_schedules(user).where(Schedule.id == schedule_id))
    if schedule is None:
        raise NotFound("There is no such schedule.")
    return schedule


def running_ids(session: Session, schedule_ids: list[int]) -> set[int]:
    if not schedule_ids:
        return set()
    return set(session.scalars(select(ScheduleRun.schedule_id).where(
        ScheduleRun.schedule_id.in_(schedule_ids), ScheduleRun.status == RUN_RUNNING)))


def next_scheduled_run(session: Session, user: User) -> datetime | None:
    """When the next of the user's schedules runs (an admin: of anyone's); for the stats."""
    visible = visible_schedules(user).where(Schedule.enabled.is_(True)).subquery()
    return session.scalar(select(func.min(visible.c.next_run_at)))


class ScheduleService:
    def __init__(self, settings: Settings, db: Database, scheduler: Scheduler) -> None:
        self.settings = settings
        self.db = db
        self.scheduler = scheduler

    # -- reading ---------------------------------------------------------------------
    def list_schedules(self, user: User, page: int,
                       page_size: int) -> tuple[list[ScheduleView], int]:
        with self.db.read() as session:
            visible = visible_schedules(user)
            total = session.scalar(select(func.count()).select_from(visible.subquery())) or 0
            rows = list(session.scalars(visible.order_by(Schedule.name, Schedule.id)
                                        .offset((page - 1) * page_size).limit(page_size)))
            running = running_ids(session, [row.id for row in rows])
        return [ScheduleView(row, row.id in running) for row in rows], int(total)

    def get(self, user: User, schedule_id: int) -> ScheduleView:
        with self.db.read() as session:
            schedule = schedule_row(session, user, schedule_id)
            return ScheduleView(schedule, bool(running_ids(session, [schedule.id])))

    def history(self, user: User, query: RunFilter) -> tuple[list[ScheduleRun], int]:
        with self.db.read() as session:
            statement = select(ScheduleRun)
            if query.schedule_id is not None:
                schedule_row(session, user, query.schedule_id)
                statement = statement.where(ScheduleRun.schedule_id == query.schedule_id)
            if not user.is_admin:
                statement = statement.where(ScheduleRun.owner_id == user.id)
            if query.status:
                statement = statement.where(ScheduleRun.status == query.status)
            total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
            page = statement.order_by(ScheduleRun.started_at.desc(), ScheduleRun.id.desc())
            runs = list(session.scalars(page.offset((query.page - 1) * query.page_size)
                                        .limit(query.page_size)))
        return runs, int(total)

    # -- changing --------------------------------------------------------------------
    def create(self, owner: User, body: ScheduleCreate) -> ScheduleView:
        kind = self._checked_source(body.url, body.platform)
        now = self.scheduler.clock()
        self._check_interval(body.cron, body.timezone, now)
        schedule = Schedule(
            owner_id=owner.id, name=body.name or body.url[:200], url=body.url,
            platform=kind.platform, host=kind.host,
            content_types=check_content_types(kind.platform, body.content_types or [],
                                              body.url),
            cron=body.cron, timezone=body.timezone, enabled=body.enabled,
            max_items_per_run=body.max_items_per_run, date_from=body.date_from,
            date_to=body.date_to, quality=body.quality or "best",
            priority=body.priority or "normal",
            options=body.options.as_dict() if body.options else {}, created_at=now,
            updated_at=now,
            next_run_at=next_run_after(body.cron, body.timezone, now) if body.enabled else None)
        with self.db.session() as session:
            self._refuse_over_limit(session, owner)
            session.add(schedule)
            session.flush()
        return ScheduleView(schedule, False)

    def update(self, user: User, schedule_id: int, patch: SchedulePatch) -> ScheduleView:
        changes = self._changes(patch)
        with self.db.session() as session:
            schedule = schedule_row(session, user, schedule_id)
            self._apply(session, schedule, changes)
            session.flush()
            running = bool(running_ids(session, [schedule.id]))
        return ScheduleView(schedule, running)

    def delete(self, user: User, schedule_id: int) -> None:
        with self.db.session() as session:
            schedule = schedule_row(session, user, schedule_id)
            session.delete(schedule)

    def run_now(self, user: User, schedule_id: int) -> ScheduleRun:
        """Start a run at once, in the background; the answer is the run just started."""
        now = self.scheduler.clock()
        with self.db.session() as session:
            schedule = schedule_row(session, user, schedule_id)
            self._refuse_while_paused(schedule, now)
            run = start_run(session, schedule, TRIGGER_MANUAL, None, now,
                            self.scheduler.instance)
            if run is None:
                raise Conflict("This schedule is running already; wait for that run to end.")
            session.flush()
        self.scheduler.submit(run.id)
        return run

    # -- helpers ---------------------------------------------------------------------
    def _checked_source(self, url: str, platform: str | None) -> SourceKind:
        refuse_unsafe_url(self.settings, url)
        kind = identify(url)
        if platform is not None and platform != kind.platform:
            raise InvalidPayload(f"platform: this URL belongs to '{kind.platform}', "
                                 f"not '{platform}'; leave platform out to have it detected.")
        return kind

    def _check_interval(self, cron: str, zone_name: str, now: datetime) -> None:
        """Polling a site every minute is how accounts get banned: runs must be at least
        min_interval_minutes apart."""
        least = timedelta(minutes=self.settings.scheduler.min_interval_minutes)
        gap = shortest_interval(cron, zone_name, now)
        if gap is not None and gap < least:
            raise InvalidPayload(
                f"cron: '{cron}' runs every {_minutes(gap)}; schedules run at most every "
                f"{_minutes(least)} (MEDIADL_SCHEDULER__MIN_INTERVAL_MINUTES).")

    def _refuse_over_limit(self, session: Session, owner: User) -> None:
        most = self.settings.scheduler.max_schedules_per_user
        count = session.scalar(select(func.count()).select_from(Schedule)
                               .where(Schedule.owner_id == owner.id)) or 0
        if count >= most:
            raise Conflict(f"You have {count} schedules, the most allowed; delete one first.")

    @staticmethod
    def _refuse_while_paused(schedule: Schedule, now: datetime) -> None:
        if schedule.paused_until is not None and schedule.paused_until > now:
            raise Conflict(f"This schedule is paused until {isoformat(schedule.paused_until)}: "
                           f"{schedule.pause_reason or 'its platform is rate-limited'}")

    @staticmethod
    def _changes(patch: SchedulePatch) -> dict[str, Any]:
        sent = {name: getattr(patch, name) for name in patch.model_fields_set}
        return {name: value for name, value in sent.items()
                if value is not None or name in NULLABLE_FIELDS}

    def _apply(self, session: Session, schedule: Schedule, changes: dict[str, Any]) -> None:
        if "url" in changes or "platform" in changes:
            self._change_source(session, schedule, changes)
        if "content_types" in changes or "url" in changes:
            changes["content_types"] = check_content_types(
                schedule.platform, changes.get("content_types", schedule.content_types) or [],
                schedule.url)
        if "options" in changes:
            changes["options"] = changes["options"].as_dict()
        for name, value in changes.items():
            if name not in ("url", "platform"):
                setattr(schedule, name, value)
        _check_date_range(schedule.date_from, schedule.date_to)
        if FILTER_FIELDS & changes.keys():
            items.reconsider_filtered(session, schedule.id)
        if TIMING_FIELDS & changes.keys():
            self._reschedule(session, schedule)

    def _change_source(self, session: Session, schedule: Schedule,
                       changes: dict[str, Any]) -> None:
        url = changes.get("url", schedule.url)
        kind = self._checked_source(url, changes.get("platform"))
        if url != schedule.url:
            # Another source: its validators and cursor mean nothing for the new one.
            session.execute(delete(ScheduleSource)
                            .where(ScheduleSource.schedule_id == schedule.id))
            items.forget_pending(session, schedule.id)
        schedule.url, schedule.platform, schedule.host = url, kind.platform, kind.host

    def _reschedule(self, session: Session, schedule: Schedule) -> None:
        now = self.scheduler.clock()
        self._check_interval(schedule.cron, schedule.timezone, now)
        if not schedule.enabled:
            schedule.next_run_at = None
            return
        if schedule.disabled_reason is not None:
            # Enabled again after it stopped itself: an expired thread gets a fresh period.
            schedule.disabled_reason = None
            session.execute(update(ScheduleSource)
                            .where(ScheduleSource.schedule_id == schedule.id)
                            .values(last_new_item_at=now))
        schedule.next_run_at = next_run_after(schedule.cron, schedule.timezone, now)


def _minutes(gap: timedelta) -> str:
    minutes = int(gap.total_seconds() // 60)
    return "minute" if minutes == 1 else f"{minutes} minutes"


def _check_date_range(date_from: date | None, date_to: date | None) -> None:
    if date_from and date_to and date_from > date_to:
        raise InvalidPayload("date_from must not be after date_to.")
