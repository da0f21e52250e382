"""Cross-cutting protection: the outbound (SSRF) guard, secrets at rest, request checks
(headers, CORS, CSRF, client address), login throttling and the activity log."""
