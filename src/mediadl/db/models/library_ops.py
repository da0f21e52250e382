"""Tables of running the library at scale: settings changed at run time, per-user
preferences, statistics roll-ups, image fingerprints, storage pauses and notifications.

The roll-up tables are kept exact by database triggers on ``downloads`` (see
``db.dialect.rollup_ddl``), so statistics read a few hundred rows instead of a million.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from mediadl.core.clock import utcnow
from mediadl.db.base import Base, JSONType
from mediadl.db.models.core import Download, Job


class RuntimeSetting(Base):
    """One setting changed through the API; its key is the dotted path in ``Settings``."""

    __tablename__ = "runtime_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class UserPreference(Base):
    __tablename__ = "user_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class LibraryDaily(Base):
    """Downloads and bytes per UTC day, owner and platform (kept by triggers)."""

    __tablename__ = "library_daily"
    __table_args__ = (Index("ix_library_daily_owner_day", "owner_id", "day"),)

    # Key order: a timeline groups by day and platform straight off the primary key.
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    download_count: Mapped[int] = mapped_column(BigInteger, default=0)
    byte_count: Mapped[int] = mapped_column(BigInteger, default=0)


class LibraryTotal(Base):
    """Downloads and bytes per owner, platform and kind, all time (kept by triggers)."""

    __tablename__ = "library_totals"

    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    download_count: Mapped[int] = mapped_column(BigInteger, default=0)
    byte_count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_at: Mapped[datetime | None] = mapped_column(DateTime)


class JobCount(Base):
    """Jobs per owner, platform and status (kept by triggers on jobs)."""

    __tablename__ = "job_counts"

    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    job_count: Mapped[int] = mapped_column(BigInteger, default=0)


class LibrarySource(Base):
    """Downloads and bytes per owner, platform and source (kept by triggers); '' when a
    download names no source. ``last_at`` is the newest download ever added (a delete does
    not move it back)."""

    __tablename__ = "library_sources"
    # Top sources of everyone: grouped straight off this index, without reading rows.
    __table_args__ = (Index("ix_library_sources_platform_source", "platform", "source",
                            "download_count", "byte_count", "last_at"),)

    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    source: Mapped[str] = mapped_column(String(255), primary_key=True)
    download_count: Mapped[int] = mapped_column(BigInteger, default=0)
    byte_count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_at: Mapped[datetime | None] = mapped_column(DateTime)


class DownloadFingerprint(Base):
    """A 64-bit difference hash of a picture: re-encoded or resized copies differ in a few
    bits only. Stored signed, as databases have no unsigned 64-bit integer."""

    __tablename__ = "download_fingerprints"

    download_id: Mapped[int] = mapped_column(ForeignKey("downloads.id", ondelete="CASCADE"),
                                             primary_key=True)
    owner_id: Mapped[int] = mapped_column(Integer, index=True)
    dhash: Mapped[int] = mapped_column(BigInteger)


class StoragePause(Base):
    """A job the storage guard paused, and why: only these are resumed by the guard."""

    __tablename__ = "storage_pauses"

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"),
                                        primary_key=True)
    reason: Mapped[str] = mapped_column(String(16))  # "disk" or "quota"
    paused_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class NotificationChannel(Base):
    """Where a user's notifications go: an Apprise URL, sealed because it holds
    credentials (SMTP passwords, bot tokens, webhook secrets)."""

    __tablename__ = "notification_channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                          index=True)
    name: Mapped[str] = mapped_column(String(100))
    sealed_url: Mapped[str] = mapped_column(Text)
    url_preview: Mapped[str] = mapped_column(String(255))
    events: Mapped[list[str]] = mapped_column(JSONType, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    last_sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class NotificationEvent(Base):
    """Something worth telling a user; ``key`` makes each happening recorded once even when
    several processes notice it."""

    __tablename__ = "notification_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    event: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                                 index=True)
    level: Mapped[str] = mapped_column(String(16), default="info")
    title: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class NotificationDelivery(Base):
    """The outbox: one event for one channel, sent at least once, retried with backoff."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (Index("ix_notification_deliveries_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("notification_events.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("notification_channels.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)


# Indexes on the core tables that statistics, the library page at scale and the outcome
# feed need. Declared here, beside their migration (0004), so the models know them too.
Index("ix_downloads_created", Download.created_at)
Index("ix_downloads_platform_created", Download.platform, Download.created_at)
Index("ix_downloads_kind_created", Download.kind, Download.created_at)
Index("ix_downloads_owner_kind_created", Download.owner_id, Download.kind, Download.created_at)
Index("ix_downloads_owner_platform_kind", Download.owner_id, Download.platform, Download.kind,
      Download.created_at)
Index("ix_downloads_size", Download.size)
Index("ix_downloads_owner_sha256", Download.owner_id, Download.sha256)
Index("ix_jobs_order", Job.priority_rank, Job.position, Job.id)
Index("ix_jobs_owner_order", Job.owner_id, Job.priority_rank, Job.position)
Index("ix_jobs_finished", Job.finished_at, Job.status)
Index("ix_jobs_owner_finished", Job.owner_id, Job.finished_at, Job.status)
Index("ix_jobs_updated", Job.updated_at)
