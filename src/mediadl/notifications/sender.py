"""``python -m mediadl.notifications.sender``: sends a batch of notifications with Apprise.

Runs as a program of its own, started by the delivery loop, so that it can run under the
outbound guard (``security.guarded_run``): every connection Apprise opens - including the
ones of services whose address is not in the URL - is checked like an engine's. Reads
``{"messages": [{"id", "url", "title", "body", "level"}]}`` on standard input and writes
``{"results": [{"id", "ok", "error"}]}`` on standard output.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import apprise

NOTIFY_TYPES = {"info": apprise.NotifyType.INFO, "success": apprise.NotifyType.SUCCESS,
                "warning": apprise.NotifyType.WARNING, "error": apprise.NotifyType.FAILURE}
MAX_ERROR = 500


def send_one(message: dict[str, Any]) -> dict[str, Any]:
    sender = apprise.Apprise()
    if not sender.add(str(message.get("url", ""))):
        return {"id": message.get("id"), "ok": False, "error": "Apprise cannot read the URL."}
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
        try:
            ok = bool(sender.notify(
                body=str(message.get("body") or " "), title=str(message.get("title") or ""),
                notify_type=NOTIFY_TYPES.get(str(message.get("level")), apprise.NotifyType.INFO)))
        except Exception as crash:  # a plugin bug must not lose the other messages
            ok, captured_text = False, f"{type(crash).__name__}: {crash}"
        else:
            captured_text = captured.getvalue()
    problem = None if ok else _one_line(captured_text) or "The service did not accept it."
    return {"id": message.get("id"), "ok": ok, "error": problem}


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(lines)[-MAX_ERROR:]


def main() -> None:
    request = json.load(sys.stdin)
    results = [send_one(message) for message in request.get("messages", [])]
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
