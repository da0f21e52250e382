"""Presets → engine options. The one place a job's stored choices become FetchOptions."""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

from mediadl.core.settings import Settings
from mediadl.db.models import Job
from mediadl.engines.base import FetchOptions
from mediadl.platforms.jobside import JobSetup, shared_state_dir
from mediadl.security.outbound import guarded_command
from mediadl.security.policy import outbound_policy

# The only keys a person may set; anything else was refused at the API already, and is
# dropped here again so that a row written by an older version cannot smuggle one in.
PRESET_KEYS = ("audio_format", "container", "subtitles", "embed_metadata", "embed_thumbnail")


def fetch_options_for(job: Job, settings: Settings,
                      setup: JobSetup | None = None) -> FetchOptions:
    presets: dict[str, Any] = {k: v for k, v in (job.options or {}).items() if k in PRESET_KEYS}
    return FetchOptions(
        quality=job.quality,
        fragment_concurrency=settings.downloads.fragment_concurrency,
        socket_timeout=settings.downloads.socket_timeout_seconds,
        retries=settings.downloads.retries,
        allow_private_networks=settings.allow_private_networks,
        playlist_limit=collection_limit(job.options or {}, settings),
        per_host_connections=settings.downloads.per_host_connections,
        speed_limit_bps=settings.downloads.per_host_speed_limit or None,
        global_speed_limit_bps=settings.downloads.global_speed_limit or None,
        # Every job process of this machine shares its speed-limit buckets through here.
        shared_state_dir=shared_state_dir(settings),
        use_aria2c=settings.downloads.use_aria2c,
        guarded_python=guarded_python(settings),
        collection_entry=job.parent_id is not None,
        **presets,
        **selection_of(job.options or {}),
        **platform_options(setup),
    )


def collection_limit(options: dict[str, Any], settings: Settings) -> int:
    """Entries a collection is expanded into: the job's max_items within the setting."""
    limit = settings.jobs.max_collection_entries
    wanted = options.get("max_items")
    return min(limit, wanted) if isinstance(wanted, int) and wanted > 0 else limit


def selection_of(options: dict[str, Any]) -> dict[str, Any]:
    """max_items / date_from / date_to, set through the platform shortcuts (validated
    there); the dates are stored as ISO text."""
    picked: dict[str, Any] = {}
    if isinstance(options.get("max_items"), int) and options["max_items"] > 0:
        picked["max_items"] = options["max_items"]
    for key in ("date_from", "date_to"):
        value = options.get(key)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                picked[key] = date.fromisoformat(value)
    return picked


def platform_options(setup: JobSetup | None) -> dict[str, Any]:
    """What an admin set for the job's platform (cookies as the job's own copy)."""
    if setup is None:
        return {}
    return {"platform": setup.platform, "cookie_file": setup.cookie_file,
            "proxy": setup.proxy, "min_request_interval_s": setup.min_request_interval_s,
            "resume_from_url": setup.resume_from_url}


def guarded_python(settings: Settings) -> tuple[str, ...] | None:
    """How an engine starts a separate Python program (gallery-dl) under the outbound
    guard: the guard's command up to its "--"; None when the guard is off."""
    policy = outbound_policy(settings)
    if policy is None:
        return None
    return tuple(guarded_command(policy, "", [])[:-1])
