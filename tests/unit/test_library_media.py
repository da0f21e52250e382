"""Reading media facts (libav through PyAV) and thumbnails, on small real files made by ffmpeg."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from mediadl.core.settings import Settings
from mediadl.library import thumbnails
from mediadl.library.probe import MediaInfo, probe_media
from mediadl.library.thumbnails import ensure_thumbnail, thumbnail_relative_path

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                reason="ffmpeg/ffprobe not installed")

SHA_A = "a" * 64
SHA_B = "b" * 64


@dataclass(frozen=True)
class Samples:
    video: Path          # 320x240, 1 s, h264 + aac
    audio_cover: Path    # mp3 with an embedded cover picture
    audio_plain: Path    # m4a, no picture
    audio_webm: Path     # webm holding only opus audio
    image: Path          # 800x600 jpg
    image_png: Path      # 400x300 png
    text: Path           # not media at all


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def make_samples(folder: Path) -> Samples:
    folder.mkdir(parents=True, exist_ok=True)
    samples = Samples(*(folder / name for name in (
        "video.mp4", "cover.mp3", "plain.m4a", "voice.webm", "photo.jpg", "pic.png",
        "notes.mp4")))
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-f", "lavfi", "-i",
            "sine=frequency=440", "-t", "1", "-pix_fmt", "yuv420p", "-c:a", "aac",
            "-shortest", str(samples.video))
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=800x600", "-frames:v", "1", str(samples.image))
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=400x300", "-frames:v", "1",
            str(samples.image_png))
    plain_mp3 = folder / "plain.mp3"
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=330", "-t", "2", str(plain_mp3))
    _ffmpeg("-i", str(plain_mp3), "-i", str(samples.image), "-map", "0", "-map", "1", "-c",
            "copy", "-disposition:v", "attached_pic", "-id3v2_version", "3",
            str(samples.audio_cover))
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=220", "-t", "1", "-c:a", "aac",
            str(samples.audio_plain))
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=550", "-t", "1", "-c:a", "libopus",
            str(samples.audio_webm))
    samples.text.write_text("this is not a video\n" * 20)
    return samples


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    return make_samples(tmp_path_factory.mktemp("library-samples"))


def test_probe_video(samples: Samples) -> None:
    info = probe_media(samples.video)
    assert info is not None
    assert (info.width, info.height) == (320, 240)
    assert info.vcodec == "h264" and info.acodec == "aac"
    assert info.duration == pytest.approx(1.0, abs=0.2)
    assert info.format_name is not None and "mp4" in info.format_name
    assert not info.is_image and not info.has_cover_art and not info.is_indirect


def test_probe_audio_with_cover_is_audio(samples: Samples) -> None:
    info = probe_media(samples.audio_cover)
    assert info is not None
    assert not info.has_video and info.has_audio and info.has_cover_art
    assert info.width is None


def test_probe_image(samples: Samples) -> None:
    info = probe_media(samples.image)
    assert info is not None and info.is_image and (info.width, info.height) == (800, 600)


def test_probe_unreadable_and_missing_files(samples: Samples, tmp_path: Path) -> None:
    assert probe_media(samples.text) is None
    assert probe_media(tmp_path / "missing.mp4") is None


def test_probe_does_not_expand_sequence_patterns(samples: Samples, tmp_path: Path) -> None:
    shutil.copy(samples.image, tmp_path / "p%03d.jpg")
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=40x30", "-frames:v", "1",
            str(tmp_path / "p001.jpg"))
    info = probe_media(tmp_path / "p%03d.jpg")
    assert info is not None and info.width == 800


def test_probe_treats_odd_names_as_files(samples: Samples, tmp_path: Path) -> None:
    odd = tmp_path / "concat:-i x.mp4"
    shutil.copy(samples.video, odd)
    assert probe_media(odd) is not None


def test_probe_flags_a_playlist_posing_as_a_video(tmp_path: Path) -> None:
    """An HLS playlist saved as ".mp4" is reported as indirect (the ingest refuses it) or
    not read at all; either way its segments are never fetched."""
    playlist = tmp_path / "clip.mp4"
    playlist.write_text("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n"
                        "http://127.0.0.1:9/segment.ts\n#EXT-X-ENDLIST\n")
    info = probe_media(playlist)
    assert info is None or info.is_indirect


def test_probe_of_an_empty_file_is_none(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    assert probe_media(empty) is None


def _thumbnail_width(path: Path) -> int | None:
    info = probe_media(path)
    return info.width if info else None


def test_video_thumbnail_is_a_320_wide_jpeg(settings: Settings, samples: Samples) -> None:
    relative = ensure_thumbnail(settings, samples.video, SHA_A, "video", probe_media(samples.video))
    assert relative == f"aa/{SHA_A}.jpg"
    stored = settings.thumbnail_dir / relative
    assert stored.read_bytes()[:3] == b"\xff\xd8\xff"
    assert _thumbnail_width(stored) == 320


def test_image_thumbnail_is_scaled_down(settings: Settings, samples: Samples) -> None:
    relative = ensure_thumbnail(settings, samples.image_png, SHA_A, "image",
                                probe_media(samples.image_png))
    assert relative is not None
    assert _thumbnail_width(settings.thumbnail_dir / relative) == 320


def test_audio_cover_becomes_thumbnail_and_plain_audio_has_none(
        settings: Settings, samples: Samples) -> None:
    cover = ensure_thumbnail(settings, samples.audio_cover, SHA_A, "audio",
                             probe_media(samples.audio_cover))
    assert cover is not None and (settings.thumbnail_dir / cover).stat().st_size > 0
    assert ensure_thumbnail(settings, samples.audio_plain, SHA_B, "audio",
                            probe_media(samples.audio_plain)) is None


def test_thumbnail_is_made_once(settings: Settings, samples: Samples,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    info = probe_media(samples.video)
    first = ensure_thumbnail(settings, samples.video, SHA_A, "video", info)
    monkeypatch.setattr(thumbnails, "FFMPEG", "/nonexistent/ffmpeg")
    assert ensure_thumbnail(settings, samples.video, SHA_A, "video", info) == first
    assert ensure_thumbnail(settings, samples.video, SHA_B, "video", info) is None


def test_thumbnail_failures_are_none(settings: Settings, samples: Samples) -> None:
    broken = MediaInfo(format_name="mov", duration=5.0, width=1, height=1, vcodec="h264",
                       acodec=None)
    assert ensure_thumbnail(settings, samples.text, SHA_A, "video", broken) is None
    assert ensure_thumbnail(settings, samples.video, "not-a-hash", "video", broken) is None
    assert not list(settings.thumbnail_dir.rglob("*.tmp.jpg"))


def test_thumbnail_seek_past_the_end_falls_back_to_first_frame(
        settings: Settings, samples: Samples) -> None:
    lying = MediaInfo(format_name="mov", duration=500.0, width=320, height=240,
                      vcodec="h264", acodec="aac")
    assert ensure_thumbnail(settings, samples.video, SHA_A, "video", lying) is not None


def test_thumbnail_relative_path_refuses_non_hashes() -> None:
    assert thumbnail_relative_path(SHA_A).as_posix() == f"aa/{SHA_A}.jpg"
    with pytest.raises(ValueError):
        thumbnail_relative_path("../../etc/passwd")
