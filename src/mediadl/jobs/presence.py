"""Which Celery workers are alive: each writes a short-lived key into Redis on every
heartbeat, so ``/health`` of any server process sees them (and sees none once the last
one stopped or froze)."""

from __future__ import annotations

import json
import math
from typing import Any

import redis

KEY_PREFIX = "mediadl:worker:"
# A key outlives a few missed beats, not more.
MISSED_BEATS = 3


def key_ttl_seconds(heartbeat_seconds: float) -> int:
    return max(5, math.ceil(heartbeat_seconds * MISSED_BEATS))


def beat(client: redis.Redis, name: str, info: dict[str, Any], ttl_seconds: int) -> None:
    client.set(KEY_PREFIX + name, json.dumps(info), ex=ttl_seconds)


def forget(client: redis.Redis, name: str) -> None:
    client.delete(KEY_PREFIX + name)


def alive_workers(client: redis.Redis) -> list[dict[str, Any]]:
    """The workers whose last beat is recent, each as it described itself."""
    keys = sorted(client.scan_iter(match=KEY_PREFIX + "*", count=500))
    values = client.mget(keys) if keys else []
    return [json.loads(value) for value in values if value is not None]
