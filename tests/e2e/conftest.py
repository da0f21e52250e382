"""A real `mediadl serve`, the local fixture site and Debian's Chromium driven by Playwright.

The browser is the system's Chromium (`/usr/bin/chromium`, Debian package `chromium`);
Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_PASSWORD
from tests.servers import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--autoplay-policy=no-user-gesture-required"]
MEDIADL = str(Path(sys.executable).with_name("mediadl"))
STATIC_INDEX = Path(__file__).resolve().parents[2] / "src" / "mediadl" / "static" / "index.html"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
ADMIN = "admin"
USER = "alice"
# Records CSP violations before any script of the page runs.
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
});
"""


@dataclass
class Server:
    base_url: str
    data_dir: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url + path

    def token(self, username: str = ADMIN) -> str:
        if username not in self.tokens:
            answer = httpx.post(self.url("/api/v1/auth/login"),
                                json={"username": username, "password": TEST_PASSWORD})
            answer.raise_for_status()
            self.tokens[username] = answer.json()["access_token"]
        return self.tokens[username]

    def api(self, method: str, path: str, username: str = ADMIN, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token(username)}"}
        return httpx.request(method, self.url(path), headers=headers, timeout=30, **kwargs)

    def wait_for_job(self, job_id: int, timeout: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = self.api("GET", f"/api/v1/queue/{job_id}").json()
            if job["status"] in ("completed", "failed", "canceled"):
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} did not finish: {job}")
            time.sleep(0.2)


def _environment(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "MEDIADL_DATA_DIR": str(data_dir),
            "MEDIADL_ALLOW_PRIVATE_NETWORKS": "true", "MEDIADL_MAX_CONCURRENT_DOWNLOADS": "2",
            "MEDIADL_AUTH__ARGON2_TIME_COST": "1", "MEDIADL_AUTH__ARGON2_MEMORY_KIB": "1024",
            "MEDIADL_DOWNLOADS__SOCKET_TIMEOUT_SECONDS": "5"}


def _add_user(data_dir: Path, name: str, role: str) -> None:
    made = subprocess.run([MEDIADL, "users", "add", name, "--role", role, "--password-stdin"],
                          input=f"{TEST_PASSWORD}\n", text=True, env=_environment(data_dir),
                          capture_output=True)
    assert made.returncode == 0, made.stderr


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("mediadl serve exited while starting")
        try:
            if httpx.get(base_url + "/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("mediadl serve did not start")


@pytest.fixture(scope="session")
def built_ui() -> None:
    if not STATIC_INDEX.is_file():
        pytest.fail("The web UI is not built: run 'make install' (npm ci + npm run build in "
                    "frontend/) before the browser tests.")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, built_ui: None) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("e2e") / "data"
    _add_user(data_dir, ADMIN, "admin")
    _add_user(data_dir, USER, "user")
    port = free_port()
    process = subprocess.Popen([MEDIADL, "serve", "--port", str(port)],
                               env=_environment(data_dir), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, process)
        yield Server(base_url, data_dir)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class PageWatch:
    """What went wrong on a page: errors, dialogs, CSP violations."""

    page: Any
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        from_events = self.page.evaluate("window.__cspViolations || []")
        from_console = [text for text in self.console_errors if "Content Security Policy" in text]
        return [*from_events, *from_console]

    def assert_clean(self) -> None:
        assert self.dialogs == [], self.dialogs
        assert self.page_errors == [], self.page_errors
        assert self.csp_violations() == []
        assert self.console_errors == [], self.console_errors


def _watch(page: Any) -> PageWatch:
    watch = PageWatch(page)
    page.add_init_script(CSP_RECORDER)
    page.on("console", lambda message: message.type == "error"
            and watch.console_errors.append(message.text))
    page.on("pageerror", lambda error: watch.page_errors.append(str(error)))

    def on_dialog(dialog: Any) -> None:
        watch.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return watch


@pytest.fixture
def open_page(browser: Any, server: Server) -> Iterator[Callable[..., PageWatch]]:
    """Opens a fresh browser context (no cookies) and page at a viewport size."""
    contexts: list[Any] = []

    def _open(viewport: dict[str, int] = DESKTOP, **options: Any) -> PageWatch:
        context = browser.new_context(viewport=viewport, base_url=server.base_url, **options)
        context.set_default_timeout(30_000)
        contexts.append(context)
        return _watch(context.new_page())

    yield _open
    for context in contexts:
        context.close()


def log_in(page: Any, username: str = ADMIN, password: str = TEST_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url("**/")
    page.get_by_role("heading", name="Dashboard", level=1).wait_for()


@pytest.fixture
def logged_in(open_page: Callable[..., PageWatch]) -> Callable[..., PageWatch]:
    def _open(viewport: dict[str, int] = DESKTOP, username: str = ADMIN,
              **options: Any) -> PageWatch:
        watch = open_page(viewport, **options)
        log_in(watch.page, username)
        return watch

    return _open
