"""The whole app, as ``mediadl serve`` runs it: the scheduler loop runs beside the job
dispatcher, a feed schedule's items are downloaded, and a later run downloads only the
new episode; no old enclosure is fetched again."""

from __future__ import annotations

from tests.conftest import wait_for_job
from tests.fixtures.site import episode_item
from tests.schedules.test_api import wait_for_run

BASE = "/api/v1/scheduler"


def schedule_jobs(client, headers, schedule_id: int) -> list[dict]:
    items = client.get("/api/v1/queue", params={"page_size": 100}, headers=headers).json()
    return [job for job in items["items"] if job["schedule_id"] == schedule_id]


def run_and_download(client, headers, schedule_id: int) -> dict:
    started = client.post(f"{BASE}/jobs/{schedule_id}/run", headers=headers)
    assert started.status_code == 202, started.text
    finished = wait_for_run(client, headers, started.json()["id"])
    for job in schedule_jobs(client, headers, schedule_id):
        assert wait_for_job(client, headers, job["id"])["status"] == "completed", job
    return finished


def enclosure_gets(site) -> dict[str, int]:
    counted: dict[str, int] = {}
    for entry in site.requests_to("/files/ep"):
        if entry.method == "GET":
            name = entry.path.split("?")[0].rsplit("/", 1)[-1]
            counted[name] = counted.get(name, 0) + 1
    return counted


def test_serve_runs_the_scheduler_and_a_feed_downloads_only_what_is_new(
        site, live_client, live_login):
    loop = live_client.app.state.scheduler._thread  # type: ignore[attr-defined]
    assert loop is not None and loop.is_alive()
    headers = live_login()
    created = live_client.post(f"{BASE}/jobs", headers=headers,
                               json={"url": site.url("/feed.xml"), "name": "Podcast"})
    schedule_id = created.json()["id"]

    first = run_and_download(live_client, headers, schedule_id)
    assert first["queued"] == 3
    fetched_before = enclosure_gets(site)
    assert set(fetched_before) == {"ep1.mp3", "ep2.mp3", "ep3.mp3"}

    site.feed_items.append(episode_item(4))
    second = run_and_download(live_client, headers, schedule_id)

    assert (second["new"], second["queued"]) == (1, 1)
    fetched_after = enclosure_gets(site)
    assert {name: count for name, count in fetched_after.items()
            if name != "ep4.mp3"} == fetched_before
    assert fetched_after.get("ep4.mp3")
    library = live_client.get("/api/v1/downloads", headers=headers).json()
    assert library["total"] == 4


def test_the_scheduler_loop_starts_and_stops_with_serve(settings, database):
    from fastapi.testclient import TestClient

    from mediadl.main import build_app

    app = build_app(settings)
    with TestClient(app):
        loop = app.state.scheduler._thread
        assert loop is not None and loop.is_alive()
    assert not loop.is_alive()


def test_the_loop_can_be_turned_off(settings, database):
    from fastapi.testclient import TestClient

    from mediadl.main import build_app

    settings.scheduler.enabled = False
    app = build_app(settings)
    with TestClient(app):
        assert app.state.scheduler._thread is None
