"""Request and response shapes of /platforms and /settings/platforms."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from mediadl.core.schemas import RequestModel, ResponseModel
from mediadl.engines.base import Quality
from mediadl.jobs.states import Priority
from mediadl.media.urls import validate_media_url
from mediadl.platforms.proxies import check_proxy
from mediadl.queue.schemas import JobOptions

MediaURL = Annotated[str, AfterValidator(validate_media_url)]
State = Literal["ok", "warning", "error"]
# Instagram and TikTok user names: letters, digits, dot, underscore (TikTok: also '-').
USERNAME = re.compile(r"^@?[A-Za-z0-9._-]{1,64}$")


def _username(value: str) -> str:
    if not USERNAME.match(value):
        raise ValueError("a user name has letters, digits, '.', '_' or '-' only")
    return value.lstrip("@")


Username = Annotated[str, AfterValidator(_username)]


class StatusOut(ResponseModel):
    state: State
    last_success_at: str | None
    last_failure_at: str | None
    last_error: str | None
    error_count: int
    success_count: int
    failure_count: int
    throttled: bool
    throttled_until: str | None
    throttle_level: int
    throttle_reason: str | None


class PlatformOut(ResponseModel):
    name: str
    label: str
    description: str
    engine: str
    engines: list[str]
    enabled: bool
    content_types: list[str]
    examples: list[str]
    needs_cookies: bool
    cookies_note: str
    has_cookies: bool
    accepts_any_url: bool
    shortcuts: list[str]
    status: StatusOut


class PlatformSettingsOut(ResponseModel):
    name: str
    label: str
    enabled: bool
    default_quality: str | None
    min_request_interval_s: float
    max_concurrent_jobs: int | None
    limit_per_site: bool  # max_concurrent_jobs counts each site apart (generic, forum, ...)
    proxy: str | None  # the password masked; admins only
    has_proxy: bool
    has_cookies: bool
    cookie_count: int
    cookie_domains: list[str]
    cookies_updated_at: str | None
    needs_cookies: bool
    cookies_note: str


class PlatformSettingsPatch(RequestModel):
    enabled: bool | None = None
    default_quality: Quality | None = None
    min_request_interval_s: float | None = Field(None, ge=0, le=3600)
    max_concurrent_jobs: int | None = Field(None, ge=1, le=64)
    proxy: str | None = Field(None, max_length=2048)

    @model_validator(mode="after")
    def _proxy_is_a_proxy(self) -> PlatformSettingsPatch:
        if self.proxy:
            check_proxy(self.proxy)
        return self


class CookiesOut(ResponseModel):
    platform: str
    has_cookies: bool
    cookie_count: int
    cookie_domains: list[str]
    cookies_updated_at: str | None
    matches_platform: bool | None = None  # does any cookie belong to the platform's hosts


class PlatformDownloadRequest(RequestModel):
    url: MediaURL
    quality: Quality | None = None
    priority: Priority = "normal"
    paused: bool = False
    options: JobOptions = Field(default_factory=JobOptions)
    max_items: int | None = Field(None, ge=1, le=100_000)
    date_from: date | None = None
    date_to: date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> PlatformDownloadRequest:
        _check_dates(self.date_from, self.date_to)
        return self


class ShortcutRequest(RequestModel):
    """``username`` or ``url`` (of that user's profile): one of them."""

    username: Username | None = None
    url: MediaURL | None = None
    max_items: int | None = Field(None, ge=1, le=100_000)
    date_from: date | None = None
    date_to: date | None = None
    quality: Quality | None = None
    priority: Priority = "normal"

    @model_validator(mode="after")
    def _one_source(self) -> ShortcutRequest:
        if (self.username is None) == (self.url is None):
            raise ValueError("give either username or url")
        _check_dates(self.date_from, self.date_to)
        return self


class ThreadShortcutRequest(RequestModel):
    """A thread is named by its link (no user name); the dates pick posts by their date
    where the forum's pages show one."""

    url: MediaURL
    max_items: int | None = Field(None, ge=1, le=100_000)
    date_from: date | None = None
    date_to: date | None = None
    priority: Priority = "normal"

    @model_validator(mode="after")
    def _dates_in_order(self) -> ThreadShortcutRequest:
        _check_dates(self.date_from, self.date_to)
        return self


class PlatformTestRequest(RequestModel):
    url: MediaURL | None = None


class PlatformTestOut(ResponseModel):
    platform: str
    url: str
    engine: str
    ok: bool
    detail: str
    kind: str | None = None
    title: str | None = None
    entry_count: int | None = None
    duration_ms: int


def _check_dates(first: date | None, last: date | None) -> None:
    if first and last and first > last:
        raise ValueError("date_from is after date_to")
