"""Delivery inside one process: from whichever thread publishes to the sockets' event loop.

Publishing never blocks and never runs socket code: events are appended to a per-loop
inbox and the loop drains it in batches, handing each event to every subscriber's sink
(which only appends to that socket's bounded buffer).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

from mediadl.realtime.events import DOWNLOAD_PROGRESS, LOG, QUEUE_UPDATED, Event

log = logging.getLogger(__name__)

Sink = Callable[[Event], None]
PROGRESS_CACHE_SIZE = 10_000
_ENDED = frozenset({"completed", "failed", "canceled", "removed", "paused", "added"})


class Subscription:
    def __init__(self, fanout: LocalFanout, inbox: _LoopInbox, sink: Sink) -> None:
        self._fanout, self._inbox, self.sink = fanout, inbox, sink

    def close(self) -> None:
        self._fanout.unsubscribe(self._inbox, self)


class _LoopInbox:
    """Events waiting for one event loop, and the sinks that live on it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.subscriptions: list[Subscription] = []
        self._pending: deque[Event] = deque()
        self._lock = threading.Lock()
        self._scheduled = False

    def put(self, event: Event) -> bool:
        """False when the loop is gone and this inbox should be forgotten."""
        with self._lock:
            self._pending.append(event)
            if self._scheduled:
                return True
            self._scheduled = True
        try:
            self.loop.call_soon_threadsafe(self._drain)
        except RuntimeError:  # the loop was closed
            return False
        return True

    def _drain(self) -> None:
        with self._lock:
            events, self._pending = self._pending, deque()
            self._scheduled = False
        for event in events:
            for subscription in self.subscriptions:
                _deliver(subscription.sink, event)


def _deliver(sink: Sink, event: Event) -> None:
    try:
        sink(event)
    except Exception:  # one broken socket must not starve the others
        log.exception("delivering a %s event failed", event.type)


class LocalFanout:
    """The subscribers of this process, plus what a new subscriber needs to catch up: the
    latest progress of each running job and the recent log lines."""

    def __init__(self, log_history: int = 500) -> None:
        self._lock = threading.Lock()
        self._inboxes: dict[asyncio.AbstractEventLoop, _LoopInbox] = {}
        self._progress: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._logs: deque[Event] = deque(maxlen=log_history)

    def subscribe(self, sink: Sink) -> Subscription:
        """Call from the event loop that owns ``sink``."""
        loop = asyncio.get_running_loop()
        with self._lock:
            inbox = self._inboxes.setdefault(loop, _LoopInbox(loop))
            subscription = Subscription(self, inbox, sink)
            # Copy-on-write: a drain iterates the old list without the lock.
            inbox.subscriptions = [*inbox.subscriptions, subscription]
        return subscription

    def unsubscribe(self, inbox: _LoopInbox, subscription: Subscription) -> None:
        with self._lock:
            inbox.subscriptions = [s for s in inbox.subscriptions if s is not subscription]
            if not inbox.subscriptions and self._inboxes.get(inbox.loop) is inbox:
                del self._inboxes[inbox.loop]

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return sum(len(inbox.subscriptions) for inbox in self._inboxes.values())

    def deliver(self, event: Event) -> None:
        """Thread-safe; returns at once."""
        with self._lock:
            self._remember(event)
            inboxes = list(self._inboxes.values())
        for inbox in inboxes:
            if not inbox.put(event):
                with self._lock:
                    self._inboxes.pop(inbox.loop, None)

    def latest_progress(self, job_id: int) -> dict[str, Any] | None:
        with self._lock:
            return self._progress.get(job_id)

    def recent_logs(self) -> list[Event]:
        with self._lock:
            return list(self._logs)

    def _remember(self, event: Event) -> None:
        if event.type == DOWNLOAD_PROGRESS:
            self._progress[event.data["id"]] = event.data
            self._progress.move_to_end(event.data["id"])
            if len(self._progress) > PROGRESS_CACHE_SIZE:
                self._progress.popitem(last=False)
        elif event.type == QUEUE_UPDATED and event.data.get("action") in _ENDED:
            self._progress.pop(event.data["item"]["id"], None)
        elif event.type == LOG:
            self._logs.append(event)
