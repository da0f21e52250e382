"""Live events of real downloads from the fixture site, through the dispatcher, the job
processes and the hub, to real WebSocket clients."""

from __future__ import annotations

import base64
import json
import os
import socket

import pytest

from mediadl.realtime.messages import notification
from mediadl.realtime.server import SocketServer
from tests.realtime.conftest import (
    WAIT,
    bearer,
    drain,
    open_socket,
    receive,
    receive_until,
)

pytestmark = pytest.mark.timeout(180)
VIDEO_SIZE_RATE = 150_000  # bytes/s: the 385 kB fixture video takes a few seconds
# The 8 MiB file at 2 MB/s: a few seconds, and progress in steps however coarse an
# engine counts (the http engine counts bytes once they are written, by the MiB).
BIG_FAST = "/throttled/big.bin?rate=2000000"
BIG_SLOW = "/throttled/big.bin?rate=200000"  # ~40 s: still running when the test ends


def _enqueue(live, token, url, **body):
    answer = live.http.post("/api/v1/queue", json={"url": url, **body}, headers=bearer(token))
    assert answer.status_code == 201, answer.text
    return answer.json()


def _about(job_id):
    def matches(message):
        data = message["data"]
        return data.get("id") == job_id or data.get("item", {}).get("id") == job_id
    return matches


def _finished(job_id):
    return lambda m: (m["type"] == "queue_updated" and m["data"]["item"]["id"] == job_id
                      and m["data"]["action"] in ("completed", "failed"))


def test_progress_rises_to_completion_and_only_the_owner_sees_it(live, account, site):
    alice, bob, admin = account("alice"), account("bob"), account("root", role="admin")
    with (open_socket(live, alice) as ws, open_socket(live, bob) as other,
          open_socket(live, admin) as watcher):
        for socket_ in (ws, other, watcher):
            assert receive(socket_)["type"] == "snapshot"
        job = _enqueue(live, alice, site.url(BIG_FAST))
        seen = [m for m in receive_until(ws, _finished(job["id"])) if _about(job["id"])(m)]
        admin_seen = [m for m in receive_until(watcher, _finished(job["id"]))
                      if _about(job["id"])(m)]
        bob_seen = drain(other)

    actions = [m["data"]["action"] for m in seen if m["type"] == "queue_updated"]
    assert actions[0] == "added" and actions[-1] == "completed" and "started" in actions
    progress = [m["data"] for m in seen if m["type"] == "download_progress"]
    assert len({p["downloaded_bytes"] for p in progress}) >= 3, progress
    done = [p["downloaded_bytes"] for p in progress]
    assert done == sorted(done) and done[-1] == progress[-1]["total_bytes"]
    percents = [p["percent"] for p in progress]
    assert percents == sorted(percents) and percents[-1] == 100.0
    assert all(p["status"] == "running" and p["id"] == job["id"] for p in progress)
    assert seen[-1]["data"]["item"]["status"] == "completed"
    assert seen[-1]["data"]["previous_status"] == "running"
    assert {m["type"] for m in admin_seen} == {"queue_updated", "download_progress"}
    assert bob_seen == [], bob_seen


def test_a_finished_download_pops_up_a_notification(live, account, site):
    alice = account("alice")
    with open_socket(live, alice, "queue") as ws:
        receive(ws)
        job = _enqueue(live, alice, site.url("/files/video_small.mp4"))
        receive_until(ws, _finished(job["id"]))
        popup = receive_until(ws, lambda m: m["type"] == "notification")[-1]
    assert popup["data"]["level"] == "success"
    assert popup["data"]["title"] == "Download finished"


def test_reconnect_gets_a_snapshot_that_matches_the_queue(live, account, site):
    alice = account("alice")
    running = _enqueue(live, alice, site.url(BIG_SLOW))
    waiting = [_enqueue(live, alice, site.url(f"/files/ep{n}.mp3"), paused=True)
               for n in (1, 2, 3)]
    with open_socket(live, alice) as ws:
        last_seen = receive_until(ws, lambda m: m["type"] == "download_progress"
                                  and m["data"]["downloaded_bytes"] > 0)[-1]["data"]
    # Offline meanwhile: one job canceled, one resumed; the snapshot must say so.
    live.http.delete(f"/api/v1/queue/{waiting[0]['id']}", headers=bearer(alice))
    live.http.patch(f"/api/v1/queue/{waiting[1]['id']}", json={"priority": "high"},
                    headers=bearer(alice))
    with open_socket(live, alice) as ws:
        snapshot = receive(ws)["data"]
    stats = live.http.get("/api/v1/queue/stats", headers=bearer(alice)).json()
    assert snapshot["stats"] == stats
    items = {item["id"]: item for item in snapshot["items"]}
    assert waiting[0]["id"] not in items  # canceled: not active any more
    assert items[waiting[1]["id"]]["priority"] == "high"
    assert items[running["id"]]["status"] == "running"
    # At least what the client saw before it went away (the database lags behind the hub).
    assert items[running["id"]]["progress"]["downloaded_bytes"] >= last_seen["downloaded_bytes"]
    assert snapshot["items"][0]["id"] == running["id"]  # running jobs come first
    assert snapshot["total_active"] == stats["queued"] + stats["paused"] + stats["running"]
    live.http.delete(f"/api/v1/queue/{running['id']}", headers=bearer(alice))


def _raw_socket_that_never_reads(live, token):
    """A handshake by hand with a tiny receive buffer; then the client reads nothing."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", live.port))
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall((f"GET /ws/downloads HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\n"
                 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                 f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                 f"Authorization: Bearer {token}\r\n\r\n").encode())
    assert raw.recv(12) == b"HTTP/1.1 101"
    return raw


def test_a_client_that_stops_reading_holds_back_nobody(live, account):
    live.context.settings.realtime.client_buffer_messages = 32
    alice, bob = account("alice"), account("bob")
    stuck = _raw_socket_that_never_reads(live, bob)
    try:
        with open_socket(live, alice) as ws:
            assert receive(ws)["type"] == "snapshot"
            received = []
            for batch in range(150):
                # Lock-step with the reading client, so only the stuck one falls behind.
                for n in range(8):
                    live.context.events.publish(
                        notification("info", f"{batch}-{n}", "x" * 4000))
                received += [m["data"]["title"] for m in receive_until(
                    ws, lambda m: m["data"].get("title") == f"{batch}-7")]
        expected = [f"{batch}-{n}" for batch in range(150) for n in range(8)]
        assert received == expected
        bob_id = live.http.get("/api/v1/auth/me", headers=bearer(bob)).json()["id"]
        slow = [s for s in SocketServer.of(live.app).sockets if s.principal.user_id == bob_id]
        assert slow and slow[0].channel.overflows >= 1, "the stuck client was never dropped"
        assert slow[0].channel.pending <= 32
    finally:
        stuck.close()


def test_the_queue_stream_carries_no_progress(live, account, site):
    alice = account("alice")
    with open_socket(live, alice, "queue") as ws:
        receive(ws)
        job = _enqueue(live, alice, site.url(f"/throttled/video.mp4?rate={VIDEO_SIZE_RATE}"))
        seen = receive_until(ws, _finished(job["id"]))
    assert {m["type"] for m in seen} == {"queue_updated"}
    actions = [m["data"]["action"] for m in seen]
    # "started" when the job leaves the queue, again once the engine knows the title.
    assert actions[0] == "added" and actions[-1] == "completed"
    assert set(actions[1:-1]) == {"started"}
    started = [m["data"] for m in seen if m["data"]["action"] == "started"]
    assert started[0]["previous_status"] == "queued"
    assert started[-1]["item"]["title"] == "video"


def test_clients_can_ask_for_a_fresh_snapshot_and_get_errors_for_nonsense(live, account):
    with open_socket(live, account("alice")) as ws:
        assert receive(ws)["type"] == "snapshot"
        ws.send(json.dumps({"type": "resync"}))
        assert receive(ws)["type"] == "snapshot"
        ws.send(json.dumps({"type": "filter", "level": "ERROR"}))
        assert receive(ws)["type"] == "error"  # filters are for /ws/logs
        ws.send("{")
        answer = receive(ws, WAIT)
        assert answer["type"] == "error" and "resync" in answer["data"]["detail"]
