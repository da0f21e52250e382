"""Screenshots of every view at desktop and phone size, into docs/screenshots/.

The server gets a small, realistic state first (finished downloads of each kind, a queued,
a paused and a failed job, a schedule), so the pictures show the views in use.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, Server, log_in
from tests.e2e.ui import parse
from tests.fixtures.site import FixtureSite

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
FINISHED = ["/files/video.mp4", "/hls/master.m3u8", "/files/audio.mp3", "/files/image.jpg",
            "/files/image2.png", "/dash/manifest.mpd"]
# (file name, address, heading that shows the view is ready)
VIEWS = [
    ("dashboard", "/", "Dashboard"),
    ("queue", "/queue", "Queue"),
    ("scheduler", "/scheduler", "Scheduler"),
    ("history", "/history", "History"),
    ("statistics", "/stats", "Statistics"),
    ("logs", "/logs", "Logs"),
    ("settings-general", "/settings/general", "Settings"),
    ("settings-platforms", "/settings/platforms", "Settings"),
    ("settings-notifications", "/settings/notifications", "Settings"),
    ("settings-security", "/settings/security", "Settings"),
    ("settings-users", "/settings/users", "Settings"),
]


def _seed(server: Server, site: FixtureSite) -> None:
    for path in FINISHED:
        job = server.api("POST", "/api/v1/queue", json={"url": site.url(path)}).json()
        server.wait_for_job(job["id"])
    server.api("POST", "/api/v1/queue", json={"url": site.url("/status/404"), "priority": "high"})
    server.api("POST", "/api/v1/queue", json={"url": site.url("/files/ep1.mp3"), "paused": True})
    server.api("POST", "/api/v1/scheduler/jobs", json={
        "name": "Fixture podcast", "url": site.url("/feed.xml"), "cron": "0 3 * * *",
        "timezone": "Europe/Berlin"})


def _settle(page: Any) -> None:
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.wait_for_timeout(400)  # let transitions finish before the picture


def _shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _settle(page)
    # The library folder is a temporary path of the machine running the tests.
    private = page.get_by_label("Download dir", exact=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), mask=[private],
                    mask_color="#9e9e9e")


def _views(page: Any, size: str) -> None:
    for name, path, heading in VIEWS:
        page.goto(path)
        page.get_by_role("heading", name=heading, level=1).wait_for()
        _shoot(page, f"{name}-{size}")


def _special_views(page: Any, size: str, site: FixtureSite) -> None:
    parse(page, site.url("/hls/master.m3u8"))
    _shoot(page, f"queue-add-{size}")
    page.goto("/history")
    page.get_by_role("button", name="Open master", exact=True).click()
    page.get_by_test_id("player").wait_for()
    _shoot(page, f"player-{size}")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="List view").click()
    _shoot(page, f"history-list-{size}")
    page.get_by_role("button", name="Gallery view").click()
    page.get_by_role("tab", name="Duplicates").click()
    page.get_by_text(re.compile(r"^(Group 1|No duplicates found)")).first.wait_for()
    _shoot(page, f"duplicates-{size}")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_view_is_photographed(open_page, server, site, size):
    if not server.api("GET", "/api/v1/downloads", params={"page_size": 1}).json()["total"]:
        _seed(server, site)
    viewport = DESKTOP if size == "desktop" else PHONE
    watch = open_page(viewport, is_mobile=size == "phone", has_touch=size == "phone")
    page = watch.page
    page.goto("/login")
    _shoot(page, f"login-{size}")
    log_in(page)
    _views(page, size)
    _special_views(page, size, site)
    if size == "desktop":
        page.goto("/settings/general")
        page.get_by_label("Dark", exact=True).check()
        page.goto("/")
        page.get_by_role("heading", name="Dashboard", level=1).wait_for()
        _shoot(page, "dashboard-dark-desktop")
    watch.assert_clean()
    shots = sorted(path.name for path in SCREENSHOTS.glob(f"*-{size}.png"))
    assert len(shots) >= len(VIEWS) + 5, shots
