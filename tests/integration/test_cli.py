"""The command line: `mediadl get`, `users add`, `db upgrade`, as a person runs them."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

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
