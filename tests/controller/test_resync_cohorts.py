"""Resyncs land on cohort boundaries: within the ±10 % draw plus one slot, on a multiple
of the slot (plus the process's offset), so a resync's passes arrive together."""

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controller.runtime.backoff import COHORT_JITTER_SECONDS, on_cohort, resync_delay
from controller.runtime.settings import RuntimeSettings
from controller.runtime.worker import Worker

EPSILON = 1e-6


@pytest.mark.parametrize(
    ("delay", "now", "slot", "offset", "expected"),
    [
        (300.0, 1_000.0, 5.0, 0.0, 300.0),  # already on a boundary: unchanged
        (301.0, 1_000.0, 5.0, 0.0, 305.0),  # the next boundary after now + delay
        (299.5, 1_000.2, 5.0, 0.0, 299.8),  # now off the grid: due at 1,300
        (300.0, 1_000.0, 5.0, 0.05, 300.05),  # the process's own offset
        (300.06, 1_000.0, 5.0, 0.05, 305.05),  # just past its boundary: the next one
        (12.3, 7.0, 0.0, 0.08, 12.3),  # slot 0: no cohorts
        (0.5, 1_000.0, 5.0, 0.0, 5.0),  # a short delay waits for the boundary
    ],
)
def test_a_resync_moves_later_onto_the_next_boundary(delay, now, slot, offset, expected):
    assert on_cohort(delay, now, slot, offset) == pytest.approx(expected, abs=EPSILON)


@given(
    interval=st.floats(1.0, 86_400.0),
    now=st.floats(1.6e9, 2.2e9),
    slot=st.floats(0.5, 60.0),
    offset=st.floats(0.0, COHORT_JITTER_SECONDS, exclude_max=True),
    seed=st.integers(0, 2**32),
)
def test_a_resync_is_within_its_window_and_on_a_boundary_up_to_the_offset(interval, now, slot, offset, seed):
    delay = on_cohort(resync_delay(interval, random.Random(seed)), now, slot, offset)
    assert 0.9 * interval - EPSILON <= delay <= 1.1 * interval + slot + EPSILON
    slots = (now + delay - offset) / slot
    # epoch seconds near 2e9 carry ~1e-7 s of float error: judged in seconds, not slots
    assert abs(slots - round(slots)) * slot < 1e-4


def test_resyncs_drawn_together_share_few_boundaries():
    rng, now, slot = random.Random(5), 1_000.3, 5.0
    dues = {round(now + on_cohort(resync_delay(300.0, rng), now, slot, 0.02), 6) for _ in range(1_000)}
    # the ±10 % window (60 s) spans 12 or 13 slots: 1,000 resyncs arrive in that many cohorts
    assert len(dues) <= math.ceil(60.0 / slot) + 1


def test_the_setting_is_read_from_the_environment_and_defaults_to_five_seconds():
    assert RuntimeSettings().resync_cohort_seconds == 5.0
    assert RuntimeSettings.from_env({"BERTH_RESYNC_COHORT_SECONDS": "2.5"}).resync_cohort_seconds == 2.5


def test_the_worker_schedules_resyncs_on_its_boundaries(pool):
    settings = RuntimeSettings(resync_seconds=300.0, resync_cohort_seconds=5.0)
    worker = Worker(pool, "postgresql://unused", [], settings, rng=random.Random(1))
    assert 0.0 <= worker._cohort_offset < COHORT_JITTER_SECONDS
    for _ in range(50):
        delay = worker._resync_delay()
        assert 270.0 <= delay <= 335.0
