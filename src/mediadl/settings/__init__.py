"""Settings an admin changes while the server runs (``/api/v1/settings``), and each user's
own preferences (``/api/v1/settings/me``). Not to be confused with ``core.settings``, the
start-up configuration these values override."""
