"""Platforms: which source a link belongs to, which engine reads it, how each source is
doing, and what an admin chose for it (cookies, proxy, pace, concurrency)."""
