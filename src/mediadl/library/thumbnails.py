"""Small JPEG previews, made with ffmpeg (no image library needed) and cached by content hash.

A thumbnail is a nicety: every failure here is logged and answered with None, never raised,
so a file ffmpeg cannot picture still lands in the library (the API then serves a
placeholder).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import uuid
from pathlib import Path, PurePosixPath

from mediadl.core.settings import Settings
from mediadl.library.probe import MediaInfo, ffmpeg_input_url

log = logging.getLogger(__name__)

FFMPEG = "ffmpeg"
THUMBNAIL_WIDTH = 320
THUMBNAIL_TIMEOUT_SECONDS = 60
# A frame a little into a video says more than the first one (often black or a logo).
FRAME_POSITION = 0.10
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Never upscale a small picture; -2 keeps the aspect ratio with an even height.
_SCALE = f"scale='min({THUMBNAIL_WIDTH},iw)':-2"


def thumbnail_relative_path(sha256: str) -> PurePosixPath:
    """Where the thumbnail of a file with this content lives, relative to thumbnail_dir."""
    if not _SHA256.match(sha256):
        raise ValueError("not a sha256 hex digest")
    return PurePosixPath(sha256[:2], f"{sha256}.jpg")


def ensure_thumbnail(settings: Settings, media_path: Path, sha256: str, kind: str,
                     info: MediaInfo | None) -> str | None:
    """The thumbnail's path relative to ``settings.thumbnail_dir``, made on first use;
    None when this file has no picture to show."""
    try:
        relative = thumbnail_relative_path(sha256)
        target = settings.thumbnail_dir / relative
        if target.is_file():
            return relative.as_posix()
        made = _make_thumbnail(media_path, target, kind, info)
    except Exception:  # a preview must never fail an ingest
        log.warning("thumbnail of %s failed", media_path.name, exc_info=True)
        return None
    return relative.as_posix() if made else None


def _make_thumbnail(media_path: Path, target: Path, kind: str, info: MediaInfo | None) -> bool:
    attempts = _frame_commands(media_path, kind, info)
    for input_options, output_options in attempts:
        if _render(input_options, media_path, output_options, target):
            return True
    return False


def _frame_commands(media_path: Path, kind: str,
                    info: MediaInfo | None) -> list[tuple[list[str], list[str]]]:
    """(input options, output options) pairs to try in order."""
    if info is None:
        return []
    if kind == "video" and info.has_video:
        seek = (info.duration or 0.0) * FRAME_POSITION
        first_frame: tuple[list[str], list[str]] = ([], ["-map", "0:V:0"])
        if seek <= 0:
            return [first_frame]
        # Some files cannot seek; their first frame is better than nothing.
        return [(["-ss", f"{seek:.3f}"], ["-map", "0:V:0"]), first_frame]
    if kind == "image" and info.has_video:
        # A '%03d' in a name must not turn one picture into an image sequence.
        pattern = ["-pattern_type", "none"] if info.format_name == "image2" else []
        return [(pattern, ["-map", "0:v:0"])]
    if kind == "audio" and info.has_cover_art:
        return [([], ["-map", "0:v:0", "-an"])]
    return []


def _render(input_options: list[str], media_path: Path, output_options: list[str],
            target: Path) -> bool:
    target.parent.mkdir(parents=True, exist_ok=True)
    # A private temporary name, renamed into place: readers never see half a JPEG and two
    # workers making the same thumbnail do not disturb each other.
    temporary = target.with_name(f".{uuid.uuid4().hex}.tmp.jpg")
    command = [FFMPEG, "-nostdin", "-v", "error", "-y", "-protocol_whitelist", "file",
               *input_options, "-i", ffmpeg_input_url(media_path), *output_options,
               "-frames:v", "1", "-vf", _SCALE, "-f", "image2", "-c:v", "mjpeg",
               "-q:v", "4", str(temporary)]
    try:
        if _run_ffmpeg(command) and _is_nonempty_file(temporary):
            os.replace(temporary, target)
            return True
        return False
    finally:
        temporary.unlink(missing_ok=True)


def _run_ffmpeg(command: list[str]) -> bool:
    try:
        finished = subprocess.run(command, capture_output=True, text=True, check=False,  # noqa: S603
                                  timeout=THUMBNAIL_TIMEOUT_SECONDS, stdin=subprocess.DEVNULL)
    except (subprocess.TimeoutExpired, OSError) as exc:
        log.warning("ffmpeg thumbnail failed: %s", exc)
        return False
    if finished.returncode != 0:
        log.info("ffmpeg thumbnail failed: %s", finished.stderr.strip()[:300])
    return finished.returncode == 0


def _is_nonempty_file(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False
