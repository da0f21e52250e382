"""One open socket: a snapshot, then the events it may see, from its own buffer.

Each socket runs two tasks: a writer that drains its ``ClientChannel`` and a reader for
the few messages a client may send. Nothing a socket does can hold up the hub or another
socket: the hub only appends to the buffer, and a socket that cannot take one message
within ``send_timeout_seconds`` is closed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import anyio
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

from mediadl.realtime.channel import ClientChannel
from mediadl.realtime.events import (
    DOWNLOAD_PROGRESS,
    LOG,
    NOTIFICATION,
    QUEUE_UPDATED,
    RESYNC,
    SNAPSHOT,
    Event,
)
from mediadl.realtime.log_filter import LogFilter
from mediadl.realtime.principal import Principal
from mediadl.realtime.schemas import (
    AuthMessage,
    ControlMessage,
    FilterMessage,
    client_message,
)
from mediadl.realtime.snapshot import queue_snapshot, running_progress

if TYPE_CHECKING:
    from mediadl.realtime.server import SocketServer

log = logging.getLogger(__name__)

POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
MAX_CLIENT_MESSAGE = 4096
MIN_SNAPSHOT_INTERVAL = 1.0  # a client asking for resyncs in a loop costs one query a second
CLOSE_TIMEOUT = 2.0
_GONE = (WebSocketDisconnect, RuntimeError, OSError)


class Stream(StrEnum):
    DOWNLOADS = "downloads"
    QUEUE = "queue"
    LOGS = "logs"


STREAM_TYPES: dict[Stream, frozenset[str]] = {
    Stream.DOWNLOADS: frozenset({DOWNLOAD_PROGRESS, QUEUE_UPDATED, NOTIFICATION, RESYNC}),
    # The queue page follows changes of state, not every byte.
    Stream.QUEUE: frozenset({QUEUE_UPDATED, NOTIFICATION, RESYNC}),
    Stream.LOGS: frozenset({LOG}),
}


class SocketSession:
    def __init__(self, websocket: WebSocket, server: SocketServer, principal: Principal,
                 stream: Stream) -> None:
        self.websocket, self.server, self.principal, self.stream = (
            websocket, server, principal, stream)
        self.settings = server.context.settings.realtime
        self.channel = ClientChannel(self.settings.client_buffer_messages)
        self.log_filter = LogFilter()
        self._types = STREAM_TYPES[stream]
        self._ended = anyio.Event()
        self._close = (1000, "")
        self._last_snapshot = 0.0
        self._sending_since: float | None = None

    # -- called by the hub and the server --------------------------------------------
    def offer(self, event: Event) -> None:
        if event.type not in self._types:
            return
        if not event.visible_to(self.principal.user_id, self.principal.is_admin):
            return
        if event.type == LOG and not self.log_filter.matches(event.data):
            return
        self.channel.offer(event)

    def end(self, code: int, reason: str) -> None:
        if not self._ended.is_set():
            self._close = (code, reason)
            self._ended.set()

    # -- the life of the socket ------------------------------------------------------
    async def run(self) -> None:
        subscription = self.server.hub.fanout.subscribe(self.offer)
        self.channel.request_resync()  # the first message is a snapshot
        try:
            async with anyio.create_task_group() as group:
                for part in (self._write, self._read, self._ended.wait):
                    group.start_soon(_first_one_ends_all, part, group.cancel_scope)
        except Exception:
            log.exception("a socket of user %s failed", self.principal.user_id)
            self.end(1011, "Server error.")
        finally:
            subscription.close()
        await self._say_goodbye()

    async def _say_goodbye(self) -> None:
        code, reason = self._close
        # A client that stopped reading may never take the close frame either.
        with anyio.move_on_after(CLOSE_TIMEOUT), contextlib.suppress(*_GONE):
            await self.websocket.close(code, reason)

    # -- writing ---------------------------------------------------------------------
    async def _write(self) -> None:
        try:
            while True:
                event = await self.channel.next()
                text = await self._snapshot_text() if event is None else event.text
                # Watched by the server's session task rather than a timeout per send: a
                # cancel scope per message would cost more than the send itself.
                self._sending_since = time.monotonic()
                await self.websocket.send_text(text)
                self._sending_since = None
        except _GONE:
            self.end(1000, "")

    def close_if_stuck(self, now: float) -> None:
        """Close a socket whose client has not taken one message for too long."""
        since = self._sending_since
        if since is not None and now - since > self.settings.send_timeout_seconds:
            log.info("closing a socket of user %s: it stopped reading", self.principal.user_id)
            self.end(TRY_AGAIN_LATER, "The client did not read its messages in time.")

    async def _snapshot_text(self) -> str:
        wait = self._last_snapshot + MIN_SNAPSHOT_INTERVAL - time.monotonic()
        if wait > 0:
            await anyio.sleep(wait)
        self._last_snapshot = time.monotonic()
        if self.stream is Stream.LOGS:
            return Event(SNAPSHOT, self._log_snapshot()).text
        data = await run_in_threadpool(
            queue_snapshot, self.server.context.db, self.principal,
            self.settings.snapshot_max_jobs, self.server.hub.fanout)
        self.channel.snapshot_sent(running_progress(data))
        return Event(SNAPSHOT, data).text

    def _log_snapshot(self) -> dict[str, Any]:
        lines = [event.data for event in self.server.hub.fanout.recent_logs()
                 if self.log_filter.matches(event.data)]
        return {"items": lines, "filter": self.log_filter.as_dict()}

    # -- reading ---------------------------------------------------------------------
    async def _read(self) -> None:
        with contextlib.suppress(*_GONE):
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                await self._handle(message.get("text"))

    async def _handle(self, text: object) -> None:
        if not isinstance(text, str) or len(text) > MAX_CLIENT_MESSAGE:
            self._reply_error("Send JSON text messages of at most 4 KiB.")
            return
        try:
            message = client_message.validate_python(json.loads(text))
        except (ValueError, ValidationError):
            self._reply_error("Unknown message; send {\"type\": \"resync\"}, "
                              "{\"type\": \"ping\"} or, on /ws/logs, a filter.")
            return
        if isinstance(message, FilterMessage):
            self._apply_filter(message)
        elif isinstance(message, ControlMessage) and message.type == "ping":
            self.channel.offer(Event("pong", {}))
        elif isinstance(message, ControlMessage):
            self.channel.request_resync()
        elif isinstance(message, AuthMessage):
            # The socket came in on its cookie. Spend the ticket it sent anyway, or it stays
            # valid - and counts against the user's open tickets - until it expires.
            await run_in_threadpool(self.server.spend_ticket, message.ticket)

    def _apply_filter(self, message: FilterMessage) -> None:
        if self.stream is not Stream.LOGS:
            self._reply_error("Filters apply to /ws/logs only.")
            return
        self.log_filter = LogFilter.from_message(message)
        self.channel.request_resync()

    def _reply_error(self, detail: str) -> None:
        self.channel.offer(Event("error", {"detail": detail}))


async def _first_one_ends_all(part: Callable[[], Awaitable[Any]],
                              scope: anyio.CancelScope) -> None:
    await part()
    scope.cancel()
