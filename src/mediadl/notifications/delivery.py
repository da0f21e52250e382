"""The outbox, sent: due deliveries are claimed with a lease (so a crash mid-send only
delays them), sent through the ``sender`` program, and marked delivered or retried with
backoff until ``max_attempts``. A channel with several waiting notifications gets them as
one message, so a playlist of fifty videos is one e-mail, not fifty.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from mediadl.core.clock import utcnow
from mediadl.core.settings import Settings
from mediadl.db.dialect import with_skip_locked
from mediadl.db.models.library_ops import (
    NotificationChannel,
    NotificationDelivery,
    NotificationEvent,
)
from mediadl.db.session import Database
from mediadl.jobs.retry import RetryPolicy
from mediadl.notifications.urls import open_url
from mediadl.security.outbound import guarded_command
from mediadl.security.policy import outbound_policy

log = logging.getLogger(__name__)

SENDER_MODULE = "mediadl.notifications.sender"
BATCH_LIMIT = 200
MAX_LINES = 20
PENDING, SENDING, DELIVERED, FAILED, SKIPPED = (
    "pending", "sending", "delivered", "failed", "skipped")


@dataclass
class Message:
    """One message for one channel, standing for one or more deliveries."""

    channel_id: int
    url: str | None
    title: str
    body: str
    level: str
    delivery_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Result:
    ok: bool
    error: str | None


def _due(now: datetime) -> ColumnElement[bool]:
    """Waiting and due, or claimed by a sender that died (its lease ran out)."""
    return or_(and_(NotificationDelivery.status == PENDING,
                    NotificationDelivery.not_before <= now),
               and_(NotificationDelivery.status == SENDING,
                    NotificationDelivery.lease_until < now))


def has_due(session: Session, now: datetime) -> bool:
    return session.scalar(select(NotificationDelivery.id).where(_due(now)).limit(1)) is not None


def claim_due(session: Session, settings: Settings, now: datetime) -> list[Message]:
    """Take the due deliveries and group them per channel."""
    statement = with_skip_locked(
        select(NotificationDelivery).where(_due(now)).order_by(NotificationDelivery.id)
        .limit(BATCH_LIMIT), session.get_bind().dialect.name)
    deliveries = list(session.scalars(statement))
    lease = now + timedelta(seconds=settings.notifications.send_timeout_seconds * 2)
    for delivery in deliveries:
        delivery.status, delivery.lease_until = SENDING, lease
        delivery.attempts += 1
    return _messages(session, settings, deliveries)


def _messages(session: Session, settings: Settings,
              deliveries: list[NotificationDelivery]) -> list[Message]:
    grouped: dict[int, list[NotificationDelivery]] = defaultdict(list)
    for delivery in deliveries:
        grouped[delivery.channel_id].append(delivery)
    messages = []
    for channel_id, items in grouped.items():
        channel = session.get(NotificationChannel, channel_id)
        events = [session.get(NotificationEvent, item.event_id) for item in items]
        if channel is None:
            continue
        message = combine([event for event in events if event is not None], channel_id)
        message.url = open_url(settings, channel.sealed_url) if channel.enabled else None
        message.delivery_ids = [item.id for item in items]
        messages.append(message)
    return messages


def combine(events: list[NotificationEvent], channel_id: int) -> Message:
    if len(events) == 1:
        event = events[0]
        return Message(channel_id, None, f"mediadl: {event.title}", event.message, event.level)
    lines = [f"- {event.title}: {event.message}" for event in events[:MAX_LINES]]
    if len(events) > MAX_LINES:
        lines.append(f"... and {len(events) - MAX_LINES} more")
    worst = _worst_level(event.level for event in events)
    return Message(channel_id, None, f"mediadl: {len(events)} notifications", "\n".join(lines),
                   worst)


def _worst_level(levels: Any) -> str:
    order = ["success", "info", "warning", "error"]
    return max(levels, key=lambda level: order.index(level) if level in order else 1)


def send(settings: Settings, messages: list[Message]) -> dict[int, Result]:
    """Send through the ``sender`` program; results by channel id."""
    sendable = [message for message in messages if message.url]
    results = {message.channel_id: _unsendable(message) for message in messages
               if not message.url}
    if sendable:
        results.update(_run_sender(settings, sendable))
    return results


def _unsendable(message: Message) -> Result:
    return Result(False, "The channel is disabled or its URL cannot be read any more "
                         "(the instance secret changed); save the channel again.")


def _run_sender(settings: Settings, messages: list[Message]) -> dict[int, Result]:
    request = {"messages": [{"id": message.channel_id, "url": message.url,
                             "title": message.title, "body": message.body,
                             "level": message.level} for message in messages]}
    try:
        finished = subprocess.run(  # noqa: S603 (a fixed module of ours)
            sender_command(settings), input=json.dumps(request), capture_output=True, text=True,
            timeout=settings.notifications.send_timeout_seconds, check=False)
        answers = json.loads(finished.stdout)["results"]
    except (subprocess.TimeoutExpired, OSError, ValueError, KeyError) as error:
        log.warning("sending notifications failed: %s", error)
        reason = f"Sending failed: {type(error).__name__}."
        return {message.channel_id: Result(False, reason) for message in messages}
    refused = _guard_refusal(finished.stderr)
    return {int(answer["id"]): Result(bool(answer["ok"]), refused or answer.get("error"))
            for answer in answers}


def sender_command(settings: Settings) -> list[str]:
    policy = outbound_policy(settings)
    if policy is None:
        return [sys.executable, "-m", SENDER_MODULE]
    return guarded_command(policy, SENDER_MODULE, [])


def _guard_refusal(stderr: str) -> str | None:
    for line in stderr.splitlines():
        if "outbound guard refused" in line:
            return ("mediadl does not send to private addresses " + line.split("refused", 1)[1]
                    + "; an admin can allow them with MEDIADL_ALLOW_PRIVATE_NETWORKS=true.")
    return None


def record_results(session: Session, settings: Settings, messages: list[Message],
                   results: dict[int, Result], now: datetime) -> None:
    policy = retry_policy(settings)
    for message in messages:
        result = results.get(message.channel_id, Result(False, "No answer from the sender."))
        for delivery_id in message.delivery_ids:
            delivery = session.get(NotificationDelivery, delivery_id)
            if delivery is not None:
                _settle(delivery, result, policy, now, skipped=message.url is None)
        channel = session.get(NotificationChannel, message.channel_id)
        if channel is not None:
            channel.last_error = None if result.ok else result.error
            if result.ok:
                channel.last_sent_at = now


def _settle(delivery: NotificationDelivery, result: Result, policy: RetryPolicy,
            now: datetime, skipped: bool) -> None:
    delivery.lease_until = None
    delivery.last_error = None if result.ok else result.error
    if result.ok:
        delivery.status, delivery.delivered_at = DELIVERED, now
    elif skipped:
        delivery.status = SKIPPED
    elif policy.should_retry(delivery.attempts, transient=True):
        delivery.status = PENDING
        delivery.not_before = policy.next_attempt_at(now, delivery.attempts)
    else:
        delivery.status = FAILED


def retry_policy(settings: Settings) -> RetryPolicy:
    config = settings.notifications
    return RetryPolicy(config.max_attempts, config.retry_base_seconds, config.retry_max_seconds)


def deliver_due(db: Database, settings: Settings) -> int:
    """One round: claim, send outside any transaction, record. Returns messages sent."""
    with db.read() as session:
        if not has_due(session, utcnow()):
            return 0  # the usual case: no write transaction at all
    with db.session() as session:
        messages = claim_due(session, settings, utcnow())
    if not messages:
        return 0
    results = send(settings, messages)
    with db.session() as session:
        record_results(session, settings, messages, results, utcnow())
    return sum(result.ok for result in results.values())
