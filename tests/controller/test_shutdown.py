"""Stopping: passes get the grace period, then are cancelled and their keys handed back."""

import asyncio

from reconcilers.ports import StatusUpdate
from reconcilers.results import RequeueAfter
from tests.controller.support import (
    KIND,
    FakeReconciler,
    fast_settings,
    queue_row,
    run_worker,
    wait_until,
)


async def test_a_pass_slower_than_the_grace_is_cancelled_and_its_key_handed_back(
    pool, other_pool, database_url, queue, history
):
    async def forever(ctx, n):
        await asyncio.Event().wait()

    stuck = FakeReconciler(forever)
    await queue.enqueue(KIND, "k")
    await queue.enqueue(KIND, "j")
    async with run_worker(pool, database_url, [stuck], fast_settings(shutdown_grace_seconds=0.2)) as running:
        await wait_until(lambda: stuck.tracker.running["k"] and stuck.tracker.running["j"], what="both passes")
        await running.stop()
        assert not running.worker.in_flight

    assert stuck.tracker.cancelled == {"k": 1, "j": 1}
    for key in ("k", "j"):
        row = await queue_row(pool, key)
        assert row["lease_token"] is None and row["leased_by"] is None
        assert row["due_in"] <= 0, "due at once for any other worker"
        assert row["attempts"] == 0 and row["last_error"] is None, "a shutdown is not a failure"

    # Nothing lost: the next process picks the keys up.
    successor = FakeReconciler()
    async with run_worker(other_pool, database_url, [successor]):
        await wait_until(lambda: successor.tracker.completed.total() == 2, what="the successor")
    assert successor.tracker.completed == {"k": 1, "j": 1}


async def test_a_pass_that_ends_within_the_grace_finishes_normally(pool, database_url, queue, history):
    """The pass outlives its 1 s lease after the stop, so the lease must be renewed while draining."""
    renewals_at_stop = 0

    async def until_stopped(ctx, n):
        await running.stop_event.wait()  # still working when the stop comes
        await wait_until(lambda: _renewals_since(history, renewals_at_stop, 4), what="renewals while draining")
        await ctx.store.write_status(StatusUpdate(observed_generation=1, conditions=[], outputs={"done": True}))
        return RequeueAfter(60, "rollout in progress")

    reconciler = FakeReconciler(until_stopped)
    await queue.enqueue(KIND, "k")
    settings = fast_settings(lease_seconds=1.0, shutdown_grace_seconds=8)
    async with run_worker(pool, database_url, [reconciler], settings) as running:
        await wait_until(lambda: reconciler.tracker.running["k"], what="the pass")
        renewals_at_stop = len(await history.events("k", event="renewed"))
        await running.stop()

    assert reconciler.tracker.completed == {"k": 1} and not reconciler.tracker.cancelled
    [finish] = await history.finishes("k")
    assert abs(finish["delay"] - 60) < 1e-3, "scheduled by the pass, not handed back"
    assert await pool.fetchval("SELECT outputs FROM statuses WHERE key = 'k'") == {"done": True}


async def _renewals_since(history, before, wanted):
    return len(await history.events("k", event="renewed")) >= before + wanted


async def test_stopping_an_idle_worker_returns_promptly(pool, database_url):
    async with run_worker(pool, database_url, [FakeReconciler()], fast_settings(poll_seconds=30.0)) as running:
        await wait_until(lambda: pool.fetchval("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'"))
        await running.stop(timeout=5)

