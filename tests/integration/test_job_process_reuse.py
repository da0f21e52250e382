"""The server starts one job process idle, so the first job does not wait for a fork; a job
process that finished cleanly runs the next job (ADR 0002); one that is killed or leaves a
program behind never does."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from mediadl.jobs import child
from tests.conftest import wait_for_job
from tests.processes import is_alive, job_processes

pytestmark = pytest.mark.timeout(180)


def _run(client, headers, url: str) -> dict:
    answer = client.post("/api/v1/queue", json={"url": url}, headers=headers)
    assert answer.status_code == 201, answer.text
    return wait_for_job(client, headers, answer.json()["id"])


def _idle_processes() -> set[int]:
    return set(job_processes(child.IDLE_NAME))


def _wait(predicate, seconds: float = 20) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _spare() -> int:
    """The job process the server starts idle, before any job comes."""
    assert _wait(lambda: len(_idle_processes()) == 1), "no spare job process after start-up"
    [spare] = _idle_processes()
    return spare


def test_the_first_job_runs_in_the_spare_process_started_with_the_server(
        live_client, live_login, site):
    headers = live_login()
    spare = _spare()
    answer = live_client.post("/api/v1/queue", headers=headers,
                              json={"url": site.url("/throttled/big.bin?rate=262144")})
    job_id = answer.json()["id"]
    assert _wait(lambda: job_processes(f"mediadl-job-{job_id}") == [spare])
    assert live_client.delete(f"/api/v1/queue/{job_id}", headers=headers).status_code == 204
    wait_for_job(live_client, headers, job_id, statuses=("canceled",))


def test_the_next_job_runs_in_the_idle_process_of_the_last(live_client, live_login, site):
    headers = live_login()
    idle = _spare()
    first = _run(live_client, headers, site.url("/files/image.jpg?n=1"))
    assert first["status"] == "completed", first
    assert _wait(lambda: _idle_processes() == {idle})

    second = _run(live_client, headers, site.url("/files/image2.png?n=2"))
    assert second["status"] == "completed", second
    assert _wait(lambda: _idle_processes() == {idle})
    assert first["download_ids"] != second["download_ids"]


def test_a_canceled_job_takes_its_reused_process_with_it(live_client, live_login, site,
                                                         settings):
    headers = live_login()
    reused = _spare()
    assert _run(live_client, headers, site.url("/files/image.jpg?n=3"))["status"] == "completed"
    assert _wait(lambda: _idle_processes() == {reused})

    answer = live_client.post("/api/v1/queue", headers=headers,
                              json={"url": site.url("/throttled/big.bin?rate=131072")})
    job_id = answer.json()["id"]
    assert _wait(lambda: job_processes(f"mediadl-job-{job_id}") == [reused])
    assert live_client.delete(f"/api/v1/queue/{job_id}", headers=headers).status_code == 204
    assert wait_for_job(live_client, headers, job_id,
                        statuses=("canceled",))["status"] == "canceled"
    assert _wait(lambda: not is_alive(reused))
    assert _wait(lambda: not (settings.work_dir / f"job-{job_id}").exists())


# In a fresh interpreter: the test process itself has children (servers, the forkserver).
LEFTOVERS = """
import subprocess, sys, threading
from mediadl.jobs.child import _clean
baseline = threading.active_count()
assert _clean(baseline)
program = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
assert not _clean(baseline), "a program left running"
program.kill(); program.wait()
assert _clean(baseline)
stop = threading.Event()
thread = threading.Thread(target=stop.wait); thread.start()
assert not _clean(baseline), "a thread left running"
stop.set(); thread.join()
assert _clean(baseline)
"""


def test_a_job_that_leaves_a_program_or_thread_running_does_not_hand_its_process_on():
    finished = subprocess.run([sys.executable, "-c", LEFTOVERS], capture_output=True,
                              text=True, timeout=60, check=False)
    assert finished.returncode == 0, finished.stderr
