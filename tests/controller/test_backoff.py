import random
import statistics

import pytest

from controller.runtime.backoff import (
    BACKOFF_BASE_SECONDS,
    BACKOFF_CAP_SECONDS,
    failure_delay,
    resync_delay,
)


@pytest.mark.parametrize(
    ("attempts", "low", "high"),
    [
        (0, 0.5, 1.0),  # never failed: treated as the first failure
        (1, 0.5, 1.0),
        (2, 1.0, 2.0),
        (3, 2.0, 4.0),
        (5, 8.0, 16.0),
        (9, 128.0, 256.0),
        (10, 150.0, 300.0),  # 512 s step, capped
        (50, 150.0, 300.0),
    ],
)
def test_failure_delay_is_drawn_from_the_upper_half_of_its_step(attempts, low, high):
    rng = random.Random(attempts)
    delays = [failure_delay(attempts, rng) for _ in range(500)]
    assert low <= min(delays) and max(delays) <= high
    assert statistics.pstdev(delays) > 0, "jitter spreads keys that failed together"


def test_failure_delay_doubles_from_one_second_up_to_five_minutes():
    assert BACKOFF_BASE_SECONDS == 1.0 and BACKOFF_CAP_SECONDS == 300.0
    rng = random.Random(1)
    for attempts in range(1, 20):
        ceiling = min(300.0, 2.0 ** (attempts - 1))
        assert ceiling / 2 <= failure_delay(attempts, rng) <= ceiling, attempts


@pytest.mark.parametrize("attempts", [1_024, 1_100, 10_000, 2**31 - 1])
def test_failure_delay_stays_capped_for_a_key_that_never_recovers(attempts):
    # A key that fails every 5 minutes passes 1,024 attempts in under four days.
    assert 150.0 <= failure_delay(attempts, random.Random(0)) <= 300.0


def test_failure_delay_is_reproducible_with_a_seeded_rng():
    first = [failure_delay(n, random.Random(42)) for n in range(1, 8)]
    again = [failure_delay(n, random.Random(42)) for n in range(1, 8)]
    assert first == again


@pytest.mark.parametrize("interval", [1.0, 300.0, 3600.0])
def test_resync_delay_is_spread_ten_percent_either_side(interval):
    rng = random.Random(3)
    delays = [resync_delay(interval, rng) for _ in range(500)]
    assert interval * 0.9 <= min(delays) and max(delays) <= interval * 1.1
    assert statistics.pstdev(delays) > 0
