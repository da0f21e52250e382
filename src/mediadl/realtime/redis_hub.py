"""The Redis pub/sub adapter: every process publishes to one channel and delivers what it
hears there to its own sockets, so an event reaches every API process whoever produced it.

Publishing goes through a small background thread with a bounded outbox, so a caller
(the dispatcher, a request) never waits for Redis, and it works in processes without an
event loop (workers). Listening is an asyncio task started with the app. Redis can go away:
both sides reconnect with back-off, and after a gap every local socket is resynced,
because it may have missed events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque

import redis
import redis.asyncio as aioredis

from mediadl.realtime.events import Event
from mediadl.realtime.fanout import LocalFanout
from mediadl.realtime.messages import resync

log = logging.getLogger(__name__)

OUTBOX_LIMIT = 10_000
MAX_BACKOFF_SECONDS = 10.0
FLUSH_ON_STOP_SECONDS = 2.0


class _Outbox:
    """Events waiting to be published; the oldest go first when Redis is away too long."""

    def __init__(self, limit: int = OUTBOX_LIMIT) -> None:
        self._events: deque[Event] = deque(maxlen=limit)
        self._ready = threading.Condition()
        self.closed = False

    def put(self, event: Event) -> None:
        with self._ready:
            self._events.append(event)
            self._ready.notify()

    def take(self) -> list[Event] | None:
        """Everything queued, waiting for at least one event; None once closed and empty."""
        with self._ready:
            self._ready.wait_for(lambda: self._events or self.closed)
            if not self._events:
                return None
            batch = list(self._events)
            self._events.clear()
            return batch

    def close(self) -> None:
        with self._ready:
            self.closed = True
            self._ready.notify_all()


class _Publisher(threading.Thread):
    def __init__(self, url: str, channel: str, outbox: _Outbox) -> None:
        super().__init__(name="redis-publisher", daemon=True)
        self.url, self.channel, self.outbox = url, channel, outbox
        self.connected = False
        self._client: redis.Redis | None = None
        self._stopping = threading.Event()

    def run(self) -> None:
        while (batch := self.outbox.take()) is not None:
            self._send(batch)
        if self._client is not None:
            self._client.close()

    def stop(self) -> None:
        self.outbox.close()
        self.join(FLUSH_ON_STOP_SECONDS)
        self._stopping.set()

    def _send(self, batch: list[Event]) -> None:
        backoff = 0.2
        while not self._stopping.is_set():
            try:
                self._publish(batch)
                return
            except (redis.RedisError, OSError) as error:
                self._disconnected(error)
                # Waiting events pile up in the bounded outbox meanwhile.
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _publish(self, batch: list[Event]) -> None:
        if self._client is None:
            self._client = redis.Redis.from_url(self.url, socket_timeout=5,
                                                socket_connect_timeout=5)
        pipe = self._client.pipeline(transaction=False)
        for event in batch:
            pipe.publish(self.channel, event.to_wire())
        pipe.execute()
        if not self.connected:
            log.info("publishing events to Redis")
        self.connected = True

    def _disconnected(self, error: Exception) -> None:
        if self.connected or self._client is None:
            log.warning("cannot publish events to Redis: %s", error)
        self.connected = False
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
        self._client = None


class RedisHub:
    def __init__(self, url: str, channel: str, log_history: int = 500) -> None:
        self.url, self.channel = url, channel
        self.fanout = LocalFanout(log_history)
        self._outbox = _Outbox()
        self._publisher: _Publisher | None = None
        self._publisher_lock = threading.Lock()
        self._listener: asyncio.Task[None] | None = None
        self.listening = False

    # -- publishing ------------------------------------------------------------------
    def publish(self, event: Event) -> None:
        self._ensure_publisher()
        self._outbox.put(event)

    def publish_all(self, events: list[Event]) -> None:
        for event in events:
            self.publish(event)

    def _ensure_publisher(self) -> None:
        if self._publisher is not None:
            return
        with self._publisher_lock:
            if self._publisher is None and not self._outbox.closed:
                self._publisher = _Publisher(self.url, self.channel, self._outbox)
                self._publisher.start()

    # -- listening -------------------------------------------------------------------
    async def start(self) -> None:
        self._ensure_publisher()
        self._listener = asyncio.create_task(self._listen(), name="redis-listener")

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._publisher is not None:
            await asyncio.to_thread(self._publisher.stop)
        self._outbox.close()

    @property
    def healthy(self) -> bool:
        publisher_ok = self._publisher is None or self._publisher.connected
        return self.listening and publisher_ok

    async def _listen(self) -> None:
        backoff, had_gap = 0.2, False
        while True:
            try:
                await self._listen_once(had_gap)
            except (redis.RedisError, OSError) as error:
                if self.listening or not had_gap:
                    log.warning("lost the Redis event channel: %s", error)
                if self.listening:
                    backoff = 0.2
                self.listening, had_gap = False, True
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    async def _listen_once(self, after_gap: bool) -> None:
        client = aioredis.Redis.from_url(self.url, health_check_interval=30)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            self.listening = True
            if after_gap:
                log.info("listening to the Redis event channel again")
                # Sockets here may have missed events: only a snapshot puts them right.
                self.fanout.deliver(resync())
            async for message in pubsub.listen():
                self._receive(message.get("data"))
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
            with contextlib.suppress(Exception):
                await client.aclose()

    def _receive(self, raw: object) -> None:
        if not isinstance(raw, str | bytes):
            return
        try:
            event = Event.from_wire(raw)
        except (ValueError, TypeError, KeyError):
            log.debug("ignored a malformed message on the event channel")
            return
        self.fanout.deliver(event)
