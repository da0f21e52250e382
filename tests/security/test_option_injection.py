"""User input never reaches an engine raw: presets are a closed list, engine flags and
hostile URLs are 422, and the preset -> yt-dlp mapping only ever yields known keys."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from mediadl.core.settings import Settings
from mediadl.db.models import Job
from mediadl.engines.base import FetchOptions
from mediadl.engines.ytdlp.options import fetch_params, probe_params
from mediadl.jobs.options import fetch_options_for

Headers = dict[str, str]
GOOD_URL = "https://media.example.com/clip.mp4"

INJECTIONS: list[tuple[str, dict[str, Any]]] = [
    ("exec", {"options": {"exec": "rm -rf ~"}}),
    ("outtmpl", {"options": {"outtmpl": "/etc/cron.d/x"}}),
    ("cookiefile", {"options": {"cookiefile": "/data/cookies.txt"}}),
    ("cookiesfrombrowser", {"options": {"cookiesfrombrowser": ["firefox"]}}),
    ("proxy", {"options": {"proxy": "socks5://127.0.0.1:9050"}}),
    ("external-downloader", {"options": {"external_downloader": "curl"}}),
    ("postprocessor-args", {"options": {"postprocessor_args": ["-i", "/etc/passwd"]}}),
    ("format-in-options", {"options": {"format": "bv*"}}),
    ("top-level-outtmpl", {"outtmpl": "%(title)s"}),
    ("top-level-proxy", {"proxy": "http://127.0.0.1:8080"}),
    ("ydl-opts", {"ydl_opts": {"exec": "id"}}),
    ("raw-format", {"quality": "bestvideo[ext=mp4]+bestaudio"}),
    ("flag-quality", {"quality": "--exec=id"}),
    ("bad-container", {"options": {"container": "mp4 --exec id"}}),
    ("bad-audio", {"options": {"audio_format": "mp3;id"}}),
    ("bad-priority", {"priority": "urgent"}),
    ("options-not-object", {"options": "--exec id"}),
]
HOSTILE_URLS = [
    "-o/tmp/x", "--exec=id", " --exec id", "file:///etc/passwd", "FILE:/etc/passwd",
    "data:text/html,<script>alert(1)</script>", "javascript:alert(1)", "ftp://example.com/x",
    "http://", "https:///nohost", "https://example.com/a\nb", "https://example.com/a b",
    "ytsearch:cats", "/etc/passwd", "",
]


def test_engine_options_in_a_request_are_422(client: TestClient, user_headers: Headers) -> None:
    # One client for the whole table: each row is a request, not a new app.
    for name, extra in INJECTIONS:
        for path, body in (("/api/v1/queue", {"url": GOOD_URL, **extra}),
                           ("/api/v1/downloads", {"url": GOOD_URL, **extra}),
                           ("/api/v1/queue/batch", {"urls": [GOOD_URL], **extra})):
            answer = client.post(path, headers=user_headers, json=body)
            assert answer.status_code == 422, (name, path, answer.text)
            assert answer.json()["error"] == "InvalidPayload", name
    assert client.get("/api/v1/queue", headers=user_headers).json()["total"] == 0


def test_hostile_urls_are_422_everywhere(client: TestClient, user_headers: Headers) -> None:
    for url in HOSTILE_URLS:
        for path, body in (("/api/v1/queue", {"url": url}), ("/api/v1/parse", {"url": url}),
                           ("/api/v1/queue/batch", {"urls": [GOOD_URL, url]})):
            answer = client.post(path, headers=user_headers, json=body)
            assert answer.status_code == 422, (path, url, answer.text)
            assert answer.json()["detail"].endswith("."), (path, url)
    assert client.get("/api/v1/queue", headers=user_headers).json()["total"] == 0


def test_a_stored_row_cannot_smuggle_an_option(settings: Settings) -> None:
    job = Job(quality="720", options={"exec": "id", "outtmpl": "/x", "cookiefile": "/c",
                                      "container": "mkv"})
    options = fetch_options_for(job, settings)
    assert options.container == "mkv" and options.quality == "720"
    assert set(options.model_dump()) == set(FetchOptions.model_fields)


PRESET_CHOICES = {
    "quality": ["best", "1080", "audio"],
    "audio_format": ["best", "mp3", "flac"],
    "container": ["auto", "mp4", "mkv", "webm"],
    "subtitles": [False, True],
    "embed_metadata": [False, True],
    "embed_thumbnail": [False, True],
}
# Everything fetch_params may ever set; a key outside it means the mapping grew an opening.
ALLOWED_KEYS = {
    "retries", "fragment_retries", "file_access_retries", "extractor_retries",
    "socket_timeout", "quiet", "no_warnings", "noprogress", "no_color", "logger",
    "cachedir", "outtmpl", "restrictfilenames", "windowsfilenames", "trim_file_name",
    "overwrites", "updatetime", "format", "format_sort", "merge_output_format", "final_ext",
    "writesubtitles", "subtitleslangs", "writethumbnail", "postprocessors",
    "concurrent_fragment_downloads", "continuedl", "noplaylist", "playlist_items",
    "extract_flat", "playlistend", "skip_download", "external_downloader",
    "hls_prefer_native", "compat_opts", "extractor_args", "noresizebuffer", "http_chunk_size",
    "buffersize",
}
NEVER = {"exec", "cookiefile", "cookiesfrombrowser", "proxy", "geo_verification_proxy",
         "source_address", "paths", "download_archive", "load_info_filename", "batchfile",
         "postprocessor_args", "external_downloader_args", "usenetrc", "netrc_cmd",
         "username", "password", "print_to_file", "forceprint", "exec_cmd"}


def test_every_preset_combination_maps_to_known_keys_only(tmp_path: Path) -> None:
    names = list(PRESET_CHOICES)
    for values in itertools.product(*PRESET_CHOICES.values()):
        options = FetchOptions(**dict(zip(names, values, strict=True)))
        params = fetch_params(options, tmp_path)
        assert set(params) <= ALLOWED_KEYS, set(params) - ALLOWED_KEYS
        assert not set(params) & NEVER
        assert str(params["outtmpl"]["default"]).startswith(str(tmp_path))
        for processor in params["postprocessors"]:
            assert "exec" not in str(processor["key"]).lower()
    assert set(probe_params(FetchOptions(), 10)) <= ALLOWED_KEYS
