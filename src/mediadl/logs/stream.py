"""Log records to the event hub: the ``/ws/logs`` stream."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from mediadl.logs.formatter import record_fields

# The hub's own machinery: a record about Redis being away must not be sent through Redis,
# and one about a failed delivery must not be delivered to the same failing socket.
SILENT_LOGGERS = ("mediadl.realtime.redis_hub", "mediadl.realtime.fanout")

Publish = Callable[[dict[str, Any]], None]


class LogStreamHandler(logging.Handler):
    def __init__(self, publish: Publish, level: int = logging.INFO) -> None:
        super().__init__(level)
        self._publish = publish
        self._busy = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(SILENT_LOGGERS) or getattr(self._busy, "active", False):
            return
        # A record logged while publishing (by the hub itself) would recurse.
        self._busy.active = True
        try:
            self._publish(record_fields(record))
        except Exception:
            self.handleError(record)
        finally:
            self._busy.active = False
