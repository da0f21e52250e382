"""A real server for real WebSocket clients: the whole app (dispatcher, job processes, hub)
served by uvicorn on 127.0.0.1 in a thread of the test process, so a test can also look at
the server's side. And a real Redis, started from the installed binary."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from mediadl.app_context import AppContext
from mediadl.core.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.security.cheap import cheap_hashing

WAIT = 60.0  # a bound on waits for the server, not a speed requirement


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.realtime = settings.realtime.model_copy(update={
        "session_check_seconds": 0.2, "auth_timeout_seconds": 2.0})
    # One connection per download: a throttled fixture URL then takes a known time.
    settings.downloads = settings.downloads.model_copy(update={"per_host_connections": 1})
    return cheap_hashing(settings)


class LiveServer:
    def __init__(self, settings: Settings) -> None:
        from mediadl.main import build_app

        self.app = build_app(settings)
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        config = uvicorn.Config(self.app, log_config=None, lifespan="on")
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run,
                                        kwargs={"sockets": [self._socket]}, daemon=True)
        self.http = httpx.Client(base_url=self.base_url, timeout=WAIT)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def context(self) -> AppContext:
        context: AppContext = self.app.state.context
        return context

    def start(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + WAIT
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            assert self._thread.is_alive(), "the server thread died"
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.http.close()
        self.server.should_exit = True
        self._thread.join(WAIT)
        self._socket.close()

    def ws_url(self, stream: str) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/{stream}"


@pytest.fixture
def live(settings: Settings, database: Any) -> Iterator[LiveServer]:
    server = LiveServer(settings).start()
    yield server
    server.stop()


@pytest.fixture
def account(live: LiveServer, make_user: Callable[..., int]) -> Callable[..., str]:
    """Create a user and return an access token."""

    def _account(username: str, role: str = "user") -> str:
        make_user(username, role=role)
        answer = live.http.post("/api/v1/auth/login",
                                json={"username": username, "password": TEST_PASSWORD})
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token

    return _account


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_ticket(http: httpx.Client, token: str) -> str:
    answer = http.post("/api/v1/auth/ws-ticket", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    ticket: str = answer.json()["ticket"]
    return ticket


@contextmanager
def open_socket(live: LiveServer, token: str, stream: str = "downloads",
                **options: Any) -> Iterator[ClientConnection]:
    """A socket authenticated with a fresh ticket as its first message."""
    with send_ticket(live, new_ticket(live.http, token), stream, **options) as ws:
        yield ws


@contextmanager
def send_ticket(live: LiveServer, ticket: str, stream: str = "downloads",
                **options: Any) -> Iterator[ClientConnection]:
    with connect(live.ws_url(stream), open_timeout=WAIT, **options) as ws:
        ws.send(json.dumps({"type": "auth", "ticket": ticket}))
        yield ws


def receive(ws: ClientConnection, timeout: float = WAIT) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(ws.recv(timeout=timeout))
    return message


def receive_until(ws: ClientConnection, done: Callable[[dict[str, Any]], bool],
                  timeout: float = WAIT) -> list[dict[str, Any]]:
    """Every message up to and including the first one ``done`` accepts."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        seen.append(receive(ws, max(0.1, deadline - time.monotonic())))
        if done(seen[-1]):
            return seen


def drain(ws: ClientConnection) -> list[dict[str, Any]]:
    """Everything the server sent before it answers a ping: nothing more is on its way."""
    ws.send(json.dumps({"type": "ping"}))
    return receive_until(ws, lambda message: message["type"] == "pong")[:-1]


def close_code(ws: ClientConnection, timeout: float = WAIT) -> int | None:
    """Read until the server closes the socket; its close code."""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ws.recv(timeout=max(0.1, deadline - time.monotonic()))
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    raise AssertionError("the server did not close the socket")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    """``redis-server`` on a free port, no persistence; restartable on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_until_ready()
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(WAIT)
            self.process = None

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + WAIT
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()
