"""The web UI in Debian's Chromium against a real `mediadl serve` and the fixture site."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import PHONE, USER
from tests.e2e.ui import PROGRESS_RECORDER, SEEK_AND_PLAY, choose, newest_job, parse, wait_for
from tests.fixtures.site import FixtureSite

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

def test_login_uses_the_contract_labels_and_shows_the_server_sentence(open_page, server):
    watch = open_page()
    page = watch.page
    page.goto("/queue")
    page.wait_for_url(re.compile(r"/login\?redirect="))
    page.get_by_label("Username", exact=True).fill("admin")
    page.get_by_label("Password", exact=True).fill("wrong password, surely")
    page.get_by_role("button", name="Log in", exact=True).click()
    alert = page.locator(".v-alert[role=alert]")
    alert.wait_for()
    assert alert.inner_text().strip()
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_role("button", name="Log in", exact=True).click()
    # Back where the person wanted to go.
    page.get_by_role("heading", name="Queue", level=1).wait_for()
    assert page.url.endswith("/queue")
    # A reload keeps the session (refresh cookie), without storing a token in the page.
    page.reload()
    page.get_by_role("heading", name="Queue", level=1).wait_for()
    stored = page.evaluate("JSON.stringify(Object.assign({}, localStorage, sessionStorage))")
    assert "eyJ" not in stored  # no JWT kept where a script could read it later
    watch.console_errors.clear()  # the refused password is logged by the browser as a 401
    watch.assert_clean()


def test_parse_and_download_at_a_chosen_quality_while_progress_moves(logged_in, server,
                                                                      site: FixtureSite):
    site.segment_delay = 1.0  # three HLS segments: the download takes a few seconds
    watch = logged_in()
    page = watch.page
    parse(page, site.url("/slowhls/master.m3u8"))
    assert page.get_by_test_id("parsed-title").inner_text() == "master"
    choose(page, "Quality", "360p")
    page.evaluate(PROGRESS_RECORDER)
    page.get_by_role("button", name="Download", exact=True).click()
    page.get_by_text("Added to the queue").wait_for()
    row = page.get_by_test_id("job-row").filter(has_text="master").first
    row.get_by_text("Completed").wait_for(timeout=90_000)
    seen = [value for title, value in page.evaluate("window.__progress") if title == "master"]
    assert any(0 < value < 100 for value in seen), seen
    assert seen[-1] == 100
    moving = [value for value in seen if 0 < value < 100]
    assert moving == sorted(moving)
    job = newest_job(server)
    assert job["quality"] == "360" and job["status"] == "completed"
    watch.assert_clean()


def test_history_shows_the_download_and_the_player_seeks(logged_in, server, site):
    job = server.api("POST", "/api/v1/queue", json={"url": site.url("/files/video.mp4")}).json()
    finished = server.wait_for_job(job["id"])
    assert finished["status"] == "completed"
    # The same bytes may already be in the library (then the job links to that download).
    download = server.api("GET", f"/api/v1/downloads/{finished['download_ids'][0]}").json()
    watch = logged_in()
    page = watch.page
    page.goto("/history")
    page.get_by_role("button", name=f"Open {download['title']}", exact=True).first.click()
    player = page.get_by_test_id("player")
    player.wait_for()
    # Streamed straight from the file route (the media cookie), not fetched into memory.
    assert player.get_attribute("src") == f"/api/v1/downloads/{download['id']}/file?inline=true"
    link = page.get_by_test_id("download")
    assert link.get_attribute("href") == f"/api/v1/downloads/{download['id']}/file"
    assert link.get_attribute("download")
    state = page.evaluate(SEEK_AND_PLAY)
    assert state["error"] is None
    assert state["duration"] > 2
    assert state["time"] > 1.5 and not state["paused"]
    watch.assert_clean()


def test_search_narrows_the_library(logged_in, server, site):
    for name in ("audio.mp3", "image.jpg"):
        job = server.api("POST", "/api/v1/queue", json={"url": site.url(f"/files/{name}")}).json()
        server.wait_for_job(job["id"])
    watch = logged_in()
    page = watch.page
    page.goto("/history")
    status = page.get_by_role("status").filter(has_text="item")
    status.filter(has_text=re.compile(r"^[2-9]|\d\d")).wait_for()
    page.get_by_label("Search the library", exact=True).fill("audio")
    status.filter(has_text=re.compile(r"^1 item$")).wait_for()
    assert page.get_by_role("button", name=re.compile(r"^Open audio")).count() == 1
    page.get_by_role("button", name="List view").click()
    page.get_by_role("cell", name=re.compile("audio")).first.wait_for()
    watch.assert_clean()


def test_a_phone_sized_screen_works(logged_in, site):
    watch = logged_in(PHONE, is_mobile=True, has_touch=True)
    page = watch.page
    page.get_by_role("button", name="Open navigation").click()
    page.get_by_role("link", name="Queue", exact=True).click()
    page.get_by_role("heading", name="Queue", level=1).wait_for()
    page.get_by_label("URL", exact=True).fill(site.url("/files/audio.m4a"))
    page.get_by_role("button", name="Parse", exact=True).click()
    page.get_by_role("button", name="Download", exact=True).click()
    page.get_by_text("Added to the queue").wait_for()
    for path in ("/", "/queue", "/history", "/settings"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} scrolls sideways ({width}px)"
    watch.assert_clean()


def test_a_user_sees_no_admin_views(logged_in):
    watch = logged_in(username=USER)
    page = watch.page
    assert page.get_by_role("link", name="Logs").count() == 0
    page.goto("/settings")
    page.get_by_role("tab", name="Security").wait_for()
    assert page.get_by_role("tab", name="Users").count() == 0
    # Leaving while the page load's token refresh is in flight would replay the old
    # refresh token (and end the session): go on once the page is quiet.
    page.wait_for_load_state("networkidle")
    page.goto("/logs")
    page.get_by_role("heading", name="Dashboard", level=1).wait_for()
    watch.assert_clean()


def test_the_theme_setting_is_remembered(logged_in):
    watch = logged_in()
    page = watch.page
    page.goto("/settings/general")
    page.get_by_label("Dark", exact=True).check()
    page.locator(".v-theme--dark").first.wait_for()
    page.reload()
    page.get_by_role("heading", name="Settings", level=1).wait_for()
    assert page.locator(".v-application.v-theme--dark").count() == 1
    page.get_by_label("Light", exact=True).check()
    page.locator(".v-application.v-theme--light").wait_for()
    watch.assert_clean()


def test_a_schedule_is_created_and_run_now(logged_in, server, site):
    watch = logged_in()
    page = watch.page
    page.goto("/scheduler")
    page.get_by_role("button", name="New schedule").first.click()
    page.get_by_label("Name", exact=True).fill("Fixture podcast")
    page.get_by_label("Source URL", exact=True).fill(site.url("/feed.xml"))
    page.get_by_text("Every night at 03:00").click()
    page.get_by_text("Every day at 03:00").wait_for()  # the cron helper, in words
    page.get_by_role("button", name="Save schedule").click()
    card = page.get_by_test_id("schedule").filter(has_text="Fixture podcast")
    card.wait_for()
    card.get_by_role("button", name="Run now").click()
    page.get_by_text("is running").wait_for()
    schedule_id = server.api("GET", "/api/v1/scheduler/jobs").json()["items"][0]["id"]
    wait_for(lambda: server.api("GET", "/api/v1/scheduler/history",
                                 params={"job_id": schedule_id}).json()["items"], "a recorded run")
    card.get_by_role("button", name="History").click()
    page.get_by_role("dialog").get_by_role("row").nth(1).wait_for()
    watch.assert_clean()


def test_shared_links_and_the_bookmarklet_land_in_the_add_flow(logged_in, server, site):
    manifest = server.api("GET", "/manifest.webmanifest").json()
    assert manifest["share_target"]["action"] == "/share"
    watch = logged_in()
    page = watch.page
    link = site.url("/files/audio.mp3")
    page.goto(f"/share?title=Listen&text=Listen+to+this+{link}")
    page.wait_for_url(re.compile(r"/queue\?url="))
    assert page.get_by_label("URL", exact=True).input_value() == link
    page.get_by_role("button", name="Download", exact=True).wait_for(timeout=60_000)
    page.goto("/settings/general")
    bookmarklet = page.get_by_role("link", name="Send to mediadl").get_attribute("href")
    assert bookmarklet.startswith("javascript:")
    assert f"{server.base_url}/queue?url=" in bookmarklet and "Bearer" not in bookmarklet
    watch.assert_clean()


def test_the_service_worker_caches_the_app_shell_only(logged_in):
    watch = logged_in()
    page = watch.page
    page.goto("/history")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    # A reload that aborts a token refresh in flight would replay the old refresh token
    # (and so end the session); reload once the page is quiet, as a person would.
    page.wait_for_load_state("networkidle")
    page.reload()  # now under the worker's control
    page.get_by_role("heading", name="History", level=1).wait_for()
    cached = page.evaluate("""async () => {
      const urls = [];
      for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
      }
      return urls;
    }""")
    assert "/" in cached and any(url.startswith("/assets/") for url in cached)
    assert not [url for url in cached if url.startswith("/api/")]
    watch.assert_clean()


def test_an_admin_changes_a_server_setting(logged_in, server):
    before = server.api("GET", "/api/v1/settings").json()["retry_attempts"]
    wanted = before + 1
    watch = logged_in()
    page = watch.page
    page.goto("/settings/general")
    field = page.get_by_label("Retry attempts", exact=True)
    field.fill(str(wanted))
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Settings saved.").wait_for()
    assert server.api("GET", "/api/v1/settings").json()["retry_attempts"] == wanted
    page.reload()
    assert page.get_by_label("Retry attempts", exact=True).input_value() == str(wanted)
    watch.assert_clean()


def test_the_log_viewer_filters_by_job_and_downloads_what_it_shows(logged_in, server, site):
    job = server.api("POST", "/api/v1/queue", json={"url": site.url("/status/404")}).json()
    server.wait_for_job(job["id"])
    expected = server.api("GET", "/api/v1/logs", params={"job_id": job["id"]}).json()["total"]
    assert expected > 0
    watch = logged_in()
    page = watch.page
    page.goto("/logs")
    page.get_by_label("Job id", exact=True).fill(str(job["id"]))
    page.get_by_test_id("log-status").filter(has_text=f"{expected} matching").wait_for()
    with page.expect_download() as saved:
        page.get_by_role("button", name="Download", exact=True).click()
    records = [json.loads(line) for line in Path(saved.value.path()).read_text().splitlines()]
    assert records and {record["job_id"] for record in records} == {job["id"]}
    watch.assert_clean()


def test_notification_choices_are_kept_on_the_account(logged_in, server):
    watch = logged_in(username=USER)
    page = watch.page
    page.goto("/settings/general")
    page.get_by_label("a download completes", exact=True).uncheck()
    wait_for(lambda: "download_completed" not in server.api(
        "GET", "/api/v1/settings/me", username=USER).json()["browser_events"], "the saved choice")
    page.get_by_label("Show notifications in the web UI", exact=True).uncheck()
    wait_for(lambda: server.api("GET", "/api/v1/settings/me", username=USER).json()[
        "browser_notifications"] is False, "notifications off")
    page.reload()
    page.get_by_role("heading", name="Settings", level=1).wait_for()
    switch = page.get_by_label("Show notifications in the web UI", exact=True)
    wait_for(lambda: switch.is_enabled() and not switch.is_checked(), "the choice read back")
    watch.assert_clean()
