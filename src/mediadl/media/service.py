"""Parse: look at a link before downloading it."""

from __future__ import annotations

import secrets
import shutil
from dataclasses import asdict

from mediadl.core.errors import BadRequest
from mediadl.core.settings import Settings
from mediadl.db.session import Database
from mediadl.engines.base import Engine, EngineError, FetchOptions, ProbeResult
from mediadl.engines.registry import engine_named
from mediadl.jobs.isolated import run_isolated
from mediadl.jobs.options import guarded_python
from mediadl.media.schemas import EntryOut, FormatOut, ParseOut
from mediadl.platforms.jobside import JobSetup, platform_setup
from mediadl.platforms.probing import probe_with_fallback
from mediadl.platforms.routing import Route
from mediadl.platforms.rules import PlatformRules
from mediadl.security.policy import outbound_policy, refuse_unsafe_url

PARSE_TIMEOUT_S = 90.0
ENTRIES_SHOWN = 50


def probe_options(settings: Settings, setup: JobSetup | None = None) -> FetchOptions:
    platform = {} if setup is None else {
        "platform": setup.platform, "cookie_file": setup.cookie_file, "proxy": setup.proxy,
        "min_request_interval_s": setup.min_request_interval_s}
    return FetchOptions(socket_timeout=settings.downloads.socket_timeout_seconds,
                        retries=min(settings.downloads.retries, 2),
                        allow_private_networks=settings.allow_private_networks,
                        guarded_python=guarded_python(settings), **platform)


def probe_url(platform: str, engine: Engine, url: str,
              options: FetchOptions) -> tuple[ProbeResult, Engine]:
    return probe_with_fallback(platform, engine, url, options)


def parse_url(settings: Settings, url: str, db: Database | None = None) -> ParseOut:
    """What is behind ``url``. With ``db`` the platform's settings apply (a disabled
    platform is refused; its cookies and proxy are used)."""
    refuse_unsafe_url(settings, url)
    rules = PlatformRules.load_from(db) if db is not None else PlatformRules()
    found = rules.route(url)
    if db is None:
        return _probe(settings, found, url, probe_options(settings))
    folder = settings.work_dir / f"parse-{secrets.token_hex(6)}"
    try:
        with platform_setup(db, settings, found.platform.name, folder) as setup:
            return _probe(settings, found, url, probe_options(settings, setup))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _probe(settings: Settings, found: Route, url: str, options: FetchOptions) -> ParseOut:
    try:
        result, engine = run_isolated(probe_url, found.platform.name,
                                      engine_named(found.engine), url, options,
                                      timeout=PARSE_TIMEOUT_S,
                                      outbound_policy=outbound_policy(settings))
    except EngineError as error:
        raise BadRequest(f"This link cannot be read: {error.message}") from None
    return _parse_out(result, engine.name, url, found.platform.name)


def _parse_out(result: ProbeResult, engine_name: str, url: str, platform: str) -> ParseOut:
    return ParseOut(
        url=url, platform=platform, engine=engine_name, kind=result.kind,
        title=result.title, uploader=result.uploader, duration=result.duration,
        thumbnail=result.thumbnail,
        entry_count=result.entry_count if result.is_collection else None,
        formats=[FormatOut(**asdict(fmt)) for fmt in result.formats],
        qualities=result.qualities,
        entries=[EntryOut(url=e.url, title=e.title, duration=e.duration)
                 for e in result.entries[:ENTRIES_SHOWN]],
        description=result.description, metadata=result.metadata,
    )
