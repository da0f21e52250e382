"""Which hub a process uses: Redis pub/sub when a broker is configured, else in-process."""

from __future__ import annotations

from mediadl.core.settings import Settings
from mediadl.realtime.hub import EventHub, MemoryHub
from mediadl.realtime.redis_hub import RedisHub


def hub_from_settings(settings: Settings) -> EventHub:
    history = settings.realtime.log_history
    if settings.broker_url:
        return RedisHub(settings.broker_url, settings.realtime.redis_channel, history)
    return MemoryHub(history)
