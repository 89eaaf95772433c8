"""One place maps a pass's failure to the key's next schedule, read off the queue row."""

import random
from datetime import UTC, datetime

import pytest

from controller.runtime.backoff import failure_delay, resync_delay
from reconcilers.results import Done, PermanentError, TemporaryError
from schemas.status import Condition, ConditionType
from tests.controller.support import (
    KIND,
    FakeReconciler,
    fast_settings,
    make_due,
    queue_row,
    run_worker,
)

SEED = 20240601
RESYNC = fast_settings().resync_seconds


async def test_failures_back_off_exponentially_and_a_success_resets_attempts(pool, database_url, queue, history):
    failures = 5

    async def step(ctx, n):
        if n <= failures:
            raise RuntimeError(f"boom {n}")
        return Done()

    reconciler = FakeReconciler(step)
    await queue.enqueue(KIND, "k")
    async with run_worker(pool, database_url, [reconciler], rng=random.Random(SEED)):
        for n in range(1, failures + 2):
            finishes = await history.wait_for_finishes("k", n)
            await make_due(pool, "k")  # instead of waiting out the backoff
    failed, succeeded = finishes[:failures], finishes[failures]

    replay = random.Random(SEED)
    expected = [failure_delay(n, replay) for n in range(1, failures + 1)]
    assert [f["attempts"] for f in failed] == [1, 2, 3, 4, 5]
    assert [f["delay"] for f in failed] == pytest.approx(expected, abs=1e-3)
    for n, f in enumerate(failed, start=1):
        assert 2 ** (n - 2) <= f["delay"] <= 2 ** (n - 1), "upper half of the step"
        assert f["last_error"] == f"RuntimeError: boom {n}"
    assert [f["delay"] for f in failed] == sorted(f["delay"] for f in failed)

    assert succeeded["attempts"] == 0 and succeeded["last_error"] is None
    assert succeeded["delay"] == pytest.approx(resync_delay(RESYNC, replay), abs=1e-3)
    assert reconciler.tracker.passes == {"k": failures + 1}


async def test_temporary_error_retries_after_its_own_delay_or_the_backoff_if_longer(
    pool, database_url, queue, history
):
    async def step(ctx, n):
        if n <= 2:
            raise TemporaryError("throttled by the cloud", delay=42)
        return Done()

    reconciler = FakeReconciler(step)
    await queue.enqueue(KIND, "k")
    async with run_worker(pool, database_url, [reconciler], rng=random.Random(SEED)):
        for n in (1, 2, 3):
            finishes = await history.wait_for_finishes("k", n)
            await make_due(pool, "k")

    replay = random.Random(SEED)
    expected = [max(42, failure_delay(attempts, replay)) for attempts in (1, 2)]
    assert [f["attempts"] for f in finishes] == [1, 2, 0]
    assert [f["delay"] for f in finishes[:2]] == pytest.approx(expected, abs=1e-3)
    assert [f["last_error"] for f in finishes] == ["throttled by the cloud"] * 2 + [None]
    assert finishes[2]["delay"] == pytest.approx(resync_delay(RESYNC, replay), abs=1e-3)


async def test_permanent_error_is_recorded_as_conditions_and_waits_for_the_resync(
    pool, database_url, queue, history
):
    first_seen, later = datetime(2024, 6, 1, 12, tzinfo=UTC), datetime(2024, 6, 1, 13, tzinfo=UTC)
    clock = iter([first_seen, later])

    async def step(ctx, n):
        ctx.bind(generation=7)
        raise PermanentError("InvalidSpec", f"cpu 3 is not a Fargate size (pass {n})")

    reconciler = FakeReconciler(step)
    await queue.enqueue(KIND, "k")
    async with run_worker(pool, database_url, [reconciler], rng=random.Random(SEED), clock=lambda: next(clock)):
        [first] = await history.wait_for_finishes("k", 1)
        status_after_first = await _status(pool, "k")
        await make_due(pool, "k")
        finishes = await history.wait_for_finishes("k", 2)
    second = finishes[1]

    replay = random.Random(SEED)
    assert first["attempts"] == 0, "retrying will not help, so no backoff"
    assert first["delay"] == pytest.approx(resync_delay(RESYNC, replay), abs=1e-3)
    assert second["delay"] == pytest.approx(resync_delay(RESYNC, replay), abs=1e-3)
    assert first["last_error"] == "InvalidSpec: cpu 3 is not a Fargate size (pass 1)"

    generation, conditions = status_after_first
    assert generation == 7
    assert conditions[ConditionType.READY].status is False
    assert conditions[ConditionType.DEGRADED].status is True
    for condition in conditions.values():
        assert condition.reason == "InvalidSpec"
        assert condition.message == "cpu 3 is not a Fargate size (pass 1)"
        assert condition.last_transition_time == first_seen

    _, conditions = await _status(pool, "k")
    assert conditions[ConditionType.DEGRADED].message.endswith("(pass 2)")
    assert conditions[ConditionType.DEGRADED].last_transition_time == first_seen, "status did not change"
    assert (await queue_row(pool, "k"))["due_in"] > 3000


async def _status(pool, key):
    row = await pool.fetchrow("SELECT observed_generation, conditions FROM statuses WHERE kind = $1 AND key = $2", KIND, key)
    conditions = [Condition.model_validate(c) for c in row["conditions"]]
    return row["observed_generation"], {c.type: c for c in conditions}
