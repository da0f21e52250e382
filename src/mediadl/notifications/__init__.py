"""Notifications: per-user channels given as Apprise URLs (e-mail, webhooks, Discord,
Telegram, ntfy, ...), filtered by event, delivered in the background from a database outbox
(at least once, retried with backoff, surviving restarts), plus the WebSocket
``notification`` message for the web UI."""
