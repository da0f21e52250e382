"""Monitoring: the health check, Prometheus metrics, and the background loops of a server
process (runtime settings, storage guard, notifications, cleanup) whose liveness both
report."""
