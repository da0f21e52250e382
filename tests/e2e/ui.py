"""Steps and page scripts the browser tests share."""

from __future__ import annotations

import time
from typing import Any

from tests.e2e.conftest import Server

# Every progress value a job row shows, in order, recorded inside the page so that no
# short-lived value is missed between two looks from the test.
PROGRESS_RECORDER = """
window.__progress = [];
new MutationObserver(() => {
  for (const row of document.querySelectorAll('[data-testid=job-row]')) {
    const bar = row.querySelector('[role=progressbar]');
    const value = bar && bar.getAttribute('aria-valuenow');
    const title = row.querySelector('.job-title')?.textContent?.trim();
    if (value !== null && value !== undefined) window.__progress.push([title, Number(value)]);
  }
}).observe(document.body, { subtree: true, childList: true, attributes: true });
"""

SEEK_AND_PLAY = """async () => {
  const player = document.querySelector('[data-testid=player]');
  const once = (name) => new Promise((done) => player.addEventListener(name, done, { once: true }));
  if (player.readyState < 1) await once('loadedmetadata');
  player.muted = true;
  player.currentTime = 1.5;
  await once('seeked');
  await player.play();
  await new Promise((done) => setTimeout(done, 600));
  return { duration: player.duration, time: player.currentTime, paused: player.paused,
           error: player.error && player.error.code };
}"""


def parse(page: Any, url: str) -> None:
    page.goto("/queue")
    page.get_by_label("URL", exact=True).fill(url)
    page.get_by_role("button", name="Parse", exact=True).click()
    page.get_by_role("button", name="Download", exact=True).wait_for(timeout=90_000)


def choose(page: Any, label: str, option: str) -> None:
    """Picks from a select with the keyboard, as a person without a mouse would."""
    page.get_by_role("combobox", name=label, exact=True).focus()
    page.keyboard.press("Enter")
    page.get_by_role("option", name=option, exact=True).click()


def wait_for(condition: Any, what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def newest_job(server: Server) -> dict[str, Any]:
    page = server.api("GET", "/api/v1/queue", params={"sort": "created_at", "order": "desc",
                                                      "page_size": 1}).json()
    return dict(page["items"][0])
