"""One socket's outgoing buffer: bounded, in order, progress coalesced per job.

A client that reads slowly only grows its own buffer. Progress of a job waiting to be sent
is replaced by the newer value in place (the client only needs the latest); when the
buffer still overflows, everything in it is dropped and the client gets a fresh snapshot
instead, which says all the dropped messages would have said.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import OrderedDict
from collections.abc import Hashable

from mediadl.realtime.events import DOWNLOAD_PROGRESS, QUEUE_UPDATED, RESYNC, Event

MAX_TRACKED_JOBS = 10_000


class ClientChannel:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._pending: OrderedDict[Hashable, Event] = OrderedDict()
        self._sequence = itertools.count()
        self._wakeup = asyncio.Event()
        self._resync = False
        # Bytes a job has already been shown at; an older progress value is never sent, so
        # a client's bars only move forward, even just after a snapshot.
        self._floors: dict[int, int] = {}
        self.dropped = 0
        self.overflows = 0

    def offer(self, event: Event) -> None:
        """Called on the event loop for every event this socket may see; never blocks."""
        if event.type == RESYNC:
            self.request_resync()
            return
        key = (("progress", event.data["id"]) if event.type == DOWNLOAD_PROGRESS
               else next(self._sequence))
        self._pending[key] = event
        if len(self._pending) > self.limit:
            self.dropped += len(self._pending)
            self.overflows += 1
            self.request_resync()
        self._wakeup.set()

    def request_resync(self) -> None:
        # Whatever still waits is older than the snapshot that will replace it.
        self._pending.clear()
        self._resync = True
        self._wakeup.set()

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def next(self) -> Event | None:
        """The next message to send, or None when a snapshot must be sent now."""
        while True:
            if self._resync:
                # Events that came before the snapshot's read are in the snapshot already.
                self._resync = False
                self._pending.clear()
                return None
            while self._pending:
                _, event = self._pending.popitem(last=False)
                if self._is_news(event):
                    return event
            self._wakeup.clear()
            await self._wakeup.wait()

    def snapshot_sent(self, progress: dict[int, int]) -> None:
        """Record the bytes each running job had in the snapshot just sent."""
        self._floors = dict(progress)

    def _is_news(self, event: Event) -> bool:
        if event.type == DOWNLOAD_PROGRESS:
            job_id, done = event.data["id"], event.data["downloaded_bytes"]
            if done < self._floors.get(job_id, 0):
                return False
            if len(self._floors) >= MAX_TRACKED_JOBS:
                self._floors.clear()
            self._floors[job_id] = done
        elif event.type == QUEUE_UPDATED:
            # A job that starts again (retry, resume) may legitimately begin lower.
            self._floors.pop(event.data["item"]["id"], None)
        return True
