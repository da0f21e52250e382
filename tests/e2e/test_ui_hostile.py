"""A hostile title (markup, script, path tricks) from a remote page stays text everywhere.

Its own server: the hostile page serves the same bytes as other fixture videos, and the
library keeps one copy of identical content, so this test needs a library of its own.
"""

from __future__ import annotations

import pytest

from tests.e2e.ui import newest_job, parse
from tests.fixtures.site import HOSTILE_TITLE

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_hostile_titles_render_as_text(logged_in, server, site):
    watch = logged_in()
    page = watch.page
    # The page runs under the app's policy: scripts from our own origin only.
    policy = page.goto("/queue").headers.get("content-security-policy", "")
    script_policy = policy.split("script-src")[1].split(";")[0]
    assert "'self'" in script_policy and "unsafe-inline" not in script_policy
    # Leaving while the page load's token refresh is in flight would replay the old
    # refresh token (and end the session): go on once the page is quiet.
    page.wait_for_load_state("networkidle")
    parse(page, site.url("/page/hostile"))
    assert page.get_by_test_id("parsed-title").inner_text() == HOSTILE_TITLE
    page.get_by_role("button", name="Download", exact=True).click()
    page.get_by_text("Added to the queue").wait_for()
    server.wait_for_job(newest_job(server)["id"])
    page.goto("/queue")
    row = page.get_by_test_id("job-row").filter(has_text=HOSTILE_TITLE)
    row.get_by_text("Completed").wait_for()
    row.get_by_role("button", name="Details").first.click()
    page.get_by_role("dialog").get_by_text(HOSTILE_TITLE, exact=True).first.wait_for()
    page.keyboard.press("Escape")
    page.goto("/history")
    page.get_by_role("button", name=f"Open {HOSTILE_TITLE}", exact=True).click()
    page.get_by_role("dialog").get_by_test_id("player").wait_for()
    # The title never became markup: no bold element; no script ran (no dialog opened).
    assert page.locator("b", has_text="bold").count() == 0
    assert page.get_by_text(HOSTILE_TITLE, exact=True).count() >= 2
    watch.assert_clean()
