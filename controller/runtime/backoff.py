"""Delays between passes: exponential backoff for failures, jittered resync for drift,
landing on cohort boundaries so the passes of a resync arrive together."""

import math
import random

BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 300.0
_MAX_DOUBLINGS = 32  # far past the cap; keeps 2 ** n a float after thousands of failures
COHORT_JITTER_SECONDS = 0.1  # a process's own offset from the shared boundaries, at most


def failure_delay(attempts: int, rng: random.Random) -> float:
    """1 s, 2 s, 4 s … capped at 5 min; each drawn from the upper half of its step,
    so keys that failed together do not retry together."""
    doublings = min(max(attempts - 1, 0), _MAX_DOUBLINGS)
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**doublings)
    return rng.uniform(ceiling / 2, ceiling)


def resync_delay(interval: float, rng: random.Random) -> float:
    """The periodic pass that catches drift, spread ±10 % so resyncs do not bunch up."""
    return rng.uniform(interval * 0.9, interval * 1.1)


def on_cohort(delay: float, now: float, slot: float, offset: float = 0.0) -> float:
    """`delay` moved later onto the next cohort boundary: the due time (`now` + the result,
    epoch seconds) is a multiple of `slot` plus the process's `offset` (0 ≤ offset <
    `COHORT_JITTER_SECONDS`), and the result lies in [delay, delay + slot).

    Spread uniformly, 1,000 applications' resyncs reach each kind a few at a time and
    the cloud-side describe batchers (50 ms windows) find nothing to share; on
    boundaries, a slot's passes arrive together and batch, while the ±10 % draw still
    spreads the load over slots. `slot` ≤ 0 leaves the delay alone."""
    if slot <= 0:
        return delay
    due = math.ceil((now + delay - offset) / slot) * slot + offset
    return max(due - now, delay)  # max: floating-point rounding never makes it earlier
