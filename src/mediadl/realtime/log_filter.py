"""Which log lines one ``/ws/logs`` socket wants."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from mediadl.realtime.schemas import FilterMessage

LEVELS = logging.getLevelNamesMapping()


@dataclass(frozen=True)
class LogFilter:
    level: int = logging.DEBUG
    module: str | None = None
    job_id: int | None = None

    @classmethod
    def from_message(cls, message: FilterMessage) -> LogFilter:
        level = LEVELS[message.level] if message.level else logging.DEBUG
        return cls(level, message.module or None, message.job_id)

    def matches(self, line: dict[str, Any]) -> bool:
        if LEVELS.get(str(line.get("level")), logging.INFO) < self.level:
            return False
        if self.job_id is not None and line.get("job_id") != self.job_id:
            return False
        return self.module is None or _in_module(str(line.get("module", "")), self.module)

    def as_dict(self) -> dict[str, Any]:
        return {"level": logging.getLevelName(self.level), "module": self.module,
                "job_id": self.job_id}


def _in_module(module: str, wanted: str) -> bool:
    return module == wanted or module.startswith(wanted + ".")
