"""The whole pipeline in one process: API → queue → dispatcher → job process → yt-dlp →
library, against the local fixture site."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import wait_for_job
from tests.processes import is_alive, job_processes

pytestmark = pytest.mark.timeout(180)


def _enqueue(client, headers, url, **body):
    answer = client.post("/api/v1/queue", json={"url": url, **body}, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _download(client, headers, job):
    assert job["download_ids"], job
    answer = client.get(f"/api/v1/downloads/{job['download_ids'][0]}", headers=headers)
    assert answer.status_code == 200
    return answer.json()


def _file_bytes(client, headers, download):
    answer = client.get(download["file_url"], headers=headers)
    assert answer.status_code == 200
    return answer.content


def _streams(path: Path) -> dict[str, dict]:
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
                           capture_output=True, text=True, check=True)
    return {s["codec_type"]: s for s in json.loads(probe.stdout)["streams"]}


def _library_file(settings, download) -> Path:
    path = (settings.library_dir / download["filename"]).resolve()
    assert path.is_relative_to(settings.library_dir.resolve())
    return path


def test_direct_file_lands_in_library_with_range(live_client, live_login, site, fixture_media):
    headers = live_login()
    job = wait_for_job(live_client, headers, _enqueue(live_client, headers,
                                                      site.url("/files/video.mp4"))["id"])
    assert job["status"] == "completed", job
    assert job["progress"]["percent"] == 100.0
    download = _download(live_client, headers, job)
    body = _file_bytes(live_client, headers, download)
    assert hashlib.sha256(body).hexdigest() == fixture_media.digest("video.mp4")
    assert download["sha256"] == fixture_media.digest("video.mp4")
    assert (download["width"], download["height"]) == (640, 360)
    partial = live_client.get(download["file_url"], headers={**headers, "Range": "bytes=100-199"})
    assert partial.status_code == 206
    assert partial.content == body[100:200]


def test_hls_respects_the_quality_ceiling(live_client, live_login, site, settings):
    headers = live_login()
    ladder = site.url("/hls_ladder/master.m3u8")
    # One after the other: the same stream at another quality is a new download, never
    # "already downloaded" because a lower quality of it is in the library.
    for quality, height in (("360", 360), ("best", 480), ("1080", 480)):
        job = wait_for_job(live_client, headers,
                           _enqueue(live_client, headers, ladder, quality=quality)["id"])
        assert job["status"] == "completed", job
        download = _download(live_client, headers, job)
        assert _streams(_library_file(settings, download))["video"]["height"] == height
    again = wait_for_job(live_client, headers,
                         _enqueue(live_client, headers, ladder, quality="360")["id"])
    assert again["status"] == "completed" and again["error"].startswith("Skipped"), again


def test_dash_is_merged_and_audio_preset_drops_video(live_client, live_login, site, settings):
    headers = live_login()
    merged = wait_for_job(live_client, headers,
                          _enqueue(live_client, headers, site.url("/dash/manifest.mpd"))["id"])
    assert merged["status"] == "completed", merged
    streams = _streams(_library_file(settings, _download(live_client, headers, merged)))
    assert {"video", "audio"} <= set(streams)
    audio = wait_for_job(live_client, headers, _enqueue(
        live_client, headers, site.url("/files/video.mp4"), quality="audio")["id"])
    assert audio["status"] == "completed", audio
    download = _download(live_client, headers, audio)
    assert set(_streams(_library_file(settings, download))) == {"audio"}
    assert download["kind"] == "audio"


def test_feed_becomes_a_parent_with_child_jobs(live_client, live_login, site):
    headers = live_login()
    parent = wait_for_job(live_client, headers,
                          _enqueue(live_client, headers, site.url("/feed.xml"))["id"])
    assert parent["status"] == "completed", parent
    children = live_client.get(f"/api/v1/queue?parent_id={parent['id']}", headers=headers).json()
    assert children["total"] == len(site.feed_items) >= 2
    for child in children["items"]:
        done = wait_for_job(live_client, headers, child["id"])
        assert done["status"] == "completed", done
        assert len(done["download_ids"]) == 1
    digests = {_download(live_client, headers, wait_for_job(live_client, headers, c["id"]))
               ["sha256"] for c in children["items"]}
    assert len(digests) == children["total"]


def test_hostile_title_gives_a_safe_name_and_keeps_the_title(live_client, live_login, site,
                                                               settings):
    from tests.fixtures.site import HOSTILE_TITLE

    headers = live_login()
    job = wait_for_job(live_client, headers,
                       _enqueue(live_client, headers, site.url("/page/hostile"))["id"])
    assert job["status"] == "completed", job
    download = _download(live_client, headers, job)
    assert download["title"] == HOSTILE_TITLE
    path = _library_file(settings, download)
    assert path.is_file()
    assert ".." not in Path(download["filename"]).parts
    assert all(ch not in path.name for ch in '/<>:"|?*\\')


def test_flaky_server_still_gives_the_right_bytes(live_client, live_login, site, fixture_media):
    site.flaky_drops = 2
    headers = live_login()
    job = wait_for_job(live_client, headers,
                       _enqueue(live_client, headers, site.url("/flaky/video.mp4"))["id"])
    assert job["status"] == "completed", job
    body = _file_bytes(live_client, headers, _download(live_client, headers, job))
    assert hashlib.sha256(body).hexdigest() == fixture_media.digest("video.mp4")
    assert len(site.requests_to("/flaky/")) >= 3  # it really was cut off and resumed


@pytest.mark.parametrize(("path", "attempts"), [("/status/404", 1), ("/status/403", 1),
                                                ("/status/500", 3), ("/status/503", 3),
                                                ("/hang", 3)])
def test_failures_end_with_a_reason(live_client, live_login, site, path, attempts):
    site.hang_seconds = 10
    headers = live_login()
    job = wait_for_job(live_client, headers, _enqueue(live_client, headers, site.url(path))["id"],
                       timeout=120)
    assert job["status"] == "failed"
    assert job["error"] and "Traceback" not in job["error"]
    assert job["attempts"] == attempts


def test_cancel_kills_the_process_and_removes_partial_files(live_client, live_login, site,
                                                              settings):
    headers = live_login()
    job = _enqueue(live_client, headers, site.url("/throttled/big.bin?rate=262144"))
    running = wait_for_job(live_client, headers, job["id"], statuses=("running",))
    deadline = time.monotonic() + 30
    while running["progress"]["downloaded_bytes"] == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
        running = live_client.get(f"/api/v1/queue/{job['id']}", headers=headers).json()
    job_dir = settings.work_dir / f"job-{job['id']}"
    assert job_dir.exists()
    job_pids = job_processes(f"mediadl-job-{job['id']}")
    assert job_pids
    assert live_client.delete(f"/api/v1/queue/{job['id']}", headers=headers).status_code == 204
    canceled = wait_for_job(live_client, headers, job["id"], statuses=("canceled",))
    assert canceled["status"] == "canceled"
    deadline = time.monotonic() + 10
    while job_dir.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not job_dir.exists()
    assert not [pid for pid in job_pids if is_alive(pid)]


def test_poison_job_fails_after_its_attempts(live_client, live_login):
    headers = live_login()
    job = _enqueue(live_client, headers, "https://fake.invalid/video/poison?fail=crash")
    done = wait_for_job(live_client, headers, job["id"], timeout=120)
    assert done["status"] == "failed"
    assert done["attempts"] == 3
    assert "ended unexpectedly" in done["error"]


def test_parse_shows_formats_qualities_and_entries(live_client, live_login, site):
    headers = live_login()
    hls = live_client.post("/api/v1/parse", json={"url": site.url("/hls/master.m3u8")},
                           headers=headers)
    assert hls.status_code == 200, hls.text
    assert {f["height"] for f in hls.json()["formats"]} >= {180, 360}
    assert "360" in hls.json()["qualities"] and "1080" not in hls.json()["qualities"]
    feed = live_client.post("/api/v1/parse", json={"url": site.url("/feed.xml")},
                            headers=headers).json()
    assert feed["kind"] == "playlist"
    assert feed["entry_count"] == len(feed["entries"]) == len(site.feed_items)
    missing = live_client.post("/api/v1/parse", json={"url": site.url("/status/404")},
                               headers=headers)
    assert missing.status_code == 400
    assert missing.json()["error"] == "BadRequest"
