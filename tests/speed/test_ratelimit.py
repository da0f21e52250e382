"""Token-bucket arithmetic of the speed limits (no clocks, no sleeping: a fake clock)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediadl.engines.ratelimit import (
    BucketState,
    SharedTokenBucket,
    SpeedLimiter,
    TokenBucket,
    bucket_file,
    speed_limiter,
    take,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_take_within_the_burst_needs_no_wait():
    state, wait = take(BucketState(100.0, 0.0), now=0.0, amount=60, rate=10, burst=100)
    assert wait == 0 and state.tokens == 40


def test_take_beyond_the_tokens_waits_for_the_debt():
    state, wait = take(BucketState(100.0, 0.0), now=0.0, amount=150, rate=10, burst=100)
    assert state.tokens == -50 and wait == pytest.approx(5.0)


def test_refill_is_capped_at_the_burst():
    state, wait = take(BucketState(0.0, 0.0), now=1000.0, amount=0, rate=10, burst=100)
    assert state.tokens == 100 and wait == 0


def test_a_clock_going_backwards_refills_nothing():
    state, _ = take(BucketState(5.0, 50.0), now=40.0, amount=0, rate=10, burst=100)
    assert state == BucketState(5.0, 50.0)


def test_bucket_long_run_rate_is_its_rate():
    clock = FakeClock()
    bucket = TokenBucket(rate=1000, burst=1000, clock=clock)
    slept = 0.0
    for _ in range(100):  # 100 reads of 500 bytes, sleeping what the bucket asks
        wait = bucket.reserve(500)
        clock.now += wait
        slept += wait
    # 50,000 bytes at 1,000 B/s, minus the 1,000-byte burst the bucket started with
    assert slept == pytest.approx(49.0)


def test_bucket_refills_while_idle():
    clock = FakeClock()
    bucket = TokenBucket(rate=100, burst=200, clock=clock)
    assert bucket.reserve(300) == pytest.approx(1.0)
    clock.now += 3.0  # the debt of 100 is paid after 1 s, then 200 more accrue (the cap)
    assert bucket.reserve(200) == 0


def test_default_burst_is_a_quarter_second_but_at_least_64_kib():
    assert TokenBucket(rate=1_000_000).burst == 250_000
    assert TokenBucket(rate=1000).burst == 64 * 1024


@pytest.mark.parametrize("rate", [0, -5])
def test_rate_must_be_positive(rate, tmp_path: Path):
    with pytest.raises(ValueError):
        TokenBucket(rate)
    with pytest.raises(ValueError):
        SharedTokenBucket(tmp_path / "b", rate)


def test_shared_buckets_on_one_file_share_the_debt(tmp_path: Path):
    clock = FakeClock()
    path = tmp_path / "host.bucket"
    first = SharedTokenBucket(path, rate=100, burst=100, clock=clock)
    second = SharedTokenBucket(path, rate=100, burst=100, clock=clock)  # another process
    assert first.reserve(100) == 0
    assert second.reserve(100) == pytest.approx(1.0)  # it sees what the first one took
    assert first.reserve(50) == pytest.approx(1.5)
    first.close()
    second.close()


def test_shared_bucket_survives_a_damaged_file(tmp_path: Path):
    path = tmp_path / "host.bucket"
    path.write_bytes(b"xy")
    bucket = SharedTokenBucket(path, rate=100, burst=100, clock=FakeClock())
    assert bucket.reserve(100) == 0  # starts full again
    bucket.close()


def test_shared_bucket_ignores_stamps_from_before_a_reboot(tmp_path: Path):
    clock = FakeClock()
    path = tmp_path / "host.bucket"
    before = SharedTokenBucket(path, rate=100, burst=100, clock=clock)
    before.reserve(1000)  # a big debt ...
    clock.now = 5.0  # ... then the machine restarted: the monotonic clock begins again
    after = SharedTokenBucket(path, rate=100, burst=100, clock=clock)
    assert after.reserve(100) == 0
    before.close()
    after.close()


def test_limiter_sleeps_for_the_strictest_bucket():
    clock = FakeClock()
    slept: list[float] = []
    limiter = SpeedLimiter([TokenBucket(100, 100, clock), TokenBucket(50, 50, clock)],
                           sleep=slept.append)
    limiter.consume(150)
    assert slept == [pytest.approx(2.0)]  # 100 bytes over 50 B/s


def test_unlimited_limiter_never_sleeps():
    slept: list[float] = []
    limiter = SpeedLimiter(sleep=slept.append)
    assert limiter.consume(10**9) == 0 and slept == [] and not limiter.active


def test_speed_limiter_builds_only_the_configured_buckets(tmp_path: Path):
    assert not speed_limiter("a.example", None, None, tmp_path).active
    limiter = speed_limiter("a.example", 1000, 5000, tmp_path)
    assert [bucket.rate for bucket in limiter.buckets] == [1000, 5000]
    assert {p.name for p in tmp_path.iterdir()} == {bucket_file(tmp_path, "host:a.example").name,
                                                  bucket_file(tmp_path, "global").name}


def test_per_host_buckets_are_shared_by_host_name_only(tmp_path: Path):
    assert bucket_file(tmp_path, "host:A.example") == bucket_file(tmp_path, "host:a.example")
    assert bucket_file(tmp_path, "host:a.example") != bucket_file(tmp_path, "host:b.example")
    assert "/" not in bucket_file(tmp_path, "host:../../etc").name
