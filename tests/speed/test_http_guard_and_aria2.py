"""The http engine under the outbound guard, and its aria2c path (when aria2c is installed)."""

from __future__ import annotations

import hashlib
import shutil
import stat
from pathlib import Path

import pytest

from mediadl.engines.base import EngineError, Event, FetchOptions, FileWritten, Progress
from mediadl.engines.http import aria2
from mediadl.engines.http.engine import HttpEngine
from mediadl.security.addresses import OutboundPolicy
from mediadl.security.outbound import guarded

pytestmark = pytest.mark.timeout(120)

LOOPBACK = OutboundPolicy.from_strings(["127.0.0.0/8"])


def fetch(url: str, dest: Path, options: FetchOptions | None = None) -> list[Event]:
    events: list[Event] = []
    HttpEngine().fetch(url, dest, options or FetchOptions(retries=1), events.append)
    return events


def digest_of(events: list[Event]) -> str:
    path = next(e.path for e in events if isinstance(e, FileWritten))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_refused_address_fails_permanently(site, tmp_path):
    with guarded(OutboundPolicy()), pytest.raises(EngineError) as caught:
        fetch(site.url("/files/video.mp4"), tmp_path)
    assert not caught.value.transient and "MEDIADL_ALLOW_PRIVATE_NETWORKS" in caught.value.message


@pytest.fixture
def fake_aria2c(tmp_path, monkeypatch):
    """An aria2c on PATH that must never run: it fails loudly if it does."""
    folder = tmp_path / "bin"
    folder.mkdir()
    program = folder / "aria2c"
    program.write_text("#!/bin/sh\necho 'must not run' >&2\nexit 99\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    monkeypatch.setattr(aria2, "MIN_SIZE", 0)
    return program


def test_under_the_guard_aria2c_is_not_started(site, fixture_media, tmp_path, fake_aria2c):
    assert aria2.wanted(FetchOptions(use_aria2c=True), tmp_path / "x.part")
    with guarded(LOOPBACK):
        events = fetch(site.url("/files/big.bin"), tmp_path / "job",
                       FetchOptions(retries=1, use_aria2c=True))
    assert digest_of(events) == fixture_media.digest("big.bin")


def test_aria2c_is_off_unless_asked_for(tmp_path, fake_aria2c):
    assert not aria2.wanted(FetchOptions(), tmp_path / "x.part")


def test_speed_limits_keep_the_transfer_in_python(tmp_path, fake_aria2c):
    assert not aria2.wanted(FetchOptions(speed_limit_bps=1000, use_aria2c=True),
                            tmp_path / "x.part")
    assert not aria2.wanted(FetchOptions(use_aria2c=False), tmp_path / "x.part")


def test_aria2c_command_is_an_argument_list_with_the_url_last(tmp_path):
    request = aria2.TransferRequest(url="https://h/f.iso", part=tmp_path / "download.part",
                                    headers={"Referer": "https://h/", "Cookie": "a=b"})
    remote = aria2.RemoteFile("https://cdn.h/f.iso", 10, True)
    argv = aria2.command(request, remote)
    assert argv[-2:] == ["--", "https://cdn.h/f.iso"]
    assert "--header=Referer: https://h/" in argv and "--header=Cookie: a=b" in argv
    assert f"--dir={tmp_path}" in argv and "--out=download.part" in argv


@pytest.mark.skipif(shutil.which("aria2c") is None, reason="aria2c is not installed")
def test_aria2c_fetches_large_files_when_installed(site, fixture_media, tmp_path, monkeypatch):
    monkeypatch.setattr(aria2, "MIN_SIZE", 0)
    events = fetch(site.url("/throttled/big.bin?rate=2000000"), tmp_path,
                   FetchOptions(retries=1, use_aria2c=True))
    assert digest_of(events) == fixture_media.digest("big.bin")
    assert [p.name for p in tmp_path.iterdir()] == ["big.bin"]
    assert [e for e in events if isinstance(e, Progress)][-1].downloaded_bytes == (
        fixture_media.big.stat().st_size)
    user_agents = {r.headers.get("user-agent") for r in site.requests_to("/throttled/")}
    assert len(user_agents) == 1  # aria2c sends the same browser-like agent as Python
