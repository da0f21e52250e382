"""Throwaway database servers for the tests, started from the installed binaries.

A fresh machine has PostgreSQL's binaries (the Makefile installs Debian's package) but no
running server we may use, so the tests make their own cluster in a temporary folder,
listening only on a Unix socket and 127.0.0.1 at a free port.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postgres_bin_dir() -> Path | None:
    """Debian's server binaries (off PATH), else a full installation found on PATH."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _as_server_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; as root we run it as the 'postgres' account."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _chown_for_server(path: Path) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(path, entry.pw_uid, entry.pw_gid)


@contextmanager
def postgres_server(root: Path) -> Iterator[str]:
    """Yields a SQLAlchemy URL of a fresh, empty database; removes everything afterwards."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL binaries are missing (Debian package 'postgresql')")
    root.mkdir(parents=True, exist_ok=True)
    _chown_for_server(root)
    data, port = root / "data", free_port()
    subprocess.run(_as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "mediadl",
                                    "-A", "trust", "--no-sync", "-E", "UTF8"]),
                   check=True, capture_output=True)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options,
                                    "-l", str(root / "server.log"), "-w", "start"]),
                   check=True, capture_output=True)
    try:
        _create_database(bin_dir, root, port)
        yield f"postgresql+psycopg://mediadl@127.0.0.1:{port}/mediadl"
    finally:
        subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m",
                                        "immediate", "stop"]), capture_output=True)


def _create_database(bin_dir: Path, root: Path, port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        made = subprocess.run([str(bin_dir / "createdb"), "-h", str(root), "-p", str(port),
                               "-U", "mediadl", "mediadl"], capture_output=True, text=True)
        if made.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if made.returncode != 0:
        raise RuntimeError(f"createdb failed: {made.stderr.strip()}")


def redis_binary() -> str | None:
    return shutil.which("redis-server")


class RedisProcess:
    """A throwaway Redis on 127.0.0.1 that keeps nothing on disk; restartable on its port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisProcess:
        binary = redis_binary()
        if binary is None:
            raise RuntimeError("redis-server is missing (Debian package 'redis-server')")
        self._process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None


@contextmanager
def redis_server(port: int | None = None) -> Iterator[str]:
    redis = RedisProcess(port).start()
    try:
        yield redis.url
    finally:
        redis.stop()


def _wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")
