"""Per-platform settings: what an admin chose, with the platform's defaults where nothing
was chosen. Proxies and cookies are sealed at rest (security.sealing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediadl.core.settings import Settings
from mediadl.db.models.platforms import PlatformSetting
from mediadl.platforms.catalog import Platform
from mediadl.platforms.cookies import CookieFile, open_cookies, seal_cookies
from mediadl.security.sealing import open_sealed, seal

PROXY_PURPOSE = "platform-proxy"


@dataclass(frozen=True)
class PlatformConfig:
    """One platform's effective settings (no secrets: those are opened where needed)."""

    name: str
    enabled: bool
    default_quality: str | None
    min_request_interval_s: float
    max_concurrent_jobs: int | None
    has_proxy: bool
    has_cookies: bool
    cookie_count: int
    cookie_domains: tuple[str, ...]
    cookies_updated_at: datetime | None


def config_of(platform: Platform, row: PlatformSetting | None) -> PlatformConfig:
    interval = row.min_request_interval_s if row is not None else None
    return PlatformConfig(
        name=platform.name, enabled=row.enabled if row is not None else True,
        default_quality=row.default_quality if row is not None else None,
        min_request_interval_s=(interval if interval is not None
                                else platform.default_min_interval_s),
        max_concurrent_jobs=row.max_concurrent_jobs if row is not None else None,
        has_proxy=bool(row is not None and row.proxy_sealed),
        has_cookies=bool(row is not None and row.cookies_sealed),
        cookie_count=row.cookie_count if row is not None and row.cookies_sealed else 0,
        cookie_domains=tuple(row.cookie_domains or ()) if row is not None else (),
        cookies_updated_at=row.cookies_updated_at if row is not None else None,
    )


def setting_rows(session: Session) -> dict[str, PlatformSetting]:
    return {row.name: row for row in session.scalars(select(PlatformSetting))}


def setting_row(session: Session, name: str) -> PlatformSetting:
    """The platform's row, created with every default on first change."""
    row = session.get(PlatformSetting, name)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = PlatformSetting(name=name, enabled=True, cookie_count=0, cookie_domains=[])
            session.add(row)
    except IntegrityError:
        row = session.get(PlatformSetting, name, populate_existing=True)
        assert row is not None
    return row


def store_proxy(row: PlatformSetting, settings: Settings, proxy: str | None) -> None:
    row.proxy_sealed = seal(settings, proxy.encode(), PROXY_PURPOSE) if proxy else None


def store_cookies(row: PlatformSetting, settings: Settings, cookies: CookieFile,
                  now: datetime) -> None:
    row.cookies_sealed = seal_cookies(settings, row.name, cookies)
    row.cookie_count = cookies.count
    row.cookie_domains = list(cookies.domains)
    row.cookies_updated_at = now


def forget_cookies(row: PlatformSetting, now: datetime) -> None:
    row.cookies_sealed = None
    row.cookie_count = 0
    row.cookie_domains = []
    row.cookies_updated_at = now


def proxy_of(settings: Settings, row: PlatformSetting | None) -> str | None:
    if row is None or not row.proxy_sealed:
        return None
    return open_sealed(settings, row.proxy_sealed, PROXY_PURPOSE).decode()


def cookies_of(settings: Settings, row: PlatformSetting | None) -> bytes | None:
    if row is None or not row.cookies_sealed:
        return None
    return open_cookies(settings, row.name, row.cookies_sealed)
