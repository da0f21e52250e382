"""The Redis adapter against a real redis-server: events reach every process subscribed to
the channel, sockets resync after Redis comes back, and two app processes share events."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from mediadl.core.settings import Settings
from mediadl.realtime.events import Event
from mediadl.realtime.messages import notification
from mediadl.realtime.redis_hub import RedisHub
from tests.realtime.conftest import WAIT, bearer, free_port, receive, receive_until

pytestmark = pytest.mark.timeout(180)


async def _until(events: list[Event], count: int) -> None:
    deadline = time.monotonic() + WAIT
    while len(events) < count:
        assert time.monotonic() < deadline, events
        await asyncio.sleep(0.01)


def test_events_reach_every_process_on_the_channel(redis_server):
    async def scenario():
        one, two = (RedisHub(redis_server.url, "test:events") for _ in range(2))
        heard_one, heard_two = [], []
        one.fanout.subscribe(heard_one.append)
        two.fanout.subscribe(heard_two.append)
        await one.start()
        await two.start()
        await _wait_listening(one, two)
        # From a thread without an event loop, as the dispatcher publishes.
        publisher = threading.Thread(target=lambda: [
            one.publish(notification("info", str(n), "m", owner_id=3)) for n in range(50)])
        publisher.start()
        await _until(heard_two, 50)
        await _until(heard_one, 50)
        publisher.join()
        await one.stop()
        await two.stop()
        return heard_one, heard_two

    heard_one, heard_two = asyncio.run(scenario())
    assert [e.data["title"] for e in heard_two] == [str(n) for n in range(50)]
    assert [e.data for e in heard_one] == [e.data for e in heard_two]
    assert {e.owner_id for e in heard_two} == {3}


async def _wait_listening(*hubs: RedisHub) -> None:
    deadline = time.monotonic() + WAIT
    while not all(hub.listening for hub in hubs):
        assert time.monotonic() < deadline, "the hubs never subscribed"
        await asyncio.sleep(0.01)


def test_sockets_resync_after_redis_comes_back(redis_server):
    async def scenario():
        hub = RedisHub(redis_server.url, "test:events")
        heard: list[Event] = []
        hub.fanout.subscribe(heard.append)
        await hub.start()
        await _wait_listening(hub)
        redis_server.stop()
        await _until_not_listening(hub)
        redis_server.start()
        await _until_resync(heard)
        hub.publish(notification("info", "after", "m"))
        await _until(heard, 2)
        # The listener can hear the event before the publisher thread, back from
        # execute(), has marked itself connected: health is awaited, not sampled.
        await _until_healthy(hub)
        await hub.stop()
        return heard

    heard = asyncio.run(scenario())
    assert [e.type for e in heard] == ["resync", "notification"]


async def _until_not_listening(hub: RedisHub) -> None:
    deadline = time.monotonic() + WAIT
    while hub.listening:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)


async def _until_healthy(hub: RedisHub) -> None:
    deadline = time.monotonic() + WAIT
    while not hub.healthy:
        assert time.monotonic() < deadline, "the hub never reported healthy again"
        await asyncio.sleep(0.01)


async def _until_resync(heard: list[Event]) -> None:
    deadline = time.monotonic() + WAIT
    while not any(e.type == "resync" for e in heard):
        assert time.monotonic() < deadline, "no resync after Redis returned"
        await asyncio.sleep(0.02)


# -- two app processes -----------------------------------------------------------------


class ServeProcess:
    """``mediadl serve`` in a process of its own, on the shared data dir and Redis."""

    def __init__(self, settings: Settings, broker_url: str) -> None:
        self.port = free_port()
        data_dir = settings.data_dir
        self._log = (data_dir.parent / f"serve-{self.port}.log").open("wb")
        env = {**os.environ, "MEDIADL_BROKER_URL": broker_url,
               "MEDIADL_DATABASE_URL": settings.resolved_database_url,
               "MEDIADL_ALLOW_PRIVATE_NETWORKS": "true"}
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from mediadl.cli.app import main; main()", "serve",
             "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(data_dir)],
            env=env, stdout=subprocess.DEVNULL, stderr=self._log)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=WAIT)

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + WAIT
        while True:
            assert self.process.poll() is None, Path(self._log.name).read_text()[-3000:]
            try:
                if self.http.get("/health").status_code in (200, 503):
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "mediadl serve did not come up"
            time.sleep(0.1)

    def ws_url(self, stream: str) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/{stream}"

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()
        try:
            self.process.wait(WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(WAIT)
        self._log.close()


@pytest.fixture
def two_servers(settings, database, redis_server) -> Iterator[tuple[ServeProcess, ...]]:
    # Started together: the database is migrated already, so neither has to wait.
    servers = (ServeProcess(settings, redis_server.url),
               ServeProcess(settings, redis_server.url))
    try:
        for server in servers:
            server.wait_until_up()
        yield servers
    finally:
        for server in servers:
            server.stop()


def _login(server: ServeProcess) -> str:
    answer = server.http.post("/api/v1/auth/login",
                              json={"username": "alice", "password": "correct horse battery"})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def test_two_app_processes_share_events_through_redis(two_servers, make_user):
    first, second = two_servers
    make_user("alice")
    token = _login(first)
    auth = bearer(token)
    with (connect(first.ws_url("queue"), additional_headers=auth, open_timeout=WAIT) as on_first,
          connect(second.ws_url("queue"), additional_headers=auth,
                  open_timeout=WAIT) as on_second):
        assert receive(on_first)["type"] == receive(on_second)["type"] == "snapshot"
        added = first.http.post("/api/v1/queue", headers=auth, json={
            "url": "https://example.org/clip.mp4", "paused": True})
        assert added.status_code == 201, added.text
        job_id = added.json()["id"]
        heard = receive_until(on_second, lambda m: m["type"] == "queue_updated")[-1]["data"]
        assert (heard["action"], heard["item"]["id"]) == ("added", job_id)
        canceled = second.http.delete(f"/api/v1/queue/{job_id}", headers=auth)
        assert canceled.status_code == 204
        actions = [m["data"]["action"] for m in receive_until(
            on_first, lambda m: m["data"].get("action") == "canceled")
            if m["type"] == "queue_updated"]
        assert actions == ["added", "canceled"]


def test_progress_published_by_a_worker_reaches_every_app_process(two_servers, make_user,
                                                                 settings, database,
                                                                 redis_server):
    """This test process plays a Celery worker: its job-event bridge publishes progress
    over Redis exactly as ``mediadl worker`` does; both API processes deliver it."""
    from mediadl.realtime.factory import hub_from_settings
    from mediadl.worker import job_events

    first, second = two_servers
    make_user("alice")
    auth = bearer(_login(first))
    worker_settings = settings.model_copy(update={"broker_url": redis_server.url})
    hub = hub_from_settings(worker_settings)
    bridge = job_events(worker_settings, database, hub)
    try:
        with (connect(first.ws_url("downloads"), additional_headers=auth,
                      open_timeout=WAIT) as on_first,
              connect(second.ws_url("downloads"), additional_headers=auth,
                      open_timeout=WAIT) as on_second):
            assert receive(on_first)["type"] == receive(on_second)["type"] == "snapshot"
            job_id = first.http.post("/api/v1/queue", headers=auth, json={
                "url": "https://example.org/clip.mp4", "paused": True}).json()["id"]
            bridge(job_id, ("progress", 1000, 4000, 500.0, 6.0))
            for socket in (on_first, on_second):
                heard = receive_until(socket, lambda m: m["type"] == "download_progress")
                data = heard[-1]["data"]
                assert (data["id"], data["downloaded_bytes"], data["total_bytes"]) \
                    == (job_id, 1000, 4000)
    finally:
        bridge.stop()
        asyncio.run(hub.stop())

