"""What travels through the hub: one message for clients plus who may see it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

SNAPSHOT = "snapshot"
DOWNLOAD_PROGRESS = "download_progress"
QUEUE_UPDATED = "queue_updated"
LOG = "log"
NOTIFICATION = "notification"
# Never sent as such: tells every socket that may see it to send a fresh snapshot.
RESYNC = "resync"

MESSAGE_TYPES = frozenset({DOWNLOAD_PROGRESS, QUEUE_UPDATED, LOG, NOTIFICATION, RESYNC})


@dataclass(frozen=True)
class Event:
    """A message ``{"type", "data"}`` and its audience.

    ``owner_id`` names the one user the event is about (admins see it too); ``None`` means
    everyone, unless ``admins_only``.
    """

    type: str
    data: dict[str, Any]
    owner_id: int | None = None
    admins_only: bool = False
    published_at: float = field(default_factory=time.time)

    def visible_to(self, user_id: int, is_admin: bool) -> bool:
        if is_admin:
            return True
        if self.admins_only:
            return False
        return self.owner_id is None or self.owner_id == user_id

    @cached_property
    def text(self) -> str:
        """The client message, encoded once however many sockets receive it."""
        return json.dumps({"type": self.type, "data": self.data,
                           "published_at": _iso_micro(self.published_at)},
                          separators=(",", ":"))

    def to_wire(self) -> str:
        return json.dumps({"type": self.type, "data": self.data, "owner_id": self.owner_id,
                           "admins_only": self.admins_only, "published_at": self.published_at},
                          separators=(",", ":"))

    @classmethod
    def from_wire(cls, raw: str | bytes) -> Event:
        fields = json.loads(raw)
        if fields.get("type") not in MESSAGE_TYPES or not isinstance(fields.get("data"), dict):
            raise ValueError("not a hub event")
        owner = fields.get("owner_id")
        return cls(type=fields["type"], data=fields["data"],
                   owner_id=owner if isinstance(owner, int) else None,
                   admins_only=bool(fields.get("admins_only")),
                   published_at=float(fields.get("published_at") or time.time()))


def _iso_micro(epoch: float) -> str:
    # Microseconds, unlike the API's other times: clients use it to measure delivery delay.
    moment = datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds") + "Z"
