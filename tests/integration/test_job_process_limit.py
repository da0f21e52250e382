"""A job process ends after ``jobs.jobs_per_process`` jobs, and the job that would have come
next runs elsewhere, once: the process never offers itself for a job it will not run."""

from __future__ import annotations

import pytest

from mediadl.core.settings import Settings
from tests.conftest import wait_for_job

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.jobs.jobs_per_process = 2
    settings.max_concurrent_downloads = 1
    return settings


def test_jobs_past_a_process_limit_run_once_each(live_client, live_login, site):
    headers = live_login()
    ids = [live_client.post("/api/v1/queue", headers=headers,
                            json={"url": site.url(f"/files/image.jpg?n=limit-{n}")}).json()["id"]
           for n in range(5)]
    jobs = [wait_for_job(live_client, headers, job_id) for job_id in ids]
    assert [job["status"] for job in jobs] == ["completed"] * 5, jobs
    assert [job["attempts"] for job in jobs] == [1] * 5
    assert all(len(job["download_ids"]) == 1 for job in jobs)
