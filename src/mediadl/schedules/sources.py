"""What a schedule's URL is (platform, host, engine) and how it is listed.

Listing runs in a throw-away process under the outbound guard (``run_isolated``): engines
never run in the server's threads. An engine with the ``list_entries`` capability lists
only what is new (a feed with a conditional GET, a channel newest first up to the first
known entries); any other engine is probed, starting where the last run stopped when it
can resume (a forum thread from its last page), and its entries are compared with what the
schedule has seen. A page the engine cannot read goes to the platform's fallback engine,
as a download would.

A schedule whose content types name parts of a profile (Instagram stories and reels, a
YouTube channel's shorts) lists each part; their listings are merged into one, and each
part keeps its own state under ``parts`` in the source's state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from mediadl.core.settings import Settings
from mediadl.engines.base import (
    Engine,
    EngineError,
    Entry,
    FetchOptions,
    Listing,
    ListRequest,
    ProbeResult,
    lister_of,
)
from mediadl.engines.registry import engine_named
from mediadl.jobs.isolated import run_isolated
from mediadl.media.service import probe_options
from mediadl.platforms.probing import fallback_engine
from mediadl.platforms.routing import route
from mediadl.security.policy import outbound_policy


@dataclass(frozen=True)
class SourceKind:
    platform: str
    host: str
    engine: str


def identify(url: str) -> SourceKind:
    """UnsupportedURL when no engine can read ``url``."""
    found = route(url)
    host = (urlsplit(url).hostname or "").lower()
    return SourceKind(platform=found.platform.name, host=host[:255], engine=found.engine)


@dataclass(frozen=True)
class ListingTask:
    """Everything the listing process needs; plain data, so it crosses the process pipe."""

    source: SourceKind
    url: str
    options: FetchOptions
    request: ListRequest
    # The parts of the profile to list instead of ``url`` (content types), when any.
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Listed:
    listing: Listing
    engine: str  # the engine that read the source: its entries are downloaded with it


def list_source(source: SourceKind, url: str, options: FetchOptions,
                request: ListRequest) -> Listed:
    """Runs in the listing process."""
    engine = engine_named(source.engine)
    try:
        return Listed(list_with(engine, url, options, request), engine.name)
    except EngineError as error:
        fallback = fallback_engine(source.platform, engine, error)
        if fallback is None:
            raise
        try:
            return Listed(list_with(fallback, url, options, request), fallback.name)
        except EngineError:
            raise error from None


def list_parts(source: SourceKind, url: str, options: FetchOptions, request: ListRequest,
               parts: tuple[str, ...]) -> Listed:
    """Runs in the listing process: the link itself, or each part of the profile."""
    if not parts:
        return list_source(source, url, options, request)
    if len(parts) == 1:
        return list_source(identify(parts[0]), parts[0], options, request)
    states = request.state.get("parts")
    states = states if isinstance(states, dict) else {}
    listed = [list_source(identify(part), part, options,
                          replace(request, etag=None, last_modified=None, resume_url=None,
                                  state=dict(states.get(part) or {})))
              for part in parts]
    return merged(listed, parts)


def merged(listed: list[Listed], parts: tuple[str, ...]) -> Listed:
    """One listing of several parts: their new entries (each once), each part's state."""
    first = listed[0].listing
    entries = list({_key(entry): entry for one in listed
                    for entry in one.listing.entries}.values())
    state = {"parts": {part: one.listing.state for part, one in zip(parts, listed, strict=True)}}
    listing = Listing(kind=first.kind, entries=entries, title=first.title, state=state,
                      found=sum(one.listing.found for one in listed),
                      complete=all(one.listing.complete for one in listed))
    return Listed(listing, listed[0].engine)


def list_with(engine: Engine, url: str, options: FetchOptions,
              request: ListRequest) -> Listing:
    lister = lister_of(engine)
    if lister is not None:
        return lister.list_entries(url, options, request)
    resumable = options.model_copy(update={"playlist_limit": request.max_entries,
                                           "resume_from_url": request.resume_url})
    return listing_from_probe(engine.probe(url, resumable), request)


def listing_from_probe(probe: ProbeResult, request: ListRequest) -> Listing:
    state = json_scalars(probe.metadata)
    resume = state.get("last_page_url") if isinstance(state.get("last_page_url"), str) else None
    if probe.is_collection:
        entries = [entry for entry in probe.entries if _key(entry) not in request.known_keys]
        return Listing(kind=probe.kind, entries=entries, found=len(probe.entries),
                       title=probe.title, complete=len(probe.entries) < request.max_entries,
                       resume_url=resume, state=state)
    single = Entry(url=probe.url, title=probe.title, duration=probe.duration,
                   key=probe.media_id or probe.url, kind=probe.kind)
    fresh = [] if _key(single) in request.known_keys else [single]
    return Listing(kind=probe.kind, entries=fresh, found=1, title=probe.title, complete=True,
                   state=state)


def json_scalars(metadata: dict[str, Any]) -> dict[str, Any]:
    """What of an engine's metadata can be stored as the source's state."""
    return {key: value for key, value in metadata.items()
            if isinstance(value, (str, int, float, bool)) or value is None}


def _key(entry: Entry) -> str:
    return (entry.key or entry.url)[:512]


def listing_options(settings: Settings, source: SourceKind) -> FetchOptions:
    return probe_options(settings).model_copy(update={"platform": source.platform})


def list_in_process(settings: Settings, task: ListingTask) -> Listed:
    """The listing, in a process of its own with the run's deadline."""
    listed: Listed = run_isolated(
        list_parts, task.source, task.url, task.options, task.request, task.parts,
        timeout=settings.scheduler.run_timeout_seconds,
        outbound_policy=outbound_policy(settings))
    return listed
