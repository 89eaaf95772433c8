"""Delays between passes: exponential backoff for failures, jittered resync for drift."""

import random

BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 300.0
_MAX_DOUBLINGS = 32  # far past the cap; keeps 2 ** n a float after thousands of failures


def failure_delay(attempts: int, rng: random.Random) -> float:
    """1 s, 2 s, 4 s … capped at 5 min; each drawn from the upper half of its step,
    so keys that failed together do not retry together."""
    doublings = min(max(attempts - 1, 0), _MAX_DOUBLINGS)
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**doublings)
    return rng.uniform(ceiling / 2, ceiling)


def resync_delay(interval: float, rng: random.Random) -> float:
    """The periodic pass that catches drift, spread ±10 % so resyncs do not bunch up."""
    return rng.uniform(interval * 0.9, interval * 1.1)
