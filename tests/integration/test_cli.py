"""The command line: `mediadl get`, `users add`, `db upgrade`, as a person runs them."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mediadl.cli.app import app
from mediadl.security import outbound
from tests.security.test_ssrf import Recorder, stub_getaddrinfo

MEDIADL = str(Path(sys.executable).with_name("mediadl"))


def _run(*args: str, stdin: str | None = None, data_dir: Path | None = None):
    env = {**os.environ, "MEDIADL_ALLOW_PRIVATE_NETWORKS": "true",
           "MEDIADL_DOWNLOADS__RETRIES": "1", "MEDIADL_DOWNLOADS__SOCKET_TIMEOUT_SECONDS": "3"}
    if data_dir is not None:
        env["MEDIADL_DATA_DIR"] = str(data_dir)
    return subprocess.run([MEDIADL, *args], input=stdin, text=True, capture_output=True,
                          env=env, timeout=120)


def test_get_downloads_one_file_with_a_readable_name(tmp_path, site, fixture_media):
    result = _run("get", site.url("/page/video"), "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    saved = [Path(line) for line in result.stdout.splitlines()]
    assert len(saved) == 1 and saved[0].parent == tmp_path
    assert saved[0].suffix == ".mp4"
    digest = hashlib.sha256(saved[0].read_bytes()).hexdigest()
    assert digest == fixture_media.digest("video.mp4")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".mediadl-")]


def test_get_a_feed_downloads_every_episode(tmp_path, site):
    result = _run("get", site.url("/feed.xml"), "-q", "audio", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == len(site.feed_items)


def test_get_fails_with_one_line_reason(tmp_path, site):
    result = _run("get", site.url("/status/404"), "-o", str(tmp_path))
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "404" in lines[0]
    assert "Traceback" not in result.stderr


def test_get_reports_a_file_system_error_in_one_line(tmp_path, site):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = _run("get", site.url("/page/video"), "-o", str(blocker / "sub"))
    assert result.returncode == 1
    assert result.stderr.startswith("error: Not a directory: ")
    assert len(result.stderr.splitlines()) == 1 and str(blocker) in result.stderr


def test_get_shows_the_traceback_only_when_asked(tmp_path, site):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = _run("get", "--debug", site.url("/page/video"), "-o", str(blocker / "sub"))
    assert result.returncode == 1 and "Traceback" in result.stderr


def test_get_takes_the_title_length_from_settings(tmp_path, site, monkeypatch):
    monkeypatch.setenv("MEDIADL_DOWNLOADS__MAX_TITLE_LENGTH", "20")
    result = _run("get", site.url("/page/video"), "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    saved = Path(result.stdout.strip())
    assert len(saved.stem.encode()) <= 20 + len(" []") + 64  # title stem + "[id]"
    monkeypatch.setenv("MEDIADL_DOWNLOADS__MAX_TITLE_LENGTH", "9000")
    refused = _run("get", site.url("/page/video"), "-o", str(tmp_path))
    assert refused.returncode == 1 and "max_title_length" in refused.stderr
    assert len(refused.stderr.splitlines()) == 1 and "Traceback" not in refused.stderr


# --- the outbound guard, as in the server ------------------------------------------------
# In-process, so test names resolve through the stub resolver of the SSRF tests and a
# recorder stands in for connect(): no packet can leave loopback, even if the guard failed.


@pytest.fixture
def recorder(monkeypatch):
    recording = Recorder(socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto)

    # Plain functions, so they bind to the socket like the methods they replace (the guard,
    # when installed, wraps these).
    def connect(sock, address):
        return recording.connect(sock, address)

    def connect_ex(sock, address):
        return recording.connect_ex(sock, address)

    def sendto(sock, data, *rest):
        return recording.sendto(sock, data, *rest)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", sendto)
    monkeypatch.setattr(socket, "getaddrinfo", stub_getaddrinfo([]))
    yield recording
    outbound.uninstall()


def _get_in_process(monkeypatch, allow: bool, *args: str):
    monkeypatch.setenv("MEDIADL_ALLOW_PRIVATE_NETWORKS", "true" if allow else "false")
    monkeypatch.setenv("MEDIADL_DOWNLOADS__RETRIES", "0")
    monkeypatch.delenv("MEDIADL_DEBUG", raising=False)
    return CliRunner().invoke(app, ["get", *args])


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize("host", ["internal.test", "metadata.test", "ula.test", "loop.test"])
def test_get_refuses_a_name_that_resolves_to_a_blocked_address(tmp_path, monkeypatch,
                                                              recorder, host):
    result = _get_in_process(monkeypatch, False, f"http://{host}:8080/video.mp4",
                             "-o", str(tmp_path))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.stderr
    line = _one_error_line(result.stderr)
    assert "MEDIADL_ALLOW_PRIVATE_NETWORKS" in line or "not allowed" in line, line
    assert recorder.foreign == []
    assert all(address[0] != "127.0.0.1" for address in recorder.seen
               if isinstance(address, tuple)), "the guard let a connection through"


@pytest.mark.parametrize("url", ["http://10.0.0.5/x.mp4", "http://169.254.169.254/latest/",
                                 "http://0177.0.0.1/x.mp4", "http://localhost/x.mp4"])
def test_get_refuses_a_blocked_address_spelled_out(tmp_path, monkeypatch, recorder, url):
    result = _get_in_process(monkeypatch, False, url, "-o", str(tmp_path))
    assert result.exit_code == 1
    assert "MEDIADL_ALLOW_PRIVATE_NETWORKS" in _one_error_line(result.stderr)
    assert recorder.seen == []


def test_get_honours_allow_private_networks(tmp_path, monkeypatch, recorder, site,
                                            fixture_media):
    url = f"http://loop.test:{site.port}/page/video"  # the stub resolves it to 127.0.0.1
    refused = _get_in_process(monkeypatch, False, url, "-o", str(tmp_path / "refused"))
    assert refused.exit_code == 1
    allowed = _get_in_process(monkeypatch, True, url, "-o", str(tmp_path / "allowed"))
    assert allowed.exit_code == 0, allowed.output
    saved = Path(allowed.stdout.strip())
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == fixture_media.digest("video.mp4")
    assert recorder.foreign == []


def test_get_refuses_flags_and_bad_qualities(tmp_path):
    assert _run("get", "--", "-o/etc/passwd").returncode != 0
    bad_quality = _run("get", "https://example.invalid/x", "-q", "9000")
    assert bad_quality.returncode == 1 and "unknown quality" in bad_quality.stderr


def test_users_add_then_db_upgrade(tmp_path):
    data_dir = tmp_path / "data"
    created = _run("users", "add", "root", "--role", "admin", "--password-stdin",
                   stdin="long enough password\n", data_dir=data_dir)
    assert created.returncode == 0, created.stderr
    assert "admin 'root'" in created.stdout
    again = _run("users", "add", "ROOT", "--password-stdin", stdin="long enough password\n",
                 data_dir=data_dir)
    assert again.returncode == 2 and "error:" in again.stderr
    short = _run("users", "add", "bob", "--password-stdin", stdin="short\n", data_dir=data_dir)
    assert short.returncode == 2
    assert (data_dir / "secret.key").stat().st_mode & 0o777 == 0o600
    assert _run("db", "upgrade", data_dir=data_dir).returncode == 0
