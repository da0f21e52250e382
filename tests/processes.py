"""Looking at processes through /proc, for tests that must prove a process is gone."""

from __future__ import annotations

from pathlib import Path


def is_alive(pid: int | str) -> bool:
    """A zombie is dead: it only waits for its parent to collect its exit code."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def job_processes(prefix: str = "mediadl-job-") -> list[int]:
    """Live processes whose name starts with ``prefix`` (job processes name themselves)."""
    found = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            named = comm.read_text().startswith(prefix)
        except OSError:
            continue
        if named and is_alive(comm.parent.name):
            found.append(int(comm.parent.name))
    return found
