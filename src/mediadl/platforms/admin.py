"""/settings/platforms: what an admin chooses per platform. One transaction per call."""

from __future__ import annotations

from mediadl.core.clock import isoformat, utcnow
from mediadl.core.settings import Settings
from mediadl.db.models.platforms import PlatformSetting
from mediadl.db.session import Database
from mediadl.platforms.blocking import PER_SITE_PLATFORMS
from mediadl.platforms.catalog import Platform, listed_platforms
from mediadl.platforms.configuration import (
    config_of,
    forget_cookies,
    proxy_of,
    setting_row,
    setting_rows,
    store_cookies,
    store_proxy,
)
from mediadl.platforms.cookies import CookieFile, parse_cookies_txt
from mediadl.platforms.proxies import masked
from mediadl.platforms.routing import known_platform
from mediadl.platforms.schemas import CookiesOut, PlatformSettingsOut, PlatformSettingsPatch
from mediadl.security.sealing import SealError

UNREADABLE_PROXY = "(saved under another secret key: set it again)"


class PlatformSettingsService:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def list(self, show_proxy: bool) -> list[PlatformSettingsOut]:
        with self.db.read() as session:
            rows = setting_rows(session)
        return [self._out(platform, rows.get(platform.name), show_proxy)
                for platform in listed_platforms()]

    def get(self, name: str, show_proxy: bool) -> PlatformSettingsOut:
        platform = known_platform(name)
        with self.db.read() as session:
            row = session.get(PlatformSetting, platform.name)
        return self._out(platform, row, show_proxy)

    def update(self, name: str, patch: PlatformSettingsPatch) -> PlatformSettingsOut:
        platform = known_platform(name)
        with self.db.session() as session:
            row = setting_row(session, platform.name)
            apply_patch(row, patch, self.settings)
            session.flush()
        return self._out(platform, row, show_proxy=True)

    def set_cookies(self, name: str, raw: bytes) -> CookiesOut:
        platform = known_platform(name)
        cookies = parse_cookies_txt(raw)
        with self.db.session() as session:
            row = setting_row(session, platform.name)
            store_cookies(row, self.settings, cookies, utcnow())
        return cookies_out(platform, row, cookies)

    def clear_cookies(self, name: str) -> None:
        platform = known_platform(name)
        with self.db.session() as session:
            forget_cookies(setting_row(session, platform.name), utcnow())

    def _out(self, platform: Platform, row: PlatformSetting | None,
             show_proxy: bool) -> PlatformSettingsOut:
        config = config_of(platform, row)
        return PlatformSettingsOut(
            name=platform.name, label=platform.label, enabled=config.enabled,
            default_quality=config.default_quality,
            min_request_interval_s=config.min_request_interval_s,
            max_concurrent_jobs=config.max_concurrent_jobs,
            limit_per_site=platform.name in PER_SITE_PLATFORMS,
            proxy=shown_proxy(self.settings, row) if show_proxy else None,
            has_proxy=config.has_proxy, has_cookies=config.has_cookies,
            cookie_count=config.cookie_count, cookie_domains=list(config.cookie_domains),
            cookies_updated_at=isoformat(config.cookies_updated_at),
            needs_cookies=platform.needs_cookies, cookies_note=platform.cookies_note)


def apply_patch(row: PlatformSetting, patch: PlatformSettingsPatch, settings: Settings) -> None:
    """Only the fields the request named; ``null`` resets one to the platform's default."""
    given = patch.model_fields_set
    if "enabled" in given:
        row.enabled = True if patch.enabled is None else patch.enabled
    if "default_quality" in given:
        row.default_quality = patch.default_quality
    if "min_request_interval_s" in given:
        row.min_request_interval_s = patch.min_request_interval_s
    if "max_concurrent_jobs" in given:
        row.max_concurrent_jobs = patch.max_concurrent_jobs
    if "proxy" in given:
        store_proxy(row, settings, patch.proxy)


def cookies_out(platform: Platform, row: PlatformSetting, cookies: CookieFile) -> CookiesOut:
    matches = (any(platform.hosts.search(domain) for domain in cookies.domains)
               if platform.hosts is not None else None)
    return CookiesOut(platform=platform.name, has_cookies=True, cookie_count=cookies.count,
                      cookie_domains=list(cookies.domains),
                      cookies_updated_at=isoformat(row.cookies_updated_at),
                      matches_platform=matches)


def shown_proxy(settings: Settings, row: PlatformSetting | None) -> str | None:
    """The proxy with its password masked; a proxy sealed under an older secret key
    cannot be opened any more and says so."""
    try:
        return masked(proxy_of(settings, row))
    except SealError:
        return UNREADABLE_PROXY
