"""A job for a link that names a media file asks the server once: the transfer's first
answer is its probe. A link that only looks like a file still ends in the right file."""

from __future__ import annotations

import time

import pytest

from tests.conftest import wait_for_job

pytestmark = pytest.mark.timeout(180)


def _run(client, headers, url: str) -> dict:
    answer = client.post("/api/v1/queue", json={"url": url}, headers=headers)
    assert answer.status_code == 201, answer.text
    return wait_for_job(client, headers, answer.json()["id"])


def test_a_direct_file_job_makes_one_request(live_client, live_login, site):
    headers = live_login()
    site.clear_log()
    job = _run(live_client, headers, site.url("/files/image.jpg?n=direct-once"))
    assert job["status"] == "completed", job
    assert (job["engine"], job["kind"], job["title"]) == ("http", "image", "image")
    assert [r.method for r in site.requests_to("/files/image.jpg")] == ["GET"]


def test_a_web_page_behind_a_file_link_goes_to_yt_dlp(live_client, live_login, site):
    headers = live_login()
    job = _run(live_client, headers, site.url("/page/clip.mp4"))
    assert job["status"] == "completed", job
    download = live_client.get(f"/api/v1/downloads/{job['download_ids'][0]}",
                               headers=headers).json()
    assert download["filename"].endswith(".mp4") and download["kind"] == "video"
    assert any(r.path.startswith("/files/video.mp4") for r in site.requests)


def test_what_the_link_says_is_kept_when_the_download_fails(live_client, live_login, site):
    headers = live_login()
    job = _run(live_client, headers, site.url("/files/missing-clip.mp4"))
    assert job["status"] == "failed", job
    assert (job["kind"], job["title"]) == ("video", "missing-clip")
    assert "404" in (job["error"] or "") or "not found" in (job["error"] or "").lower()


def test_a_long_download_shows_what_it_is_while_it_runs(live_client, live_login, site):
    headers = live_login()
    answer = live_client.post("/api/v1/queue", headers=headers,
                              json={"url": site.url("/throttled/big.bin?rate=1048576")})
    job_id = answer.json()["id"]

    def seen() -> dict:
        return live_client.get(f"/api/v1/queue/{job_id}", headers=headers).json()

    job = seen()
    for _ in range(200):
        if job["status"] == "running" and job["progress"]["downloaded_bytes"]:
            break
        time.sleep(0.05)
        job = seen()
    assert job["status"] == "running", job
    assert (job["kind"], job["title"], job["source"]) == ("file", "big", "127.0.0.1")
    assert live_client.delete(f"/api/v1/queue/{job_id}", headers=headers).status_code == 204
