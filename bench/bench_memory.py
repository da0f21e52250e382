"""6. Memory: the resident size of an idle ``mediadl serve``, and what each running download
adds (RSS, and PSS, which shares the pages a job process inherits from its template fairly).

Three downloads run at once from a server that paces each connection, so they are caught
mid-transfer.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from pathlib import Path

from bench.common import (
    MIB,
    Mediadl,
    Row,
    arguments,
    fixture_site,
    print_table,
    random_file,
)

RUNNING = 3
SETTLE_SECONDS = 3.0


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB, from /proc."""
    rss = pss = 0
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    return rss, pss


def named(pids: list[int], prefix: str) -> list[int]:
    found = []
    for pid in pids:
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/comm").read_text().startswith(prefix):
                found.append(pid)
    return found


def run(rounds: int) -> list[Row]:
    del rounds
    random_file("capped-128m.bin", 128 * MIB)
    with fixture_site() as site, Mediadl(workers=RUNNING) as mediadl:
        time.sleep(SETTLE_SECONDS)
        assert mediadl.process is not None
        idle_rss, idle_pss = memory_kib(mediadl.process.pid)
        url = site.url(f"/extra/capped-128m.bin?rate={MIB}")
        jobs = [mediadl.enqueue(f"{url}&copy={n}") for n in range(RUNNING)]
        job_pids = wait_for_running(mediadl, RUNNING)
        per_job = [memory_kib(pid) for pid in job_pids]
        for job_id in jobs:
            mediadl.client.delete(f"/api/v1/queue/{job_id}")
    rss = statistics.median(r for r, _ in per_job) / 1024
    pss = statistics.median(p for _, p in per_job) / 1024
    return [
        Row("memory: idle serve", f"RSS {idle_rss / 1024:.0f} MiB (PSS {idle_pss / 1024:.0f})",
            "-", "-", "(printed)", ""),
        Row("memory: per running download", f"RSS {rss:.0f} MiB, PSS {pss:.0f} MiB",
            "-", "-", "(printed)", ""),
    ]


def wait_for_running(mediadl: Mediadl, count: int) -> list[int]:
    """The job processes, once each has been transferring for a moment."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        pids = named(mediadl.pids(), "mediadl-job-")
        running = mediadl.client.get("/api/v1/queue", params={"status": "running"}).json()
        moving = [job for job in running["items"] if job["progress"]["downloaded_bytes"]]
        if len(pids) >= count and len(moving) >= count:
            time.sleep(1.0)  # a few connections in, buffers at their working size
            return named(mediadl.pids(), "mediadl-job-")
        time.sleep(0.2)
    raise RuntimeError("the downloads did not start")


if __name__ == "__main__":
    print_table(run(arguments(__doc__ or "", rounds=1).rounds))
