"""gallery-dl's exit status and log lines -> EngineError with a one-line message and a
transient/permanent verdict."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mediadl.engines.base import EngineError
from mediadl.engines.gallerydl.command import MARK

MAX_MESSAGE_LENGTH = 300
# gallery-dl's exit status is a bit field (gallery_dl/exception.py).
NO_EXTRACTOR, AUTH_REQUIRED, NOT_FOUND, INPUT_ERROR = 64, 16, 8, 32
_TRANSIENT = re.compile(
    r"\b(?:429|5\d\d)\b|too many requests|rate.?limit|timed? ?out|connection (?:reset|"
    r"refused|aborted)|temporar|try again later|challenge|please wait", re.IGNORECASE)
_RETRY_AFTER = re.compile(r"retry[- ]after[:= ]+(\d+)", re.IGNORECASE)
_URL = re.compile(r"'?https?://\S+")


@dataclass(frozen=True)
class LogLine:
    level: str
    name: str
    message: str


def parse_log_line(text: str) -> LogLine | None:
    """``\\x1eL <level> <logger> <message>`` as written by LOG_FORMAT, else None."""
    if not text.startswith(MARK + "L "):
        return None
    level, _, rest = text[3:].partition(" ")
    name, _, message = rest.partition(" ")
    return LogLine(level.lower(), name, message.strip())


def error_messages(stderr: list[str]) -> list[str]:
    """Error lines, each with the warning that came just before it (gallery-dl's
    "Failed to download x" follows the warning that says why: "'429 Too Many Requests'")."""
    messages, reason = [], ""
    for line in filter(None, map(parse_log_line, stderr)):
        if line.level == "warning":
            reason = line.message
        elif line.level in ("error", "critical"):
            messages.append(f"{line.message}: {reason}" if reason else line.message)
            reason = ""
    return messages


def engine_error(status: int, stderr: list[str]) -> EngineError:
    messages = error_messages(stderr)
    message = clean(messages[-1] if messages else _last_words(stderr, status))
    if status & NO_EXTRACTOR:
        return EngineError(f"gallery-dl cannot read this link ({message})")
    if status & AUTH_REQUIRED:
        return EngineError(f"{message}; this source needs a login: upload its cookies.txt "
                           "in the platform settings")
    transient = any(_TRANSIENT.search(_URL.sub("", text)) for text in messages) or (
        not messages and not status & (NOT_FOUND | INPUT_ERROR))
    return EngineError(message, transient=transient, retry_after=_retry_after(messages))


def clean(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > MAX_MESSAGE_LENGTH:
        text = text[: MAX_MESSAGE_LENGTH - 1] + "…"
    return text or "gallery-dl failed"


def _last_words(stderr: list[str], status: int) -> str:
    plain = [line for line in stderr if line.strip() and not line.startswith(MARK)]
    return plain[-1] if plain else f"gallery-dl stopped with status {status}"


def _retry_after(messages: list[str]) -> float | None:
    for text in reversed(messages):
        match = _RETRY_AFTER.search(text)
        if match:
            return float(match.group(1))
    return None
