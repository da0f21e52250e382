"""The pieces between a publish and a socket: the per-loop fan-out, one socket's bounded
buffer with coalesced progress, the progress throttle and the wire format."""

from __future__ import annotations

import asyncio
import threading

import pytest

from mediadl.realtime.channel import ClientChannel
from mediadl.realtime.events import Event
from mediadl.realtime.fanout import LocalFanout
from mediadl.realtime.hub import MemoryHub
from mediadl.realtime.messages import (
    download_progress,
    log_line,
    notification,
    queue_updated,
    resync,
)
from mediadl.realtime.throttle import ProgressThrottle


def _progress(job_id: int, done: int, total: int = 100) -> Event:
    return download_progress(job_id, owner_id=1, downloaded=done, total=total, speed_bps=1.0,
                             eta_s=1.0)


def _item(job_id: int, status: str = "running") -> dict:
    return {"id": job_id, "status": status}


async def _all_ready(channel: ClientChannel) -> list[Event | None]:
    """What the socket's writer would send now, in order (None = a snapshot)."""
    marker = Event("marker", {})
    channel.offer(marker)
    sent: list[Event | None] = []
    while (event := await channel.next()) is not marker:
        sent.append(event)
        if event is None:  # a snapshot discards what waits, the marker too
            channel.offer(marker)
    return sent


# -- one socket's buffer ---------------------------------------------------------------


def test_waiting_progress_is_replaced_by_the_newest_value_in_place():
    async def scenario():
        channel = ClientChannel(limit=100)
        channel.offer(_progress(1, 10))
        channel.offer(_progress(2, 5))
        channel.offer(queue_updated("completed", _item(1, "completed"), 1, "running"))
        channel.offer(_progress(1, 100))
        return await _all_ready(channel)

    sent = asyncio.run(scenario())
    assert [(e.type, e.data.get("downloaded_bytes")) for e in sent] == [
        ("download_progress", 100), ("download_progress", 5), ("queue_updated", None)]


def test_an_overflowing_buffer_is_dropped_for_a_snapshot():
    async def scenario():
        channel = ClientChannel(limit=16)
        for n in range(30):
            channel.offer(notification("info", str(n), "x"))
        sent = await _all_ready(channel)
        return channel, sent

    channel, sent = asyncio.run(scenario())
    assert channel.overflows == 1 and channel.dropped == 17
    # Only a snapshot: it is read after everything still waiting, so it says it all.
    assert sent == [None]


def test_progress_older_than_the_snapshot_is_not_sent():
    async def scenario():
        channel = ClientChannel(limit=100)
        channel.snapshot_sent({1: 50})
        channel.offer(_progress(1, 40))
        first = await _all_ready(channel)
        channel.offer(_progress(1, 60))
        second = await _all_ready(channel)
        # A retry starts again from zero: after its queue_updated, lower values are news.
        channel.offer(queue_updated("started", _item(1), 1, "queued"))
        channel.offer(_progress(1, 3))
        third = await _all_ready(channel)
        return first, second, third

    first, second, third = asyncio.run(scenario())
    assert first == []
    assert [e.data["downloaded_bytes"] for e in second] == [60]
    assert [e.type for e in third] == ["queue_updated", "download_progress"]


def test_a_resync_discards_what_the_snapshot_already_says():
    async def scenario():
        channel = ClientChannel(limit=100)
        channel.offer(notification("info", "old", "x"))
        channel.offer(resync())
        channel.offer(notification("info", "new", "x"))
        return await _all_ready(channel)

    sent = asyncio.run(scenario())
    assert sent == [None]


# -- fan-out ---------------------------------------------------------------------------


def test_publishing_from_threads_reaches_every_subscriber_in_order():
    async def scenario():
        hub = MemoryHub()
        received: list[list[str]] = [[], []]
        done = asyncio.Event()
        loop = asyncio.get_running_loop()

        def sink(index):
            def take(event):
                received[index].append(event.data["title"])
                if len(received[0]) == len(received[1]) == 400:
                    loop.call_soon(done.set)
            return take

        subscriptions = [hub.fanout.subscribe(sink(0)), hub.fanout.subscribe(sink(1))]
        workers = [threading.Thread(target=_publish_many, args=(hub, prefix))
                   for prefix in ("a", "b")]
        for worker in workers:
            worker.start()
        await asyncio.wait_for(done.wait(), 30)
        for worker in workers:
            worker.join()
        for subscription in subscriptions:
            subscription.close()
        return hub, received

    hub, received = asyncio.run(scenario())
    assert received[0] == received[1]
    for prefix in ("a", "b"):
        assert [t for t in received[0] if t[0] == prefix] == [f"{prefix}{n}" for n in range(200)]
    assert hub.fanout.subscriber_count == 0


def _publish_many(hub: MemoryHub, prefix: str) -> None:
    for n in range(200):
        hub.publish(notification("info", f"{prefix}{n}", "x"))


def test_a_broken_sink_does_not_starve_the_others():
    async def scenario():
        fanout = LocalFanout()
        good: list[Event] = []

        def broken(_event):
            raise RuntimeError("socket gone wrong")

        fanout.subscribe(broken)
        fanout.subscribe(good.append)
        fanout.deliver(notification("info", "t", "m"))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return good

    assert len(asyncio.run(scenario())) == 1


def test_the_fanout_remembers_latest_progress_and_recent_logs():
    fanout = LocalFanout(log_history=3)
    fanout.deliver(_progress(7, 10))
    fanout.deliver(_progress(7, 20))
    assert fanout.latest_progress(7)["downloaded_bytes"] == 20
    fanout.deliver(queue_updated("completed", _item(7, "completed"), 1, "running"))
    assert fanout.latest_progress(7) is None
    for n in range(5):
        fanout.deliver(log_line({"message": str(n), "level": "INFO", "module": "m"}))
    assert [e.data["message"] for e in fanout.recent_logs()] == ["2", "3", "4"]


# -- audience and wire -----------------------------------------------------------------


@pytest.mark.parametrize(("event", "alice", "bob", "admin"), [
    (_progress(1, 1), True, False, True),
    (notification("info", "t", "m"), True, True, True),
    (log_line({"message": "m"}), False, False, True),
    (resync(2), False, True, True),
])
def test_who_sees_an_event(event, alice, bob, admin):
    assert event.visible_to(1, is_admin=False) is alice
    assert event.visible_to(2, is_admin=False) is bob
    assert event.visible_to(3, is_admin=True) is admin


def test_events_cross_the_wire_unchanged():
    event = queue_updated("paused", _item(4, "paused"), owner_id=9, previous_status="queued")
    copy = Event.from_wire(event.to_wire())
    assert copy == event and copy.text == event.text
    with pytest.raises(ValueError):
        Event.from_wire('{"type": "snapshot", "data": {}}')


# -- throttle --------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_throttle_holds_early_values_and_never_loses_the_last():
    clock = _Clock()
    throttle: ProgressThrottle[int] = ProgressThrottle(0.25, clock)
    assert throttle.offer(1, 10) == 10
    clock.now += 0.1
    assert throttle.offer(1, 20) is None
    assert throttle.offer(1, 30) is None
    assert throttle.due() == []
    assert throttle.seconds_to_next() == pytest.approx(0.15)
    clock.now += 0.15
    assert throttle.due() == [(1, 30)]
    assert throttle.offer(1, 40) is None
    assert throttle.offer(1, 100, force=True) == 100  # the final value goes at once
    assert throttle.due() == []
    assert throttle.offer(2, 5) == 5  # jobs are throttled independently
