"""Tables of the scheduler: schedules, their run history, what each source looked like last
time (validators, cursors) and every item a schedule has seen."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from mediadl.core.clock import utcnow
from mediadl.db.base import Base, JSONType

RUN_RUNNING = "running"
ONE_RUNNING_RUN = text("status = 'running'")


class Schedule(Base):
    __tablename__ = "schedules"
    __table_args__ = (
        # The tick's query: enabled schedules by due time.
        Index("ix_schedules_due", "enabled", "next_run_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(String(32), default="generic")
    # Rate limits are per site: a "generic" schedule is paused with the others of its host.
    host: Mapped[str] = mapped_column(String(255), default="")
    content_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    cron: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    max_items_per_run: Mapped[int | None] = mapped_column(Integer)
    date_from: Mapped[date | None] = mapped_column(Date)
    date_to: Mapped[date | None] = mapped_column(Date)
    quality: Mapped[str] = mapped_column(String(16), default="best")
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_status: Mapped[str | None] = mapped_column(String(16))
    # Set while the schedule's platform is rate-limited; cleared by the run that resumes it.
    paused_until: Mapped[datetime | None] = mapped_column(DateTime)
    pause_reason: Mapped[str | None] = mapped_column(Text)
    # Why the scheduler itself turned the schedule off (an expired forum thread).
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class ScheduleRun(Base):
    """One run: either one (schedule, due time) of the cron, or a "run now"."""

    __tablename__ = "schedule_runs"
    __table_args__ = (
        # The per-tick key: whichever process inserts it owns that tick.
        UniqueConstraint("schedule_id", "due_at"),
        # At most one run of a schedule at a time, however many processes try.
        Index("uq_schedule_runs_running", "schedule_id", unique=True,
              sqlite_where=ONE_RUNNING_RUN, postgresql_where=ONE_RUNNING_RUN),
        Index("ix_schedule_runs_schedule_started", "schedule_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(Integer, index=True)
    trigger: Mapped[str] = mapped_column(String(16), default="cron")
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default=RUN_RUNNING, index=True)
    found: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    queued: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    not_modified: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    instance: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class ScheduleSource(Base):
    """What the source looked like at the last run, so the next one asks only for news."""

    __tablename__ = "schedule_sources"

    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str | None] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    # Where an oldest-first source (a forum thread) continues: its last page seen.
    resume_url: Mapped[str | None] = mapped_column(Text)
    state: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    listed_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_new_item_at: Mapped[datetime | None] = mapped_column(DateTime)


ITEM_PENDING = "pending"   # seen, waiting for a run with room (max_items_per_run)
ITEM_QUEUED = "queued"     # a job was added for it
ITEM_SKIPPED = "skipped"   # outside the date range or content types: never queued
ITEM_FAILED = "failed"     # could not be queued (unsupported or refused URL)


class ScheduleItem(Base):
    """An entry a schedule has seen: the schedule's download archive."""

    __tablename__ = "schedule_items"
    __table_args__ = (
        UniqueConstraint("schedule_id", "item_key"),
        Index("ix_schedule_items_backlog", "schedule_id", "state", "published_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(String(512))
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(16))
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(16), default=ITEM_PENDING)
    job_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    discovered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(DateTime)
