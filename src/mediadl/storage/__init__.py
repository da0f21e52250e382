"""Storage: the free-space guard (pause downloads before the disk fills, resume them when
room returns), per-user quotas and the auto-cleanup policy."""
