"""Looking at processes through /proc, for tests that must prove a process is gone."""

from __future__ import annotations

import os
from pathlib import Path


def is_alive(pid: int | str) -> bool:
    """A zombie is dead: it only waits for its parent to collect its exit code."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def job_processes(prefix: str = "mediadl-job-", data_dir: Path | None = None) -> list[int]:
    """Live job processes of this test (job processes name themselves ``prefix…``).

    Tests run in several pytest workers at once, so a name is not enough: a job process
    counts when it descends from this process, or - for a server that was killed, whose
    job processes lost their parent - when it runs with that server's ``data_dir``."""
    found = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            named = comm.read_text().startswith(prefix)
        except OSError:
            continue
        pid = int(comm.parent.name)
        if named and is_alive(pid) and _belongs(pid, data_dir):
            found.append(pid)
    return found


def _belongs(pid: int, data_dir: Path | None) -> bool:
    if data_dir is not None:
        entry = f"MEDIADL_DATA_DIR={data_dir}".encode()
        return entry in _environ(pid).split(b"\0")
    return os.getpid() in _ancestors(pid)


def _environ(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return b""


def _ancestors(pid: int) -> list[int]:
    chain = []
    while pid > 1:
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            break
        chain.append(pid)
    return chain
