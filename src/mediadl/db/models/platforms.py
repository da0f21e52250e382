"""Tables of the platforms feature: per-platform settings, live status and throttle, the
download archive, and what a watched forum thread looked like last time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mediadl.core.clock import utcnow
from mediadl.db.base import Base, JSONType


class PlatformSetting(Base):
    """What an admin chose for one platform. No row means every default."""

    __tablename__ = "platform_settings"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    default_quality: Mapped[str | None] = mapped_column(String(16))
    min_request_interval_s: Mapped[float | None] = mapped_column(Float)
    max_concurrent_jobs: Mapped[int | None] = mapped_column(Integer)
    # Both sealed (security.sealing): a proxy URL may carry a password, cookies a login.
    proxy_sealed: Mapped[str | None] = mapped_column(Text)
    cookies_sealed: Mapped[str | None] = mapped_column(Text)
    cookie_count: Mapped[int] = mapped_column(Integer, default=0)
    cookie_domains: Mapped[list[str]] = mapped_column(JSONType, default=list)
    cookies_updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class PlatformStatus(Base):
    """Health from real job outcomes, and the throttle that slows a platform down after it
    answered "too many requests" or asked to prove we are not a bot."""

    __tablename__ = "platform_status"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Failures since the last success: what the ok / warning / error state is made of.
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    success_total: Mapped[int] = mapped_column(Integer, default=0)
    failure_total: Mapped[int] = mapped_column(Integer, default=0)
    throttle_level: Mapped[int] = mapped_column(Integer, default=0)
    throttled_until: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    throttle_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class ArchivedItem(Base):
    """An item a user already has: a video id, an Instagram post, a forum image link.

    Per owner, because each user has a library of their own: what Alice downloaded must
    not make Bob's download a no-op."""

    __tablename__ = "download_archive"
    __table_args__ = (UniqueConstraint("owner_id", "platform", "media_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(32))
    media_id: Mapped[str] = mapped_column(String(512))
    download_id: Mapped[int | None] = mapped_column(
        ForeignKey("downloads.id", ondelete="SET NULL"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ForumThread(Base):
    """Where a thread was read up to, so the next run starts at its last page."""

    __tablename__ = "forum_threads"
    __table_args__ = (
        UniqueConstraint("owner_id", "url_key"),
        Index("ix_forum_threads_last_new_at", "last_new_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    url_key: Mapped[str] = mapped_column(String(64))  # sha256 of the thread's first URL
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    last_page_url: Mapped[str | None] = mapped_column(Text)
    last_post_id: Mapped[str | None] = mapped_column(String(64))
    pages_seen: Mapped[int] = mapped_column(Integer, default=0)
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTime)
    # When a run last found an item it had not seen: the scheduler expires threads by it.
    last_new_at: Mapped[datetime | None] = mapped_column(DateTime)
    extra: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SkippedItem(Base):
    """A job that found its item already in the library: the download it stands for, so
    the job lists it among its downloads instead of storing the file twice."""

    __tablename__ = "skipped_items"
    __table_args__ = (UniqueConstraint("job_id", "download_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    download_id: Mapped[int] = mapped_column(ForeignKey("downloads.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
