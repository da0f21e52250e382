"""The live parts of one server process, started and stopped with the app: the event hub,
the bridge from job processes, and the log handlers (file and ``/ws/logs``)."""

from __future__ import annotations

import gc
from typing import Any

from mediadl.core.settings import Settings
from mediadl.db.session import Database
from mediadl.logs.setup import InstalledLogging, install_logging
from mediadl.realtime.bridge import JobEventBridge
from mediadl.realtime.factory import hub_from_settings
from mediadl.realtime.hub import EventHub
from mediadl.realtime.messages import log_line


class Realtime:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.hub: EventHub = hub_from_settings(settings)
        self.bridge = JobEventBridge(db, self.hub, settings.realtime.progress_interval_seconds)
        self._logging: InstalledLogging | None = None

    async def start(self) -> None:
        await self.hub.start()
        self.bridge.start()
        self._logging = install_logging(self.settings, self._publish_log)
        freeze_startup_heap()

    async def stop(self) -> None:
        if self._logging is not None:
            self._logging.remove()
        self.bridge.stop()
        await self.hub.stop()

    def _publish_log(self, fields: dict[str, Any]) -> None:
        self.hub.publish(log_line(fields))


_frozen = False


def freeze_startup_heap() -> None:
    """Once per process: keep what startup imported out of the cyclic collector's reach.

    The serving process holds hundreds of thousands of long-lived objects (the engines'
    extractors, the ORM and schema classes); every full collection walked them all and
    stopped the event loop - and every socket's delivery - for a quarter of a second.
    Once per process only, so that processes starting many apps (the tests) do not keep
    each app's cyclic garbage forever.
    """
    global _frozen
    if _frozen:
        return
    _frozen = True
    gc.collect()
    gc.freeze()
