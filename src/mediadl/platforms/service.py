"""/platforms: the registry with each platform's health, a live test, and downloads sent to
a platform on purpose (including the seed's shortcuts: a user's Instagram posts or stories,
a TikTok user, a forum thread)."""

from __future__ import annotations

import secrets
import shutil
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from mediadl.app_context import AppContext
from mediadl.core.clock import isoformat, utcnow
from mediadl.core.errors import BadRequest
from mediadl.db.models import Job, User
from mediadl.db.models.platforms import PlatformSetting, PlatformStatus
from mediadl.engines.base import EngineError
from mediadl.engines.registry import engine_named
from mediadl.jobs.isolated import run_isolated
from mediadl.media.service import PARSE_TIMEOUT_S, probe_options, probe_url
from mediadl.platforms.catalog import FORUM, INSTAGRAM, TIKTOK, Platform, listed_platforms
from mediadl.platforms.configuration import config_of
from mediadl.platforms.jobside import platform_setup
from mediadl.platforms.routing import Route, known_platform, route_to
from mediadl.platforms.schemas import (
    PlatformDownloadRequest,
    PlatformOut,
    PlatformTestOut,
    ShortcutRequest,
    StatusOut,
    ThreadShortcutRequest,
)
from mediadl.platforms.status import is_throttled, state_of
from mediadl.queue.service import enqueue_job
from mediadl.realtime.queue_news import added_events
from mediadl.security.policy import outbound_policy
from mediadl.security.quotas import refuse_over_queue_cap

SHORTCUT_URLS = {
    ("instagram", "posts"): "https://www.instagram.com/{username}/posts/",
    ("instagram", "stories"): "https://www.instagram.com/stories/{username}/",
    ("tiktok", "user"): "https://www.tiktok.com/@{username}",
}
SHORTCUT_PLATFORMS = {"instagram": INSTAGRAM, "tiktok": TIKTOK}


@dataclass(frozen=True)
class Download:
    """What to enqueue: a link, the route chosen for it, and the person's choices."""

    url: str
    route: Route
    quality: str | None = None
    priority: str = "normal"
    paused: bool = False
    options: dict[str, Any] | None = None


class PlatformService:
    def __init__(self, context: AppContext) -> None:
        self.context = context
        self.db = context.db
        self.settings = context.settings

    # -- reading ---------------------------------------------------------------------
    def list(self) -> list[PlatformOut]:
        with self.db.read() as session:
            settings = {row.name: row for row in session.scalars(select(PlatformSetting))}
            status = {row.name: row for row in session.scalars(select(PlatformStatus))}
        return [self._out(platform, settings.get(platform.name), status.get(platform.name))
                for platform in listed_platforms()]

    def get(self, name: str) -> PlatformOut:
        platform = known_platform(name)
        with self.db.read() as session:
            setting = session.get(PlatformSetting, platform.name)
            status = session.get(PlatformStatus, platform.name)
        return self._out(platform, setting, status)

    def _out(self, platform: Platform, setting: PlatformSetting | None,
             status: PlatformStatus | None) -> PlatformOut:
        config = config_of(platform, setting)
        return PlatformOut(
            name=platform.name, label=platform.label, description=platform.description,
            engine=platform.engine, engines=list(platform.engines), enabled=config.enabled,
            content_types=list(platform.content_types), examples=list(platform.examples),
            needs_cookies=platform.needs_cookies, cookies_note=platform.cookies_note,
            has_cookies=config.has_cookies, accepts_any_url=platform.accepts_any_url,
            shortcuts=list(platform.shortcuts), status=self._status(status))

    def _status(self, row: PlatformStatus | None) -> StatusOut:
        now = utcnow()
        row = row or PlatformStatus(error_count=0, success_total=0, failure_total=0,
                                    throttle_level=0)
        throttled = is_throttled(row, now)
        return StatusOut(
            state=state_of(row, self.settings, now),
            last_success_at=isoformat(row.last_success_at),
            last_failure_at=isoformat(row.last_failure_at), last_error=row.last_error,
            error_count=row.error_count, success_count=row.success_total,
            failure_count=row.failure_total, throttled=throttled,
            throttled_until=isoformat(row.throttled_until) if throttled else None,
            throttle_level=row.throttle_level,
            throttle_reason=row.throttle_reason if throttled else None)

    # -- testing ---------------------------------------------------------------------
    def test(self, name: str, url: str | None) -> PlatformTestOut:
        """Read a link of the platform now, with its cookies and proxy (nothing is
        downloaded, nothing is recorded): does it work from here, right now?"""
        platform = known_platform(name)
        link = url or platform.test_url
        if link is None:
            raise BadRequest(f"Give a link of {platform.label} to test with.")
        found = route_to(platform, link)
        started = time.monotonic()
        outcome = self._probe(found, link)
        return PlatformTestOut(platform=platform.name, url=link, engine=found.engine,
                               duration_ms=int((time.monotonic() - started) * 1000),
                               **outcome)

    def _probe(self, found: Route, url: str) -> dict[str, Any]:
        folder = self.settings.work_dir / f"test-{secrets.token_hex(6)}"
        try:
            with platform_setup(self.db, self.settings, found.platform.name, folder) as setup:
                result, engine = run_isolated(
                    probe_url, found.platform.name, engine_named(found.engine), url,
                    probe_options(self.settings, setup), timeout=PARSE_TIMEOUT_S,
                    outbound_policy=outbound_policy(self.settings))
        except EngineError as error:
            return {"ok": False, "detail": error.message}
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return {"ok": True, "detail": f"Read by {engine.name}.", "kind": result.kind,
                "title": result.title,
                "entry_count": result.entry_count if result.is_collection else None}

    # -- downloading -----------------------------------------------------------------
    def download(self, owner: User, name: str, request: PlatformDownloadRequest) -> Job:
        platform = known_platform(name)
        return self._enqueue(owner, Download(
            url=request.url, route=route_to(platform, request.url), quality=request.quality,
            priority=request.priority, paused=request.paused,
            options={**request.options.as_dict(), **selection(request.max_items,
                                                              request.date_from,
                                                              request.date_to)}))

    def user_shortcut(self, owner: User, name: str, kind: str,
                      request: ShortcutRequest) -> Job:
        platform = SHORTCUT_PLATFORMS[name]
        url = request.url or SHORTCUT_URLS[(name, kind)].format(username=request.username)
        return self._enqueue(owner, Download(
            url=url, route=route_to(platform, url), quality=request.quality,
            priority=request.priority,
            options=selection(request.max_items, request.date_from, request.date_to)))

    def thread(self, owner: User, request: ThreadShortcutRequest) -> Job:
        return self._enqueue(owner, Download(
            url=request.url, route=route_to(FORUM, request.url), priority=request.priority,
            options=selection(request.max_items, request.date_from, request.date_to)))

    def _enqueue(self, owner: User, download: Download) -> Job:
        with self.db.session() as session:
            refuse_over_queue_cap(session, self.settings, owner, adding=1)
            job = enqueue_job(session, self.settings, owner, download.url,
                              download.quality or "best", download.priority, download.paused,
                              download.options or {}, forced=download.route)
            events = added_events(session, [job])
        self.context.events.publish_all(events)
        self.context.wake_dispatcher()
        return job


def selection(max_items: int | None, date_from: Any, date_to: Any) -> dict[str, Any]:
    """max_items and the dates as the job row keeps them (dates as ISO text)."""
    picked: dict[str, Any] = {}
    if max_items:
        picked["max_items"] = max_items
    if date_from:
        picked["date_from"] = date_from.isoformat()
    if date_to:
        picked["date_to"] = date_to.isoformat()
    return picked

