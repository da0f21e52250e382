"""The event hub port and its in-process adapter.

``publish`` may be called from any thread (the dispatcher's, a request's, the event loop)
and never blocks. Each adapter hands every event, its own and other processes', to the
``LocalFanout`` of this process, which feeds the sockets.
"""

from __future__ import annotations

from typing import Protocol

from mediadl.realtime.events import Event
from mediadl.realtime.fanout import LocalFanout


class EventHub(Protocol):
    fanout: LocalFanout

    def publish(self, event: Event) -> None: ...

    def publish_all(self, events: list[Event]) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    @property
    def healthy(self) -> bool: ...


class MemoryHub:
    """One process: publishing is delivering. Needs no start; works in any test app."""

    def __init__(self, log_history: int = 500) -> None:
        self.fanout = LocalFanout(log_history)

    def publish(self, event: Event) -> None:
        self.fanout.deliver(event)

    def publish_all(self, events: list[Event]) -> None:
        for event in events:
            self.publish(event)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    @property
    def healthy(self) -> bool:
        return True
