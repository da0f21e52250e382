"""The bridge from job processes to the hub: what each message of a job becomes, fed the
way the dispatcher feeds it (from other threads), received the way a socket receives."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import insert, update

from mediadl.core.clock import utcnow
from mediadl.db.models import Job
from mediadl.realtime.bridge import JobEventBridge
from mediadl.realtime.events import Event
from mediadl.realtime.hub import MemoryHub

WAIT = 30.0


class Collector:
    """Subscribes to a hub from an event loop of its own, as a socket does."""

    def __init__(self, hub: MemoryHub) -> None:
        self.events: list[Event] = []
        self._changed = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._subscribe(hub), self._loop).result(WAIT)

    async def _subscribe(self, hub: MemoryHub) -> None:
        self.subscription = hub.fanout.subscribe(self._take)

    def _take(self, event: Event) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def until(self, done: Callable[[Event], bool]) -> list[Event]:
        with self._changed:
            assert self._changed.wait_for(lambda: any(done(e) for e in self.events), WAIT)
            return list(self.events)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(WAIT)
        self._loop.close()


@pytest.fixture
def hub() -> MemoryHub:
    return MemoryHub()


@pytest.fixture
def collector(hub: MemoryHub) -> Iterator[Collector]:
    collecting = Collector(hub)
    yield collecting
    collecting.close()


@pytest.fixture
def bridge(database, hub) -> Iterator[JobEventBridge]:
    running = JobEventBridge(database, hub, progress_interval=0.25)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def owner(make_user) -> int:
    return make_user("alice")


def _job(database, owner_id, status="running", parent_id=None, title="Clip") -> int:
    now = utcnow()
    with database.session() as session:
        return session.execute(insert(Job).returning(Job.id), [{
            "owner_id": owner_id, "url": "https://example.org/v.mp4", "engine": "ytdlp",
            "status": status, "title": title, "parent_id": parent_id, "options": {},
            "created_at": now, "updated_at": now}]).scalar_one()


def _set_status(database, job_id, status, error=None):
    with database.session() as session:
        session.execute(update(Job).where(Job.id == job_id).values(status=status, error=error))


def _is(kind, action=None):
    return lambda e: e.type == kind and (action is None or e.data.get("action") == action)


def test_a_download_from_claim_to_completion(database, bridge, collector, owner):
    job_id = _job(database, owner)
    bridge(job_id, ("claimed",))
    bridge(job_id, ("started", "Clip", 1000))
    started = time.monotonic()
    for done in range(0, 1001, 5):
        bridge(job_id, ("progress", done, 1000, 5000.0, 1.0))
        time.sleep(0.002)
    elapsed = time.monotonic() - started
    _set_status(database, job_id, "completed")
    bridge(job_id, ("done", "completed"))
    bridge(job_id, ("exited", 0))
    events = collector.until(_is("notification"))

    updates = [e.data for e in events if e.type == "queue_updated"]
    assert [(u["action"], u["previous_status"]) for u in updates] == [
        ("started", "queued"), ("completed", "running")]
    progress = [e.data["downloaded_bytes"] for e in events if e.type == "download_progress"]
    assert progress == sorted(progress) and progress[-1] == 1000
    # At most one message per 0.25 s (plus the first and the forced last one).
    assert len(progress) <= elapsed / 0.25 + 2
    assert all(e.owner_id == owner for e in events)
    assert events[-1].data == {"level": "success", "title": "Download finished",
                               "message": "Clip", "event": "download_completed"}


def test_a_new_title_from_the_engine_is_announced(database, bridge, collector, owner):
    job_id = _job(database, owner, title=None)
    bridge(job_id, ("claimed",))
    collector.until(_is("queue_updated", "started"))
    _set_status(database, job_id, "running")
    with database.session() as session:
        session.execute(update(Job).where(Job.id == job_id).values(title="Real title"))
    bridge(job_id, ("started", "Real title", None, "video", "cdn.example.org"))
    events = collector.until(lambda e: e.type == "queue_updated"
                             and e.data["item"]["title"] == "Real title")
    assert events[-1].data["previous_status"] == "running"
    item = events[-1].data["item"]
    assert (item["id"], item["kind"], item["source"]) == (job_id, "video", "cdn.example.org")


def test_the_same_title_again_is_not_news(database, bridge, collector, owner):
    job_id = _job(database, owner, title="Clip")
    bridge(job_id, ("claimed",))
    collector.until(_is("queue_updated", "started"))
    bridge(job_id, ("started", "Clip", None, "video", None))
    _set_status(database, job_id, "queued")  # back in the queue for another attempt
    bridge(job_id, ("exited", 0))
    events = collector.until(_is("queue_updated", "added"))
    assert [e.data["action"] for e in events if e.type == "queue_updated"] == [
        "started", "added"]


@pytest.mark.parametrize(("status", "action", "popup"), [
    ("failed", "failed", "error"), ("queued", "added", None), ("canceled", None, None)])
def test_the_outcome_of_a_job_process(database, bridge, collector, owner, status, action, popup):
    job_id = _job(database, owner)
    _set_status(database, job_id, status, error="The server said 404.")
    bridge(job_id, ("exited", 1))
    marker = _job(database, owner)
    bridge(marker, ("claimed",))  # everything before it has been handled by then
    events = collector.until(lambda e: e.type == "queue_updated"
                             and e.data["item"]["id"] == marker)
    about = [e for e in events if e.data.get("item", {}).get("id") == job_id]
    assert [e.data["action"] for e in about] == ([action] if action else [])
    popups = [e.data for e in events if e.type == "notification"]
    if popup:
        assert popups == [{"level": "error", "title": "Download failed",
                           "message": "Clip: The server said 404.",
                           "event": "download_failed"}]
    else:
        assert popups == []


def test_children_of_a_job_are_added_and_only_the_top_level_pops_up(database, bridge,
                                                                     collector, owner):
    parent = _job(database, owner, title="Podcast")
    children = [_job(database, owner, status="queued", parent_id=parent, title=f"ep{n}")
                for n in range(3)]
    bridge(parent, ("expanded", 3))
    events = collector.until(_is("notification"))
    added = [e.data["item"]["id"] for e in events if e.type == "queue_updated"]
    assert added == children
    assert events[-1].data["message"] == "Podcast: 3 new entries queued."
    _set_status(database, children[0], "completed")
    bridge(children[0], ("exited", 0))
    events = collector.until(_is("queue_updated", "completed"))
    bridge(parent, ("claimed",))
    events = collector.until(_is("queue_updated", "started"))
    assert [e.type for e in events].count("notification") == 1


def test_a_big_expansion_is_one_resync(database, bridge, collector, owner):
    parent = _job(database, owner)
    bridge(parent, ("expanded", 5000))
    events = collector.until(_is("resync"))
    assert events[-1].owner_id == owner


def test_records_of_job_processes_are_logged_here(database, bridge, owner, caplog):
    caplog.set_level(logging.INFO)
    bridge(7, ("log", {"timestamp": "2026-11-21T10:30:45.123Z", "level": "WARNING",
                       "module": "mediadl.engines.ytdlp", "message": "retrying fragment 3",
                       "job_id": 7, "process": 4242}))
    bridge(8, ("claimed",))  # a barrier: the log line was handled before this
    deadline = time.monotonic() + WAIT
    while not any(r.name == "mediadl.engines.ytdlp" for r in caplog.records):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    record = next(r for r in caplog.records if r.name == "mediadl.engines.ytdlp")
    assert record.levelno == logging.WARNING and record.getMessage() == "retrying fragment 3"
    assert record.job_id == 7 and record.process == 4242
