"""What is inside a media file, according to ffprobe.

ffprobe reads by content, not by extension, so a hostile ".mp4" may really be an HLS
playlist or a concat list pointing at other files. Inputs are therefore opened through the
``file:`` protocol only, image-sequence patterns (``%03d`` in a name) are switched off, and
indirect formats are reported so the caller can refuse them.
"""

from __future__ import annotations

import json
import logging
import math
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FFPROBE = "ffprobe"
PROBE_TIMEOUT_SECONDS = 30

# Demuxers that read other files or turn text into video: never library media.
INDIRECT_FORMATS = frozenset({"hls", "applehttp", "dash", "concat", "ffconcat", "tty",
                              "webm_dash_manifest"})
# Single pictures: ffprobe calls them a one-frame "video".
IMAGE_FORMAT_SUFFIX = "_pipe"
IMAGE_FORMATS = frozenset({"image2", "gif", "webp", "apng"})


@dataclass(frozen=True)
class MediaInfo:
    format_name: str | None
    duration: float | None
    width: int | None
    height: int | None
    vcodec: str | None
    acodec: str | None
    # An audio file's embedded cover picture (a video stream marked attached_pic).
    has_cover_art: bool = False

    @property
    def has_video(self) -> bool:
        return self.vcodec is not None

    @property
    def has_audio(self) -> bool:
        return self.acodec is not None

    @property
    def is_image(self) -> bool:
        name = self.format_name or ""
        return name in IMAGE_FORMATS or name.endswith(IMAGE_FORMAT_SUFFIX)

    @property
    def is_indirect(self) -> bool:
        names = set((self.format_name or "").split(","))
        return bool(names & INDIRECT_FORMATS)


def ffmpeg_input_url(path: Path) -> str:
    """The input argument for ffmpeg/ffprobe: ``file:`` so "concat:" or "http:" in a name is
    never a protocol, absolute so a leading "-" is never an option."""
    return f"file:{path.resolve()}"


def probe_media(path: Path) -> MediaInfo | None:
    """Streams and format of ``path``, or None when ffprobe cannot read it."""
    command = [FFPROBE, "-v", "error", "-protocol_whitelist", "file", "-pattern_type", "none",
               "-print_format", "json", "-show_format", "-show_streams",
               ffmpeg_input_url(path)]
    output = _run_ffprobe(command)
    if output is None:
        return None
    return parse_probe_output(output)


def parse_probe_output(output: str) -> MediaInfo | None:
    """MediaInfo from ffprobe's JSON; None when it describes no stream at all."""
    try:
        document = json.loads(output)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    listed = document.get("streams")
    streams = [s for s in listed if isinstance(s, dict)] if isinstance(listed, list) else []
    if not streams:
        return None
    container = document.get("format")
    return _media_info(container if isinstance(container, dict) else {}, streams)


def _run_ffprobe(command: list[str]) -> str | None:
    try:
        finished = subprocess.run(command, capture_output=True, text=True, check=False,  # noqa: S603
                                  timeout=PROBE_TIMEOUT_SECONDS, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        log.warning("ffprobe timed out after %ss", PROBE_TIMEOUT_SECONDS)
        return None
    except OSError as exc:
        log.warning("ffprobe cannot run: %s", exc)
        return None
    if finished.returncode != 0:
        log.info("ffprobe cannot read the file: %s", finished.stderr.strip()[:300])
        return None
    return finished.stdout


def _media_info(container: dict[str, Any], streams: list[dict[str, Any]]) -> MediaInfo:
    video = _first_stream(streams, "video", cover=False)
    audio = _first_stream(streams, "audio", cover=False)
    cover = _first_stream(streams, "video", cover=True)
    return MediaInfo(
        format_name=_text(container.get("format_name")),
        duration=_duration(container, video or audio),
        width=_positive_int(video.get("width")) if video else None,
        height=_positive_int(video.get("height")) if video else None,
        vcodec=(_text(video.get("codec_name")) or "unknown") if video else None,
        acodec=(_text(audio.get("codec_name")) or "unknown") if audio else None,
        has_cover_art=cover is not None,
    )


def _first_stream(streams: list[dict[str, Any]], codec_type: str,
                  cover: bool) -> dict[str, Any] | None:
    for stream in streams:
        disposition = stream.get("disposition")
        attached = bool(isinstance(disposition, dict) and disposition.get("attached_pic"))
        if stream.get("codec_type") == codec_type and attached == cover:
            return stream
    return None


def _duration(container: dict[str, Any], stream: dict[str, Any] | None) -> float | None:
    for candidate in (container.get("duration"), (stream or {}).get("duration")):
        seconds = _positive_float(candidate)
        if seconds is not None:
            return seconds
    return None


def _positive_float(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _positive_int(value: object) -> int | None:
    return value if isinstance(value, int) and value > 0 else None


def _text(value: object) -> str | None:
    return value[:64] if isinstance(value, str) and value else None
