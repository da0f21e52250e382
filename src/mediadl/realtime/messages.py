"""Builders of the messages in API.md (WebSockets): one function per message type."""

from __future__ import annotations

from typing import Any, Literal

from mediadl.realtime.events import (
    DOWNLOAD_PROGRESS,
    LOG,
    NOTIFICATION,
    QUEUE_UPDATED,
    RESYNC,
    Event,
)

QueueAction = Literal["added", "removed", "started", "completed", "failed", "canceled",
                      "paused", "resumed"]
NotificationLevel = Literal["info", "success", "warning", "error"]


def percent_of(downloaded: int, total: int | None) -> float | None:
    """The same rounding as a job's ``progress.percent`` in the REST API."""
    if not total:
        return None
    return round(min(100.0, 100.0 * downloaded / total), 1)


def download_progress(job_id: int, owner_id: int, downloaded: int, total: int | None,
                      speed_bps: float | None, eta_s: float | None,
                      status: str = "running") -> Event:
    return Event(DOWNLOAD_PROGRESS, {
        "id": job_id, "status": status, "percent": percent_of(downloaded, total),
        "downloaded_bytes": downloaded, "total_bytes": total, "speed_bps": speed_bps,
        "eta_s": eta_s,
    }, owner_id=owner_id)


def queue_updated(action: QueueAction, item: dict[str, Any], owner_id: int,
                  previous_status: str | None) -> Event:
    """``previous_status`` (an extra field) lets a client keep its counters exact even for
    jobs it never saw: decrement the old status, increment ``item.status``."""
    return Event(QUEUE_UPDATED, {"action": action, "item": item,
                                 "previous_status": previous_status}, owner_id=owner_id)


def log_line(fields: dict[str, Any]) -> Event:
    return Event(LOG, fields, admins_only=True)


def notification(level: NotificationLevel, title: str, message: str,
                 owner_id: int | None = None, event: str | None = None) -> Event:
    """``event`` names the happening (``download_completed`` …) so a browser can honour
    the user's choice of which ones to show."""
    data = {"level": level, "title": title, "message": message}
    if event is not None:
        data["event"] = event
    return Event(NOTIFICATION, data, owner_id=owner_id)


def resync(owner_id: int | None = None) -> Event:
    """A change too broad to describe item by item: the sockets concerned get a snapshot."""
    return Event(RESYNC, {}, owner_id=owner_id)
