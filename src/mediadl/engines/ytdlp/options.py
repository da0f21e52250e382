"""FetchOptions -> yt-dlp params. A closed mapping: nothing from a request reaches yt-dlp.

Quality presets (``QUALITY_TABLE``)
-----------------------------------
``best``
    ``bv*+ba/b``: the best video (merged with the best audio when separate), else the
    best single file.
``2160`` … ``360`` (a ceiling)
    ``bv*+ba/b`` with ``format_sort = ["res:<h>"]``. yt-dlp then prefers the largest
    resolution *at or below* the ceiling and, when the source has nothing that small,
    the *smallest* one above it. That is what people expect from "720p": never more
    than asked for when it exists, and a download rather than an error when it does not
    (someone picking 360 to save bandwidth wants the lightest file, not the 4K one).
    ``res`` is the smaller side of the picture, so a portrait 720x1280 video counts
    as 720p; a ``[height<=720]`` filter would wrongly push it to the 360x640 variant.
``audio``
    ``ba/b`` (the best audio-only stream, else the best file) + ``FFmpegExtractAudio``.
    ``audio_format="best"`` keeps the original codec (no re-encode); other values convert.

Container
---------
Nothing is ever re-encoded; a container is only chosen where the streams fit in it.

``auto``
    Merges into mp4 when the codecs allow it, else webm, else mkv. Single files keep
    their container.
``mp4`` / ``mkv``
    Merges into it and remuxes single-file downloads into it (both take h264, hevc, av1,
    vp9, aac and opus without re-encoding), so the file always gets that extension.
``webm``
    Merges into webm when the codecs allow it, else mkv; single files are not remuxed,
    because webm only takes VP8/VP9/AV1 + Vorbis/Opus. So "webm" means "webm if possible".

With ``embed_thumbnail`` webm is never produced (it cannot carry a cover): merges skip it
and a single webm file is remuxed into mkv, as the yt-dlp CLI does.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from yt_dlp.utils import DateRange

from mediadl.engines.base import QUALITIES, FetchOptions

LOGGER_NAME = "mediadl.engines.ytdlp"
VIDEO_FORMAT = "bv*+ba/b"
AUDIO_FORMAT = "ba/b"
OUTPUT_TEMPLATE = "%(id).80B.%(ext)s"
MERGE_FORMATS = {"auto": "mp4/webm/mkv", "mp4": "mp4", "mkv": "mkv", "webm": "webm/mkv"}
REMUX_CONTAINERS = frozenset({"mp4", "mkv"})
WEBM_TO_MKV = "webm>mkv"  # yt-dlp's remux rule syntax: only webm sources, into mkv
SUBTITLE_LANGUAGES = ["all", "-live_chat"]
FRAGMENT_BUFFER_BYTES = 256 * 1024  # first read size; yt-dlp grows it while reads fill it


def format_sort_for(quality: str) -> list[str]:
    """The sort order for a preset: ``["res:<h>"]`` for a ceiling, none otherwise."""
    return [f"res:{quality}"] if quality.isdigit() else []


def format_for(quality: str) -> str:
    return AUDIO_FORMAT if quality == "audio" else VIDEO_FORMAT


QUALITY_TABLE: dict[str, tuple[str, list[str]]] = {
    quality: (format_for(quality), format_sort_for(quality)) for quality in QUALITIES
}


class YtdlpLogger:
    """Routes yt-dlp's messages to the standard logging tree (yt-dlp prints nothing)."""

    def __init__(self, name: str = LOGGER_NAME) -> None:
        self._log = logging.getLogger(name)

    def debug(self, message: str) -> None:
        self._log.debug("%s", message)

    def info(self, message: str) -> None:
        self._log.info("%s", message)

    def warning(self, message: str) -> None:
        self._log.warning("%s", message)

    def error(self, message: str) -> None:
        self._log.error("%s", message)


def common_params(options: FetchOptions) -> dict[str, Any]:
    """What every yt-dlp call gets, probe and fetch alike."""
    return {
        "retries": options.retries,
        "fragment_retries": options.retries,
        "file_access_retries": options.retries,
        "extractor_retries": options.retries,
        "socket_timeout": options.socket_timeout,
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "no_color": True,
        "logger": YtdlpLogger(),
        "cachedir": False,
        **platform_params(options),
    }


def platform_params(options: FetchOptions) -> dict[str, Any]:
    """What an admin set for the platform: its cookies (the job's own copy: yt-dlp writes
    cookies back into the file), its proxy, and the least time between requests."""
    params: dict[str, Any] = {}
    if options.cookie_file is not None:
        params["cookiefile"] = str(options.cookie_file)
    if options.proxy:
        params["proxy"] = options.proxy
    return {**params, **pacing_params(options.min_request_interval_s)}


def pacing_params(interval_s: float) -> dict[str, Any]:
    """yt-dlp waits before every page request but its first, before each download and
    each subtitle. That holds within this yt-dlp instance only: the job layer spaces job
    starts across processes (platforms.jobside.paced_job)."""
    if not interval_s:
        return {}
    return {"sleep_interval_requests": interval_s, "sleep_interval": interval_s,
            "sleep_interval_subtitles": interval_s}


def date_range(options: FetchOptions) -> DateRange | None:
    """Entries published within the dates; entries whose date a listing does not show
    pass (yt-dlp cannot tell before it opens them)."""
    if options.date_from is None and options.date_to is None:
        return None
    start = options.date_from.strftime("%Y%m%d") if options.date_from else None
    end = options.date_to.strftime("%Y%m%d") if options.date_to else None
    return DateRange(start, end)


def probe_params(options: FetchOptions, entry_limit: int) -> dict[str, Any]:
    """List collections cheaply (entries are not resolved one by one)."""
    params = {
        **common_params(options),
        "extract_flat": "in_playlist",
        "playlistend": entry_limit,
        "skip_download": True,
    }
    if date_range(options) is not None:
        params["daterange"] = date_range(options)
    return params


def fetch_params(options: FetchOptions, dest: Path) -> dict[str, Any]:
    """Download exactly one item into ``dest``, named by its media id."""
    return {
        **common_params(options),
        **output_params(dest),
        **format_params(options),
        "postprocessors": postprocessors(options),
        **speed_params(options),
        "continuedl": True,
        "noplaylist": True,
        # A pure playlist URL has no "single video" to prefer: take its first item only.
        "playlist_items": "1",
    }


def fragment_concurrency(options: FetchOptions) -> int:
    """HLS/DASH fragments fetched at once: the setting, within the per-host limit."""
    return max(1, min(options.fragment_concurrency, options.per_host_connections))


def speed_params(options: FetchOptions) -> dict[str, Any]:
    """Fragments run concurrently by default (yt-dlp's own default is one at a time).

    Direct files do not use these: the http engine transfers them (see ``handoff``), with
    the shared per-host and global limits. yt-dlp's ``ratelimit`` holds per transfer, so
    each of the concurrent fragment transfers gets its share of the strictest limit.
    """
    concurrency = fragment_concurrency(options)
    params: dict[str, Any] = {"concurrent_fragment_downloads": concurrency,
                              "buffersize": FRAGMENT_BUFFER_BYTES}
    limits = [limit for limit in (options.speed_limit_bps, options.global_speed_limit_bps)
              if limit]
    if limits:
        params["ratelimit"] = max(1, min(limits) // concurrency)
    return params


def output_params(dest: Path) -> dict[str, Any]:
    """File names are the engine's own; the library layer renames files later."""
    return {
        # Absolute, so yt-dlp's "paths" (home/temp) are not used: everything, parts and
        # temporary files included, stays in dest. pl_thumbnail "": no playlist cover.
        "outtmpl": {"default": str(dest / OUTPUT_TEMPLATE), "pl_thumbnail": ""},
        "restrictfilenames": False,
        "windowsfilenames": True,
        "trim_file_name": 150,
        "overwrites": False,
        "updatetime": False,
    }


def format_params(options: FetchOptions) -> dict[str, Any]:
    selector, sort = QUALITY_TABLE[options.quality]
    params: dict[str, Any] = {"format": selector}
    if sort:
        params["format_sort"] = sort
    if options.quality != "audio":
        params["merge_output_format"] = merge_format(options)
    if final_ext(options):
        params["final_ext"] = final_ext(options)
    if options.subtitles and options.quality != "audio":
        params.update(writesubtitles=True, subtitleslangs=SUBTITLE_LANGUAGES)
    if options.embed_thumbnail:
        params["writethumbnail"] = True
    return params


def final_ext(options: FetchOptions) -> str | None:
    """The extension after conversion, so a re-run recognises an already converted file."""
    if options.quality == "audio":
        return None if options.audio_format == "best" else options.audio_format
    return options.container if options.container in REMUX_CONTAINERS else None


def merge_format(options: FetchOptions) -> str:
    """yt-dlp takes the first container of the list that fits the codecs (mkv fits all)."""
    candidates = MERGE_FORMATS[options.container].split("/")
    if options.embed_thumbnail:
        candidates = [ext for ext in candidates if ext != "webm"]
    return "/".join(candidates)


def remux_target(options: FetchOptions) -> str | None:
    """What single-file downloads are remuxed into, if anything (see the module doc)."""
    if options.quality == "audio":
        return None
    if options.container in REMUX_CONTAINERS:
        return options.container
    return WEBM_TO_MKV if options.embed_thumbnail else None


def postprocessors(options: FetchOptions) -> list[dict[str, Any]]:
    """Post-processors in yt-dlp's CLI order: convert, then embed subtitles/metadata/cover."""
    chain: list[dict[str, Any]] = []
    if options.quality == "audio":
        chain.append({"key": "FFmpegExtractAudio", "preferredcodec": options.audio_format,
                      "preferredquality": None, "nopostoverwrites": False})
    elif remux_target(options):
        chain.append({"key": "FFmpegVideoRemuxer", "preferedformat": remux_target(options)})
    if options.subtitles and options.quality != "audio":
        chain.append({"key": "FFmpegEmbedSubtitle", "already_have_subtitle": False})
    if options.embed_metadata:
        chain.append({"key": "FFmpegMetadata", "add_metadata": True, "add_chapters": True,
                      "add_infojson": False})
    if options.embed_thumbnail:
        chain.append({"key": "EmbedThumbnail", "already_have_thumbnail": False})
    return chain
