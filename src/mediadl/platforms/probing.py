"""Probing with the platform's fallback: a generic page yt-dlp cannot read may still be a
page of images (the forum engine reads those), and a thread-shaped link without images may
be a video page after all."""

from __future__ import annotations

import re

from mediadl.engines.base import Engine, EngineError, FetchOptions, ProbeResult
from mediadl.engines.registry import engine_named
from mediadl.platforms.catalog import platform_named

# "Nothing for me here", as opposed to "there is something, but it failed" (a deleted
# video, a 404): only the first sends the link on to the fallback engine.
NOTHING_FOUND = re.compile(r"unsupported url|no image links|no (?:video|media) (?:formats )?"
                           r"found|nothing (?:was )?(?:found|downloaded)", re.IGNORECASE)


def fallback_engine(platform_name: str, engine: Engine, error: EngineError) -> Engine | None:
    """The engine to try after ``engine`` failed for good (a transient failure is retried
    with the same engine instead)."""
    platform = platform_named(platform_name)
    name = platform.fallback_engine if platform is not None else None
    if error.transient or name is None or name == engine.name:
        return None
    if not NOTHING_FOUND.search(error.message):
        return None
    return engine_named(name)


def probe_with_fallback(platform_name: str, engine: Engine, url: str,
                        options: FetchOptions) -> tuple[ProbeResult, Engine]:
    """(what is behind ``url``, the engine that read it). When the fallback fails too, the
    first engine's error is the one reported: it is about what the person asked for."""
    try:
        return engine.probe(url, options), engine
    except EngineError as error:
        fallback = fallback_engine(platform_name, engine, error)
        if fallback is None:
            raise
        try:
            return fallback.probe(url, options), fallback
        except EngineError:
            raise error from None
