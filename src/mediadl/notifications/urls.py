"""Apprise URLs: checked when a channel is saved, shown without their secrets, and stored
sealed (they carry SMTP passwords, bot tokens and webhook secrets)."""

from __future__ import annotations

import apprise

from mediadl.core.errors import InvalidPayload
from mediadl.core.settings import Settings
from mediadl.security.policy import outbound_policy
from mediadl.security.sealing import SealError, open_sealed, seal

PURPOSE = "notification-url"
MAX_PREVIEW = 255
# Schemes whose host part is the server mediadl connects to (webhooks, mail, self-hosted
# push servers); for these a private address is refused already when the channel is saved.
# Every connection is checked again when sending, whatever the scheme.
HOST_SCHEMES = frozenset({"json", "jsons", "xml", "xmls", "form", "forms", "mailto", "mailtos",
                          "ntfy", "ntfys", "gotify", "gotifys", "apprise", "apprises",
                          "mqtt", "mqtts", "matrix", "matrixs", "rocket", "rockets"})
HINT = ("See https://github.com/caronc/apprise/wiki for the URL of each service, e.g. "
        "mailtos://user:password@smtp.example.org, json://hooks.example.org/path, "
        "discord://webhook_id/webhook_token, tgram://bot_token/chat_id, ntfy://topic.")


def checked_url(settings: Settings, url: str) -> str:
    """``url`` when Apprise understands it and it may be reached; a 422 otherwise."""
    plugin = apprise.Apprise.instantiate(url)
    if not plugin:
        raise InvalidPayload(f"url: Apprise does not understand this URL. {HINT}")
    _refuse_private_host(settings, url, plugin)
    return url


def preview(url: str) -> str:
    """The URL as a person may see it: passwords and tokens masked."""
    plugin = apprise.Apprise.instantiate(url)
    shown = plugin.url(privacy=True) if plugin else url.split("://", 1)[0] + "://…"
    return shown[:MAX_PREVIEW]


def seal_url(settings: Settings, url: str) -> str:
    return seal(settings, url.encode(), PURPOSE)


def open_url(settings: Settings, sealed: str) -> str | None:
    """The stored URL, or None when it cannot be opened (the instance secret changed)."""
    try:
        return open_sealed(settings, sealed, PURPOSE).decode()
    except SealError:
        return None


def _refuse_private_host(settings: Settings, url: str, plugin: object) -> None:
    policy = outbound_policy(settings)
    scheme = url.split("://", 1)[0].lower()
    host = getattr(plugin, "smtp_host", None) or getattr(plugin, "host", None)
    if policy is None or scheme not in HOST_SCHEMES or not isinstance(host, str) or not host:
        return
    shown = f"[{host}]" if ":" in host else host
    reason = policy.url_refusal(f"http://{shown}/")
    if reason is not None:
        raise InvalidPayload(f"url: mediadl does not send to {reason}; an admin can allow "
                             "private networks with MEDIADL_ALLOW_PRIVATE_NETWORKS=true.")
