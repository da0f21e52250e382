"""A link -> its platform and the engine that reads it. Pure: no network, no database."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from mediadl.core.errors import BadRequest, NotFound, UnsupportedURL
from mediadl.core.hosts import host_of
from mediadl.engines.registry import engine_for_url
from mediadl.platforms.catalog import GENERIC, PLATFORMS, Platform, platform_named


@dataclass(frozen=True)
class Route:
    platform: Platform
    engine: str
    content_type: str | None = None


def route(url: str) -> Route:
    """The platform and engine for ``url``; UnsupportedURL when nothing can read it."""
    host = host_of(url)
    for platform in _platforms_for(host):
        found = _route_of(platform, url)
        if found is not None:
            return found
    return _generic_route(url)


def route_to(platform: Platform, url: str) -> Route:
    """``url`` sent to ``platform`` on purpose: its own route when the link belongs to it,
    the platform's default engine when it takes links of any host, else a BadRequest."""
    found = route(url)
    if found.platform.name == platform.name:
        return found
    if platform.accepts_any_url:
        return Route(platform, platform.engine, platform.content_types[0])
    raise BadRequest(f"This link belongs to {found.platform.label}, not {platform.label}.")


def platform_for_url(url: str) -> str:
    return route(url).platform.name


def known_platform(name: str) -> Platform:
    """A listed platform by name; NotFound otherwise."""
    platform = platform_named(name)
    if platform is None or platform.hidden:
        raise NotFound(f"There is no platform named '{name[:40]}'.")
    return platform


@lru_cache(maxsize=1024)
def _platforms_for(host: str) -> tuple[Platform, ...]:
    """The platforms, in order, that may take a link of ``host``: a batch of ten thousand
    links from one site tests the hosts' patterns once, not ten thousand times."""
    return tuple(p for p in PLATFORMS if p.hosts is None or p.hosts.search(host))


def route_within(platform: Platform, url: str) -> Route | None:
    """The route ``platform`` would give ``url`` if it came first in the catalogue."""
    host = host_of(url)
    if platform.hosts is not None and not platform.hosts.search(host):
        return None
    return _route_of(platform, url)


def _route_of(platform: Platform, url: str) -> Route | None:
    """The route ``platform`` gives ``url``, its host already known to be the platform's."""
    for candidate in platform.routes:
        if candidate.pattern.search(url):
            return Route(platform, candidate.engine, candidate.content_type)
    # A host-less platform (forum) only takes the URL shapes its routes name.
    if platform.hosts is None:
        return None
    return Route(platform, platform.engine, platform.content_types[0])


def _generic_route(url: str) -> Route:
    engine = engine_for_url(url)
    if engine is None:
        raise UnsupportedURL("No engine can read this URL.")
    return Route(GENERIC, engine.name, None)
