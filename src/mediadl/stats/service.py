"""Statistics, computed by the database from the roll-up tables that triggers keep exact
(``library_daily``, ``library_totals``, ``library_sources``) and from indexed job counts,
so a library of a million downloads answers in milliseconds.

A user sees figures of its own downloads and jobs; an admin sees everyone's, or one user's
with ``user_id``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, select
from sqlalchemy.orm import Session

from mediadl.core.clock import isoformat, utcnow
from mediadl.core.settings import Settings
from mediadl.db.dialect import date_of_sql, week_start_sql
from mediadl.db.models import Job, User
from mediadl.db.models.library_ops import JobCount, LibraryDaily, LibrarySource, LibraryTotal
from mediadl.jobs.states import ACTIVE_STATUSES, COMPLETED, FAILED, STATUSES
from mediadl.stats.scheduling import next_scheduled_run
from mediadl.stats.schemas import (
    JobOutcomes,
    Overview,
    PeriodTotals,
    PlatformStats,
    QueueCounts,
    SourceStats,
    StorageSummary,
    Timeline,
    TimelinePoint,
    TimelineQuery,
    Totals,
)
from mediadl.storage.space import Room

WEEK_DAYS = 7
MONTH_DAYS = 30


@dataclass(frozen=True)
class Scope:
    """Whose figures: one owner, or everyone (None)."""

    owner_id: int | None

    @classmethod
    def for_user(cls, user: User, user_id: int | None = None) -> Scope:
        return cls(user_id if user.is_admin else user.id)

    def on(self, column: Any) -> list[ColumnElement[bool]]:
        return [] if self.owner_id is None else [column == self.owner_id]


def today() -> date:
    return utcnow().date()


# --- overview ------------------------------------------------------------------------------

def overview(session: Session, settings: Settings, scope: Scope, room: Room,
             low: bool) -> Overview:
    queue = queue_counts(session, scope)
    finished = queue.completed + queue.failed
    used = library_totals(session, scope).bytes
    next_run = next_scheduled_run(session, scope.owner_id)
    return Overview(
        downloads=period_totals(session, scope, today()), queue=queue,
        success_rate=round(queue.completed / finished, 4) if finished else None,
        storage=_storage_summary(settings, scope, room, used, low),
        next_scheduled_run=isoformat(next_run))


def period_totals(session: Session, scope: Scope, day: date) -> PeriodTotals:
    month_start = day - timedelta(days=MONTH_DAYS - 1)
    week_start = day - timedelta(days=WEEK_DAYS - 1)
    rows = session.execute(
        select(LibraryDaily.day, func.sum(LibraryDaily.download_count),
               func.sum(LibraryDaily.byte_count))
        .where(LibraryDaily.day >= month_start, LibraryDaily.day <= day,
               *scope.on(LibraryDaily.owner_id))
        .group_by(LibraryDaily.day))
    sums = {"today": Totals(), "week": Totals(), "month": Totals()}
    for row_day, downloads, size in rows:
        for name, start in (("today", day), ("week", week_start), ("month", month_start)):
            if row_day >= start:
                sums[name] = Totals(downloads=sums[name].downloads + int(downloads),
                                    bytes=sums[name].bytes + int(size))
    return PeriodTotals(**sums, total=library_totals(session, scope))


def library_totals(session: Session, scope: Scope) -> Totals:
    downloads, size = session.execute(
        select(func.coalesce(func.sum(LibraryTotal.download_count), 0),
               func.coalesce(func.sum(LibraryTotal.byte_count), 0))
        .where(*scope.on(LibraryTotal.owner_id))).one()
    return Totals(downloads=int(downloads), bytes=int(size))


def queue_counts(session: Session, scope: Scope) -> QueueCounts:
    rows = session.execute(select(JobCount.status, func.sum(JobCount.job_count))
                           .where(*scope.on(JobCount.owner_id)).group_by(JobCount.status))
    return QueueCounts(**{status: int(count) for status, count in rows if status in STATUSES})


def _storage_summary(settings: Settings, scope: Scope, room: Room, used: int,
                     low: bool) -> StorageSummary:
    quota = settings.storage.user_quota_bytes or None
    return StorageSummary(
        used_bytes=used, free_bytes=room.free_bytes, disk_total_bytes=room.disk.total,
        disk_free_bytes=room.disk.free, limit_bytes=room.limit_bytes,
        quota_bytes=quota if scope.owner_id is not None else None, low=low)


# --- timeline ------------------------------------------------------------------------------

def timeline(session: Session, scope: Scope, query: TimelineQuery) -> Timeline:
    last = query.date_to or today()
    first = last - timedelta(days=query.days - 1)
    dialect = session.get_bind().dialect.name
    periods = _periods(first, last, query.interval)
    points = {period: _empty_point(period) for period in periods}
    for period, platform, downloads, size in _downloads_by_period(
            session, dialect, scope, first, last, query.interval):
        point = points[_period_key(period)]
        point.downloads += int(downloads)
        point.bytes += int(size)
        point.platforms[platform] = point.platforms.get(platform, 0) + int(downloads)
    for period, failed in _failures_by_period(session, dialect, scope, first, last,
                                              query.interval):
        points[_period_key(period)].failed_jobs += int(failed)
    return Timeline(interval=query.interval, date_from=first.isoformat(),
                    date_to=last.isoformat(), items=list(points.values()))


def _periods(first: date, last: date, interval: str) -> list[str]:
    start = first - timedelta(days=first.weekday()) if interval == "week" else first
    step = timedelta(days=WEEK_DAYS if interval == "week" else 1)
    periods = []
    while start <= last:
        periods.append(start.isoformat())
        start += step
    return periods


def _empty_point(period: str) -> TimelinePoint:
    return TimelinePoint(period=period, downloads=0, bytes=0, failed_jobs=0, platforms={})


def _period_key(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def _period_of(dialect: str, column: str, interval: str) -> Any:
    return literal_column(week_start_sql(dialect, column) if interval == "week" else column)


def _downloads_by_period(session: Session, dialect: str, scope: Scope, first: date,
                         last: date, interval: str) -> list[Any]:
    period = _period_of(dialect, "library_daily.day", interval)
    statement = (
        select(period, LibraryDaily.platform, func.sum(LibraryDaily.download_count),
               func.sum(LibraryDaily.byte_count))
        .where(LibraryDaily.day >= first, LibraryDaily.day <= last,
               *scope.on(LibraryDaily.owner_id))
        .group_by(period, LibraryDaily.platform))
    return list(session.execute(statement))


def _failures_by_period(session: Session, dialect: str, scope: Scope, first: date,
                        last: date, interval: str) -> list[Any]:
    period = _period_of(dialect, date_of_sql(dialect, "jobs.finished_at"), interval)
    end = last + timedelta(days=1)
    statement = (
        select(period, func.count())
        .where(Job.finished_at >= first, Job.finished_at < end, Job.status == FAILED,
               *scope.on(Job.owner_id))
        .group_by(period))
    return list(session.execute(statement))


# --- platforms and sources -----------------------------------------------------------------

def platforms(session: Session, scope: Scope) -> list[PlatformStats]:
    library = session.execute(
        select(LibraryTotal.platform, func.sum(LibraryTotal.download_count),
               func.sum(LibraryTotal.byte_count), func.max(LibraryTotal.last_at))
        .where(*scope.on(LibraryTotal.owner_id)).group_by(LibraryTotal.platform))
    stats = {name: PlatformStats(platform=name, downloads=int(count), bytes=int(size),
                                 last_download_at=isoformat(last), jobs=JobOutcomes(),
                                 success_rate=None)
             for name, count, size, last in library}
    for name, outcomes in _job_outcomes_by_platform(session, scope).items():
        entry = stats.setdefault(name, PlatformStats(
            platform=name, downloads=0, bytes=0, last_download_at=None, jobs=JobOutcomes(),
            success_rate=None))
        entry.jobs = outcomes
        finished = outcomes.completed + outcomes.failed
        entry.success_rate = round(outcomes.completed / finished, 4) if finished else None
    return sorted(stats.values(), key=lambda item: (-item.downloads, item.platform))


def _job_outcomes_by_platform(session: Session, scope: Scope) -> dict[str, JobOutcomes]:
    rows = session.execute(select(JobCount.platform, JobCount.status,
                                  func.sum(JobCount.job_count))
                           .where(*scope.on(JobCount.owner_id))
                           .group_by(JobCount.platform, JobCount.status))
    found: dict[str, JobOutcomes] = defaultdict(JobOutcomes)
    for platform, status, count in rows:
        outcome = found[platform]
        if status == COMPLETED:
            outcome.completed += int(count)
        elif status == FAILED:
            outcome.failed += int(count)
        elif status in ACTIVE_STATUSES:
            outcome.active += int(count)
    return dict(found)


def sources(session: Session, scope: Scope, platform: str | None,
            limit: int) -> list[SourceStats]:
    count = func.sum(LibrarySource.download_count)
    conditions = scope.on(LibrarySource.owner_id)
    if platform:
        conditions.append(LibrarySource.platform == platform)
    rows = session.execute(
        select(LibrarySource.platform, LibrarySource.source, count,
               func.sum(LibrarySource.byte_count), func.max(LibrarySource.last_at))
        .where(*conditions).group_by(LibrarySource.platform, LibrarySource.source)
        .order_by(count.desc(), LibrarySource.platform, LibrarySource.source).limit(limit))
    return [SourceStats(platform=name, source=source or None, downloads=int(downloads),
                        bytes=int(size), last_download_at=isoformat(last))
            for name, source, downloads, size, last in rows]
