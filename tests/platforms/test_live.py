"""The whole app, as `mediadl serve` runs it (dispatcher, job processes): a forum thread and
a page of images pasted into the same queue as everything else."""

from __future__ import annotations

import time

from tests.conftest import wait_for_job
from tests.fixtures.forum_pages import thread_path


def wait_for_children(client, headers, parent_id: int, count: int) -> list[dict]:
    """The parent's children once ``count`` of them finished (a bounded wait)."""
    deadline = time.monotonic() + 120
    while True:
        page = client.get(f"/api/v1/queue?parent_id={parent_id}&page_size=100",
                          headers=headers).json()["items"]
        finished = [job for job in page if job["status"] in ("completed", "failed")]
        if len(finished) >= count:
            return page
        assert time.monotonic() < deadline, page
        time.sleep(0.2)


def test_a_forum_thread_and_a_gallery_from_one_queue(live_client, live_login, site,
                                                     fixture_media):
    headers = live_login()
    thread = live_client.post("/api/v1/platforms/forum/thread", headers=headers,
                              json={"url": site.url(thread_path(1))}).json()
    gallery = live_client.post("/api/v1/queue", headers=headers,
                               json={"url": site.url("/gallery")}).json()
    assert wait_for_job(live_client, headers, thread["id"])["status"] == "completed"
    images = wait_for_children(live_client, headers, thread["id"], 7)
    assert [job["status"] for job in images] == ["completed"] * 7
    assert wait_for_job(live_client, headers, gallery["id"])["kind"] == "gallery"
    pictures = wait_for_children(live_client, headers, gallery["id"], 2)
    assert [job["status"] for job in pictures] == ["completed"] * 2

    library = live_client.get("/api/v1/downloads?page_size=100", headers=headers).json()
    wanted = {fixture_media.sha256[f"full{n}.jpg"] for n in range(1, 8)} | {
        fixture_media.digest("image.jpg"), fixture_media.digest("image2.png")}
    assert {item["sha256"] for item in library["items"]} == wanted
    assert library["total"] == 9
    assert not any(request.path == "/files/thumb.jpg" for request in site.requests)

    forum = live_client.get("/api/v1/platforms/forum", headers=headers).json()["status"]
    assert forum["state"] == "ok" and forum["success_count"] >= 8
