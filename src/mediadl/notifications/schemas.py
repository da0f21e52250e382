"""Bodies of ``/api/v1/notifications``."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mediadl.core.clock import isoformat
from mediadl.core.schemas import RequestModel
from mediadl.db.models.library_ops import NotificationChannel
from mediadl.notifications.events import EVENTS, EventName

DEFAULT_EVENTS: list[EventName] = ["download_completed", "download_failed",
                                   "schedule_failed", "disk_low"]


class ChannelCreate(RequestModel):
    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=4, max_length=2000,
                     description="An Apprise URL: mailtos://…, json://…, discord://…, "
                                 "tgram://…, ntfy://… (see the Apprise wiki).")
    events: list[EventName] = Field(default_factory=lambda: list(DEFAULT_EVENTS),
                                    max_length=len(EVENTS))
    enabled: bool = True


class ChannelPatch(RequestModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    url: str | None = Field(None, min_length=4, max_length=2000)
    events: list[EventName] | None = Field(None, max_length=len(EVENTS))
    enabled: bool | None = None


class ChannelOut(BaseModel):
    id: int
    name: str
    url_preview: str = Field(description="The URL with passwords and tokens masked.")
    events: list[str]
    enabled: bool
    created_at: str | None
    last_sent_at: str | None
    last_error: str | None

    @classmethod
    def from_row(cls, row: NotificationChannel) -> ChannelOut:
        return cls(id=row.id, name=row.name, url_preview=row.url_preview,
                   events=list(row.events or []), enabled=row.enabled,
                   created_at=isoformat(row.created_at), last_sent_at=isoformat(row.last_sent_at),
                   last_error=row.last_error)


class ChannelTestResult(BaseModel):
    delivered: bool
    detail: str
