from datetime import datetime

from mediadl.jobs.retry import RetryPolicy


def test_delay_grows_and_is_bounded():
    policy = RetryPolicy(max_attempts=10, base_seconds=2, max_seconds=30)
    for attempt in range(1, 10):
        ceiling = min(30, 2 * 2 ** (attempt - 1))
        for _ in range(50):
            assert ceiling / 2 <= policy.delay(attempt) <= ceiling


def test_retry_after_is_a_floor_but_capped():
    policy = RetryPolicy(max_attempts=3, base_seconds=1, max_seconds=60)
    assert policy.delay(1, retry_after=20) >= 20
    assert policy.delay(1, retry_after=10_000) <= 60


def test_only_transient_failures_with_attempts_left_retry():
    policy = RetryPolicy(max_attempts=3, base_seconds=1, max_seconds=5)
    assert policy.should_retry(1, transient=True)
    assert not policy.should_retry(3, transient=True)
    assert not policy.should_retry(1, transient=False)


def test_next_attempt_is_in_the_future():
    policy = RetryPolicy(max_attempts=3, base_seconds=1, max_seconds=5)
    now = datetime(2026, 1, 1)
    assert policy.next_attempt_at(now, 1) > now
