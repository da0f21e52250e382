"""Hostile file names: what an engine reports and what a site calls its media can never
put a file outside the job folder or the library, hide it, or pose as an option."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mediadl.library.ingest import UnsafeFile, verified_job_file
from mediadl.library.naming import claim_unique_path, library_name

HOSTILE_TITLES = [
    "../../../etc/passwd", "..", ".", "...", "/etc/shadow", "..\\..\\windows\\win.ini",
    "-rf --exec id", "--help", ".hidden", "~root", "$(reboot)", "`id`", "a\x00b", "line\nbreak",
    "\r\n\t", "\u202egnp.exe", "CON", "nul.txt", "COM1", "a" * 1000, "🎬" * 200, "",
    "C:\\Users\\x", "file:///etc/passwd", "%2e%2e%2f%2e%2e%2f", "\u2215etc\u2215passwd",
    "<script>alert(1)</script>", "name with trailing dots...", " spaces ",
]


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_library_paths_from_hostile_titles_stay_inside(tmp_path: Path, title: str) -> None:
    library = tmp_path / "library"
    name = library_name(source=title, title=title, media_id=title, extension="mp4",
                        max_bytes=150)
    path = claim_unique_path(library, name)
    assert path.resolve().is_relative_to(library.resolve())
    relative = path.relative_to(library)
    assert len(relative.parts) == 2  # <source>/<file>, nothing deeper, nothing higher
    for part in relative.parts:
        assert part not in (".", "..") and not part.startswith(("-", "."))
        assert len(part.encode()) <= 255
        assert not any(ord(char) < 0x20 or char in "/\\\x7f" for char in part)
        assert "\u202e" not in part
    assert path.suffix == ".mp4"


@pytest.mark.parametrize("reported", [
    "../outside.jpg", "sub/../../outside.jpg", "/etc/passwd", "..", ".", "",
    "sub/../../../../tmp/x.jpg",
])
def test_engine_paths_outside_the_job_folder_are_refused(tmp_path: Path, reported: str) -> None:
    job_dir = tmp_path / "work" / "job-1"
    job_dir.mkdir(parents=True)
    (tmp_path / "work" / "outside.jpg").write_bytes(b"x")
    with pytest.raises(UnsafeFile):
        verified_job_file(Path(reported), job_dir)


def test_a_relative_path_that_stays_inside_is_accepted(tmp_path: Path) -> None:
    job_dir = tmp_path / "job"
    (job_dir / "gallery" / "sub").mkdir(parents=True)
    target = job_dir / "gallery" / "x.jpg"
    target.write_bytes(b"x")
    # gallery-dl keeps '..' in some paths; one that resolves inside is fine.
    assert verified_job_file(Path("gallery/sub/../x.jpg"), job_dir) == target.resolve()


def test_a_symlink_that_leaves_the_job_folder_is_refused(tmp_path: Path) -> None:
    job_dir = tmp_path / "job"
    job_dir.mkdir()
    secret = tmp_path / "secret.key"
    secret.write_text("s")
    os.symlink(secret, job_dir / "innocent.jpg")
    with pytest.raises(UnsafeFile):
        verified_job_file(Path("innocent.jpg"), job_dir)
