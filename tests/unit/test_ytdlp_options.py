"""The yt-dlp engine's pure mappings: FetchOptions -> params (the preset table), and around it
info dict -> ProbeResult, exceptions -> EngineError, progress hooks -> events. No network."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
import yt_dlp
from yt_dlp.networking.common import Response
from yt_dlp.networking.exceptions import HTTPError, TransportError
from yt_dlp.utils import DownloadError, ExtractorError, UnsupportedError

from mediadl.engines.base import QUALITIES, Event, FetchOptions, Progress, Started
from mediadl.engines.ytdlp.errors import clean_message, engine_error_from, parse_retry_after
from mediadl.engines.ytdlp.options import (
    OUTPUT_TEMPLATE,
    QUALITY_TABLE,
    YtdlpLogger,
    fetch_params,
    probe_params,
)
from mediadl.engines.ytdlp.probe import probe_result_from_info
from mediadl.engines.ytdlp.progress import ProgressReporter

DEST = Path("/srv/mediadl/jobs/42")


def params_for(**options: Any) -> dict[str, Any]:
    return fetch_params(FetchOptions(**options), DEST)


def postprocessor_keys(params: dict[str, Any]) -> list[str]:
    return [pp["key"] for pp in params["postprocessors"]]


# The preset table -------------------------------------------------------------------------

EXPECTED_TABLE = {
    "best": ("bv*+ba/b", []),
    "2160": ("bv*+ba/b", ["res:2160"]),
    "1440": ("bv*+ba/b", ["res:1440"]),
    "1080": ("bv*+ba/b", ["res:1080"]),
    "720": ("bv*+ba/b", ["res:720"]),
    "480": ("bv*+ba/b", ["res:480"]),
    "360": ("bv*+ba/b", ["res:360"]),
    "audio": ("ba/b", []),
}


def test_quality_table_covers_every_preset():
    assert QUALITY_TABLE == EXPECTED_TABLE
    assert set(QUALITY_TABLE) == set(QUALITIES)


@pytest.mark.parametrize("quality", QUALITIES)
def test_quality_maps_to_format_and_sort(quality: str):
    params = params_for(quality=quality)
    selector, sort = EXPECTED_TABLE[quality]
    assert params["format"] == selector
    assert params.get("format_sort", []) == sort


def test_audio_preset_extracts_audio_keeping_the_codec_by_default():
    params = params_for(quality="audio")
    extract = params["postprocessors"][0]
    assert extract["key"] == "FFmpegExtractAudio" and extract["preferredcodec"] == "best"
    assert "merge_output_format" not in params and "final_ext" not in params


def test_audio_preset_converts_to_the_chosen_format():
    params = params_for(quality="audio", audio_format="mp3")
    assert params["postprocessors"][0]["preferredcodec"] == "mp3"
    assert params["final_ext"] == "mp3"


def test_video_presets_do_not_extract_audio():
    assert "FFmpegExtractAudio" not in postprocessor_keys(params_for(quality="720"))


@pytest.mark.parametrize(("container", "merge", "remux"), [
    ("auto", "mp4/webm/mkv", False), ("mp4", "mp4", True), ("mkv", "mkv", True),
    ("webm", "webm/mkv", False),
])
def test_container(container: str, merge: str, remux: bool):
    params = params_for(container=container)
    assert params["merge_output_format"] == merge
    assert ("FFmpegVideoRemuxer" in postprocessor_keys(params)) is remux


@pytest.mark.parametrize(("container", "merge", "remux"), [
    ("auto", "mp4/mkv", "webm>mkv"), ("webm", "mkv", "webm>mkv"), ("mp4", "mp4", "mp4"),
    ("mkv", "mkv", "mkv"),
])
def test_embedding_a_thumbnail_never_produces_webm(container: str, merge: str, remux: str):
    params = params_for(container=container, embed_thumbnail=True)
    assert params["merge_output_format"] == merge
    remuxer = next(pp for pp in params["postprocessors"] if pp["key"] == "FFmpegVideoRemuxer")
    assert remuxer["preferedformat"] == remux
    assert params["writethumbnail"] is True
    assert postprocessor_keys(params)[-1] == "EmbedThumbnail"


def test_subtitles_are_written_and_embedded():
    params = params_for(subtitles=True)
    assert params["writesubtitles"] is True
    assert "FFmpegEmbedSubtitle" in postprocessor_keys(params)
    assert "writesubtitles" not in params_for(subtitles=True, quality="audio")


def test_embed_metadata_toggles_the_metadata_postprocessor():
    assert "FFmpegMetadata" in postprocessor_keys(params_for(embed_metadata=True))
    assert "FFmpegMetadata" not in postprocessor_keys(params_for(embed_metadata=False))


ALL_OPTION_COMBINATIONS = [
    FetchOptions(quality=q, container=c, subtitles=s, embed_thumbnail=t)
    for q, c, s, t in itertools.product(QUALITIES, ["auto", "mp4", "mkv", "webm"],
                                        [False, True], [False, True])
]


@pytest.mark.parametrize("options", ALL_OPTION_COMBINATIONS, ids=str)
def test_transfer_settings_are_always_set(options: FetchOptions):
    params = fetch_params(options, DEST)
    assert params["concurrent_fragment_downloads"] == options.fragment_concurrency
    for key in ("retries", "fragment_retries", "file_access_retries", "extractor_retries"):
        assert params[key] == options.retries
    assert params["socket_timeout"] == options.socket_timeout
    assert params["continuedl"] is True and params["noplaylist"] is True
    assert params["overwrites"] is False and params["cachedir"] is False


@pytest.mark.parametrize("options", ALL_OPTION_COMBINATIONS, ids=str)
def test_output_template_is_the_engines_own_and_inside_dest(options: FetchOptions):
    outtmpl = fetch_params(options, DEST)["outtmpl"]
    assert outtmpl["default"] == str(DEST / OUTPUT_TEMPLATE)
    for template in outtmpl.values():
        assert template == "" or Path(template).parent == DEST
        assert ".." not in Path(template).parts


def test_custom_retry_and_concurrency_values_pass_through():
    params = params_for(retries=0, fragment_concurrency=3, socket_timeout=1.5)
    assert (params["retries"], params["concurrent_fragment_downloads"]) == (0, 3)
    assert params["socket_timeout"] == 1.5


def test_probe_params_list_collections_flat():
    params = probe_params(FetchOptions(), 100)
    assert params["extract_flat"] == "in_playlist" and params["playlistend"] == 100
    assert "outtmpl" not in params and "postprocessors" not in params


def test_logger_routes_to_the_engine_logger(caplog: pytest.LogCaptureFixture):
    assert isinstance(params_for()["logger"], YtdlpLogger)
    with caplog.at_level("DEBUG", logger="mediadl.engines.ytdlp"):
        YtdlpLogger().warning("careful")
    assert [r.name for r in caplog.records] == ["mediadl.engines.ytdlp"]


def test_nothing_outside_the_closed_option_model_is_accepted():
    with pytest.raises(ValueError):
        FetchOptions(format="bestvideo")  # type: ignore[call-arg]


# What yt-dlp selects with these params (synthetic formats, no download) -----------------

def video(height: int, width: int | None = None, *, audio: bool = True) -> dict[str, Any]:
    width = width or height * 16 // 9
    return {"format_id": f"{width}x{height}", "url": f"http://127.0.0.1/{width}x{height}.mp4",
            "ext": "mp4", "width": width, "height": height, "vcodec": "avc1.64001f",
            "acodec": "mp4a.40.2" if audio else "none", "tbr": height * 2.0}


AUDIO_ONLY = {"format_id": "audio", "url": "http://127.0.0.1/a.m4a", "ext": "m4a",
              "vcodec": "none", "acodec": "mp4a.40.2", "tbr": 128.0}


def selected(quality: str, formats: list[dict[str, Any]]) -> str:
    info = {"id": "x", "title": "x", "formats": formats, "extractor": "test",
            "extractor_key": "Test", "webpage_url": "http://127.0.0.1/x"}
    with yt_dlp.YoutubeDL(fetch_params(FetchOptions(quality=quality), DEST)) as ydl:
        return ydl.process_ie_result(info, download=False)["format_id"]


LADDER = [video(h) for h in (2160, 1080, 720, 480, 360)]


@pytest.mark.parametrize(("quality", "expected"), [
    ("best", "3840x2160"), ("2160", "3840x2160"), ("1440", "1920x1080"), ("1080", "1920x1080"),
    ("720", "1280x720"), ("480", "853x480"), ("360", "640x360"),
])
def test_ceiling_picks_the_largest_at_or_below(quality: str, expected: str):
    assert selected(quality, LADDER) == expected


def test_ceiling_falls_back_to_the_smallest_above_when_nothing_fits():
    assert selected("360", [video(1080), video(720), video(2160)]) == "1280x720"


def test_ceiling_counts_the_short_side_of_portrait_video():
    portrait = [video(h, h * 9 // 16) for h in (1920, 1280, 854, 640)]
    assert selected("720", portrait) == "720x1280"


def test_separate_streams_are_merged():
    dash = [video(1080, audio=False), video(720, audio=False), AUDIO_ONLY]
    assert selected("720", dash) == "1280x720+audio"
    assert selected("audio", dash) == "audio"


# info dict -> ProbeResult ---------------------------------------------------------------

def test_probe_maps_a_video():
    info = {
        "id": "abc", "title": "A title", "uploader": "Someone", "duration": 12,
        "description": "d", "thumbnail": "https://i/x.jpg", "extractor": "youtube",
        "webpage_url": "https://www.youtube.com/watch?v=abc", "tags": ["a", "b"],
        "view_count": 5, "formats": [
            video(1080), video(360),
            {"format_id": "sb0", "ext": "mhtml", "protocol": "mhtml", "format_note": "storyboard"},
            AUDIO_ONLY,
        ], "http_headers": {"User-Agent": "x"}, "categories": [{"not": "json-safe"}],
    }
    result = probe_result_from_info("https://youtu.be/abc", info, 100)
    assert (result.kind, result.title, result.media_id, result.source) == (
        "video", "A title", "abc", "Someone")
    assert [fmt.format_id for fmt in result.formats] == ["1920x1080", "640x360", "audio"]
    assert result.qualities == ["best", "1080", "720", "480", "360", "audio"]
    assert result.metadata == {"extractor": "youtube", "tags": ["a", "b"], "view_count": 5,
                               "webpage_url": "https://www.youtube.com/watch?v=abc"}


def test_probe_maps_audio_only_sources():
    result = probe_result_from_info("https://x/a", {"id": "a", "formats": [AUDIO_ONLY]}, 100)
    assert result.kind == "audio" and result.qualities == ["best", "audio"]


def test_probe_maps_a_playlist_with_a_limit():
    entries = [{"_type": "url", "url": f"https://x/v/{i}", "id": f"v{i}", "title": f"T{i}"}
               for i in range(5)] + [{"_type": "url", "url": "https://x/no-id"}]
    info = {"_type": "playlist", "id": "pl", "title": "List", "entries": entries,
            "playlist_count": 250, "channel": "Chan"}
    result = probe_result_from_info("https://x/pl", info, 3)
    assert result.kind == "playlist" and result.entry_count == 250
    assert [entry.key for entry in result.entries] == ["v0", "v1", "v2"]
    assert result.source == "Chan"
    unlimited = probe_result_from_info("https://x/pl", {**info, "playlist_count": None}, 100)
    assert unlimited.entries[-1].key == "https://x/no-id" and unlimited.entry_count == 6


def test_probe_source_falls_back_to_the_host():
    result = probe_result_from_info("https://cdn.example.com/a.mp4", {"id": "a", "ext": "mp4"}, 9)
    assert result.source == "cdn.example.com" and result.kind == "video"


# exceptions -> EngineError --------------------------------------------------------------

def http_error(status: int, headers: dict[str, str] | None = None) -> HTTPError:
    import io

    return HTTPError(Response(io.BytesIO(b""), "http://127.0.0.1/x", headers or {},
                              status=status))


def wrapped(cause: Exception) -> DownloadError:
    """What YoutubeDL raises: a DownloadError around an ExtractorError around the cause."""
    try:
        raise ExtractorError(f"Unable to download webpage: {cause}", cause=cause, ie="generic",
                             video_id="x")
    except ExtractorError as extractor_error:
        return DownloadError(f"\x1b[0;31mERROR:\x1b[0m [generic] x: {extractor_error.orig_msg}"
                             " (caused by <x>)\nmore", (type(extractor_error), extractor_error,
                                                       None))


def test_clean_message_is_one_readable_line():
    assert clean_message("\x1b[0;31mERROR:\x1b[0m [youtube] abc: Video unavailable\nmore") == (
        "Video unavailable")
    assert clean_message("") == "download failed"


@pytest.mark.parametrize(("status", "transient"), [(404, False), (403, False), (410, False),
                                                   (503, True), (500, True), (429, True)])
def test_http_status_decides_transience(status: int, transient: bool):
    error = engine_error_from(wrapped(http_error(status)))
    assert error.transient is transient
    assert error.message.startswith("Unable to download webpage: HTTP Error")


def test_429_carries_retry_after():
    error = engine_error_from(wrapped(http_error(429, {"Retry-After": "7"})))
    assert error.transient and error.retry_after == 7


@pytest.mark.parametrize(("message", "transient"), [
    ("ERROR: [generic] x: Unable to download webpage: HTTP Error 429: Too Many Requests", True),
    ("ERROR: [generic] x: Unable to download webpage: HTTP Error 503: Service Unavailable", True),
    ("ERROR: [generic] x: Unable to download webpage: HTTP Error 404: Not Found", False),
    ("ERROR: Unsupported URL: https://example.com/", False),
    ("ERROR: something odd", False),
])
def test_message_decides_when_no_exception_is_attached(message: str, transient: bool):
    assert engine_error_from(DownloadError(message)).transient is transient


def test_network_trouble_is_transient():
    assert engine_error_from(wrapped(TransportError("timed out"))).transient
    assert engine_error_from(DownloadError("ERROR: Read timed out.")).transient


def test_unsupported_url_is_permanent():
    error = engine_error_from(UnsupportedError("https://example.com/x"))
    assert not error.transient and "Unsupported URL" in error.message


def test_parse_retry_after_accepts_seconds_and_dates():
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert parse_retry_after("soon") is None


# progress hooks -> events ---------------------------------------------------------------

def test_progress_is_one_monotonic_stream_over_merged_parts():
    events: list[Event] = []
    clock = iter(float(i) for i in range(100))
    reporter = ProgressReporter(events.append, clock=lambda: next(clock))
    info = {"title": "T"}
    for name, steps, total in (("v.f1.mp4", (100, 600, 1000), 1000), ("v.f2.m4a", (50, 200), 200)):
        for done in steps:
            reporter.hook({"status": "downloading", "filename": name, "downloaded_bytes": done,
                           "total_bytes": total, "info_dict": info})
        reporter.hook({"status": "finished", "filename": name, "downloaded_bytes": total,
                       "total_bytes": total, "info_dict": info})
    assert events[0] == Started(title="T", total_bytes=1000)
    downloaded = [e.downloaded_bytes for e in events if isinstance(e, Progress)]
    assert downloaded == sorted(downloaded) and downloaded[-1] == 1200
    assert [e for e in events if isinstance(e, Started)] == [events[0]]


def test_progress_estimates_totals_from_fragments():
    events: list[Event] = []
    reporter = ProgressReporter(events.append)
    reporter.hook({"status": "downloading", "filename": "f", "downloaded_bytes": 300,
                   "fragment_index": 3, "fragment_count": 10, "info_dict": {}})
    assert events[-1] == Progress(downloaded_bytes=300, total_bytes=1000)
