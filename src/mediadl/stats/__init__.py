"""Statistics for the dashboard: overview, timeline, platforms, sources and storage, read
from roll-up tables that database triggers keep exact."""
