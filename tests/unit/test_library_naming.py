"""Hostile remote names become readable, safe, bounded library paths."""

from __future__ import annotations

import itertools
import os
import unicodedata
from pathlib import Path

import pytest

from mediadl.library.naming import (
    FALLBACK_SOURCE,
    FALLBACK_TITLE,
    MAX_ID_BYTES,
    RESERVED_DEVICE_NAMES,
    claim_unique_path,
    library_name,
    safe_component,
    safe_extension,
    truncate_utf8,
)

MAX = 150

NASTY = [
    "../../etc/passwd", "..", ".", "...", "/", "\\", "..\\..\\windows\\system32", "/etc/shadow",
    "<script>alert(1)</script>", "$(reboot)", "`id`", "; rm -rf /", "a\x00b", "\x00", "\x00" * 10,
    "🎉" * 1000, "é" * 1000, "a" * 1000, "evil\u202egpj.exe", "\u202e", "CON", "con", "Con.txt",
    "NUL", "nul.tar.gz", "COM1", "LPT9", "AUX ", "CONIN$", ".hidden", "-rf", "--help", "- -x",
    " . . ", "trailing dots...", "trailing spaces   ", "line\nbreak", "tab\there", "\r\n",
    "\u2028sep\u2029", 'quo"te', "a:b*c?d|e<f>g", "%s%n%x", "%03d", "\ud800lone", "\ufeffbom",
    "zero\u200bwidth", "👨‍👩‍👧‍👦 family", "🏴󠁧󠁢󠁥󠁮󠁧󠁿 flag", "名前", "مرحبا", "e\u0301", "\x7f",
    "~/.ssh/id_rsa", "C:\\Windows", "\\\\server\\share", "file:///etc/passwd", "",
]


def _assert_safe_component(component: str, max_bytes: int) -> None:
    assert component
    assert component not in (".", "..")
    assert "/" not in component and "\\" not in component and "\x00" not in component
    assert not any(unicodedata.category(char) in ("Cc", "Cs") for char in component)
    assert not any(char in '<>:"|?*' for char in component)
    assert "\u202e" not in component
    assert not component.startswith((".", "-", " "))
    assert not component.endswith((".", " "))
    assert len(component.encode("utf-8")) <= max_bytes
    assert component.split(".")[0].strip().upper() not in RESERVED_DEVICE_NAMES
    assert unicodedata.is_normalized("NFC", component)


@pytest.mark.parametrize("text", NASTY)
def test_every_nasty_component_is_safe(text: str) -> None:
    _assert_safe_component(safe_component(text, max_bytes=MAX, fallback=FALLBACK_TITLE), MAX)


@pytest.mark.parametrize("max_bytes", [20, 21, 22, 23, 64, 150, 240])
def test_components_respect_every_byte_budget(max_bytes: int) -> None:
    for text in NASTY:
        _assert_safe_component(safe_component(text, max_bytes=max_bytes, fallback="x"),
                               max_bytes)


def test_joined_paths_never_leave_the_base_folder(tmp_path: Path) -> None:
    base = tmp_path.resolve()
    for source, title, media_id in itertools.product(NASTY[:30], NASTY, ["../x", None, "%2e"]):
        name = library_name(source=source, title=title, media_id=media_id,
                            extension="../mp4", max_bytes=MAX)
        for copy_number in (1, 2, 999):
            relative = name.relative_path(copy_number)
            assert len(relative.parts) == 2
            joined = (base / relative).resolve()
            assert joined.parent.parent == base
            assert len(relative.name.encode("utf-8")) <= MAX + 11


def test_readable_names_stay_readable() -> None:
    name = library_name(source="Some Channel", title="My Video: Part 1/2",
                        media_id="abc123", extension="MP4", max_bytes=MAX)
    assert name.relative_path().as_posix() == "Some Channel/My Video_ Part 1_2 [abc123].mp4"


def test_unicode_and_emoji_are_kept_in_nfc() -> None:
    component = safe_component("Cafe\u0301 🎉 名前", max_bytes=MAX, fallback="x")
    assert component == "Café 🎉 名前"
    family = "👨‍👩‍👧‍👦"
    assert safe_component(family, max_bytes=MAX, fallback="x") == family


def test_empty_names_fall_back() -> None:
    name = library_name(source="", title="...", media_id="", extension="", max_bytes=MAX)
    assert name.relative_path().as_posix() == f"{FALLBACK_SOURCE}/{FALLBACK_TITLE}"


def test_hidden_option_and_traversal_prefixes_are_removed() -> None:
    assert safe_component(".hidden", max_bytes=MAX, fallback="x") == "hidden"
    assert safe_component("-rf", max_bytes=MAX, fallback="x") == "rf"
    assert safe_component("../../etc/passwd", max_bytes=MAX, fallback="x") == "_.._etc_passwd"


def test_device_names_are_avoided() -> None:
    assert safe_component("CON", max_bytes=MAX, fallback="x") == "CON_"
    assert safe_component("nul.tar.gz", max_bytes=MAX, fallback="x") == "nul_.tar.gz"
    assert safe_component("CONSOLE", max_bytes=MAX, fallback="x") == "CONSOLE"
    # Trailing dots cut away after truncation must not reveal a device name.
    assert safe_component("CON" + "." * 200 + "x", max_bytes=30, fallback="x") == "CON_"


def test_bidi_override_is_removed() -> None:
    assert safe_component("evil\u202egpj.exe", max_bytes=MAX, fallback="x") == "evilgpj.exe"


def test_truncation_cuts_between_characters() -> None:
    assert truncate_utf8("🎉" * 10, 10) == "🎉🎉"
    assert truncate_utf8("abc", 10) == "abc"
    long = safe_component("🎉" * 1000, max_bytes=MAX, fallback="x")
    assert long == "🎉" * (MAX // 4)


def test_id_is_bounded_and_cleaned() -> None:
    name = library_name(source="s", title="t", media_id="../" + "x" * 500, extension="mp4",
                        max_bytes=MAX)
    assert name.media_id is not None
    assert "/" not in name.media_id and len(name.media_id.encode()) <= MAX_ID_BYTES


def test_title_gives_way_to_id_and_copy_mark() -> None:
    name = library_name(source="s", title="é" * 500, media_id="ID", extension="webm",
                        max_bytes=MAX)
    file_name = name.file_name(copy_number=12)
    assert file_name.endswith(" [ID] (12).webm")
    assert len(file_name.removesuffix(".webm").encode()) <= MAX


@pytest.mark.parametrize(("raw", "expected"), [
    ("MP4", "mp4"), (".Mkv", "mkv"), ("tar.gz", "targz"), ("../exe", "exe"), ("", ""),
    (None, ""), ("\uff2d\uff30\uff14", ""), ("abcdefghijklmnop", "abcdefghij"), ("m\x00p3", "mp3"),
])
def test_extensions_are_lowercase_alnum_and_short(raw: str | None, expected: str) -> None:
    assert safe_extension(raw) == expected


def test_claim_unique_path_adds_copy_numbers(tmp_path: Path) -> None:
    name = library_name(source="chan", title="clip", media_id="x1", extension="mp4",
                        max_bytes=MAX)
    first = claim_unique_path(tmp_path, name)
    second = claim_unique_path(tmp_path, name)
    third = claim_unique_path(tmp_path, name)
    assert [p.name for p in (first, second, third)] == [
        "clip [x1].mp4", "clip [x1] (2).mp4", "clip [x1] (3).mp4"]
    assert all(p.is_file() and p.stat().st_size == 0 for p in (first, second, third))
    assert first.parent == tmp_path / "chan"


def test_claim_unique_path_never_follows_an_existing_name(tmp_path: Path) -> None:
    name = library_name(source="chan", title="clip", media_id=None, extension="mp4",
                        max_bytes=MAX)
    (tmp_path / "chan").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "chan" / "clip.mp4")
    claimed = claim_unique_path(tmp_path, name)
    assert claimed.name == "clip (2).mp4"
    assert not (tmp_path / "elsewhere").exists()
