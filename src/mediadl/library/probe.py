"""What is inside a media file, according to libav (FFmpeg's libraries, through PyAV).

libav reads by content, not by extension, so a hostile ".mp4" may really be an HLS
playlist or a concat list pointing at other files. Inputs are therefore opened through the
``file:`` protocol only, image-sequence patterns (``%03d`` in a name) are switched off, and
indirect formats are reported so the caller can refuse them.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import av
from av.container import InputContainer
from av.stream import Disposition, Stream
from av.video.stream import VideoStream

log = logging.getLogger(__name__)

# Other protocols (http:, concat:, ...) and "%03d" image sequences are never followed.
SAFE_INPUT_OPTIONS = {"protocol_whitelist": "file", "pattern_type": "none"}

# Demuxers that read other files or turn text into video: never library media.
INDIRECT_FORMATS = frozenset({"hls", "applehttp", "dash", "concat", "ffconcat", "tty",
                              "webm_dash_manifest"})
# Single pictures: libav calls them a one-frame "video".
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
    """The input argument for ffmpeg and libav: ``file:`` so "concat:" or "http:" in a name is
    never a protocol, absolute so a leading "-" is never an option."""
    return f"file:{path.resolve()}"


def probe_media(path: Path) -> MediaInfo | None:
    """Streams and format of ``path``, or None when libav cannot read it.

    libav runs in this process through PyAV: an ffprobe process per file cost a small
    download most of its time (≈ 80 ms of loading libraries, against < 1 ms of reading).
    A job process that libav hangs is killed by the stall watchdog like any other.
    """
    try:
        with av.open(ffmpeg_input_url(path), options=SAFE_INPUT_OPTIONS) as container:
            return _media_info(container)
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError) as error:
        log.info("libav cannot read the file: %s", str(error)[:300])
        return None


def _media_info(container: InputContainer) -> MediaInfo | None:
    """None when the file holds no stream at all."""
    streams = list(container.streams)
    if not streams:
        return None
    video = _first_stream(streams, "video", cover=False)
    audio = _first_stream(streams, "audio", cover=False)
    cover = _first_stream(streams, "video", cover=True)
    return MediaInfo(
        format_name=_text(container.format.name),
        duration=_duration(container, video or audio),
        width=_positive_int(_size(video)[0]),
        height=_positive_int(_size(video)[1]),
        vcodec=_codec_name(video) if video else None,
        acodec=_codec_name(audio) if audio else None,
        has_cover_art=cover is not None,
    )


def _first_stream(streams: list[Stream], kind: str, cover: bool) -> Stream | None:
    for stream in streams:
        attached = bool(stream.disposition & Disposition.attached_pic)
        if stream.type == kind and attached == cover:
            return stream
    return None


def _size(stream: Stream | None) -> tuple[int | None, int | None]:
    if not isinstance(stream, VideoStream):
        return None, None
    return stream.codec_context.width, stream.codec_context.height


def _codec_name(stream: Stream) -> str:
    """The codec's own name ("mp3", "h264"), not the decoder's ("mp3float")."""
    codec = stream.codec_context.codec if stream.codec_context is not None else None
    return _text(codec.canonical_name if codec is not None else None) or "unknown"


def _duration(container: InputContainer, stream: Stream | None) -> float | None:
    candidates = [container.duration / av.time_base if container.duration else None]
    if stream is not None and stream.duration and stream.time_base:
        candidates.append(float(stream.duration * stream.time_base))
    for candidate in candidates:
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
