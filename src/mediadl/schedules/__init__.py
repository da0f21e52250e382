"""The scheduler: recurring sources (channels, profiles, feeds, forum threads) checked on a
cron schedule, with a history of runs. See docs/adr/0009-scheduler.md."""
