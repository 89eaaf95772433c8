"""How the queue decides how many passes a key gets: dedupe, dirty keys, requeue, forget."""

import asyncio

import pytest

from reconcilers.results import Done, Forget, RequeueAfter
from tests.controller.support import (
    KIND,
    ClaimSpy,
    FakeReconciler,
    settled_row,
    queue_row,
    run_worker,
    wait_until,
)


async def test_many_enqueues_before_the_worker_starts_make_one_pass(pool, database_url, queue):
    await asyncio.gather(*(queue.enqueue(KIND, "k") for _ in range(100)))
    assert await pool.fetchval("SELECT count(*) FROM work_queue") == 1

    reconciler = FakeReconciler()
    async with run_worker(pool, database_url, [reconciler]) as running:
        spy = ClaimSpy(running.worker)
        await wait_until(lambda: settled_row(pool, "k"), what="the pass to finish")
        await spy.idle_rounds(3)

    assert reconciler.tracker.passes == {"k": 1}
    row = await queue_row(pool, "k")
    assert row["attempts"] == 0 and not row["dirty"]
    assert row["due_in"] > 3000, "next pass is the resync"


async def test_a_key_written_during_its_pass_gets_exactly_one_more_pass(pool, database_url, queue, history):
    started, gate = asyncio.Event(), asyncio.Event()

    async def step(ctx, n):
        if n == 1:
            started.set()
            await gate.wait()
        return Done()

    reconciler = FakeReconciler(step)
    await queue.enqueue(KIND, "k")
    async with run_worker(pool, database_url, [reconciler]) as running:
        spy = ClaimSpy(running.worker)
        await asyncio.wait_for(started.wait(), 10)

        await asyncio.gather(*(queue.enqueue(KIND, "k") for _ in range(50)))
        row = await queue_row(pool, "k")
        assert row["dirty"] and row["lease_token"] is not None, "written while leased"

        gate.set()
        first, second = await history.wait_for_finishes("k", 2)
        await spy.idle_rounds(3)

    assert reconciler.tracker.passes == {"k": 2}
    assert reconciler.tracker.overlaps == []
    assert first["delay"] == 0, "the dirty key was due again at once"
    assert second["delay"] > 3000, "the second pass scheduled the resync"
    row = await queue_row(pool, "k")
    assert not row["dirty"] and row["lease_token"] is None


async def test_requeue_after_schedules_the_next_pass_that_many_seconds_out(pool, database_url, queue, history):
    reconciler = FakeReconciler(lambda ctx, n: _result(RequeueAfter(30, "waiting for a dependency")))
    await queue.enqueue(KIND, "k")
    async with run_worker(pool, database_url, [reconciler]) as running:
        spy = ClaimSpy(running.worker)
        [finish] = await history.wait_for_finishes("k", 1)
        await spy.idle_rounds(2)

    assert finish["delay"] == pytest.approx(30, abs=1e-3)
    assert finish["attempts"] == 0 and finish["last_error"] is None
    assert reconciler.tracker.passes == {"k": 1}
    assert 25 < (await queue_row(pool, "k"))["due_in"] <= 30


async def test_requeue_after_zero_runs_again_at_once(pool, database_url, queue):
    reconciler = FakeReconciler(lambda ctx, n: _result(RequeueAfter(0, "again") if n < 3 else Done()))
    await queue.enqueue(KIND, "k")
    async with run_worker(pool, database_url, [reconciler]):
        await wait_until(lambda: reconciler.tracker.completed["k"] == 3, what="three passes")
        await wait_until(lambda: settled_row(pool, "k"))
    assert reconciler.tracker.passes == {"k": 3}


async def test_forget_deletes_the_queue_row(pool, database_url, queue):
    reconciler = FakeReconciler(lambda ctx, n: _result(Forget()))
    await queue.enqueue(KIND, "k")
    await queue.enqueue(KIND, "other")
    async with run_worker(pool, database_url, [reconciler]) as running:
        spy = ClaimSpy(running.worker)
        await wait_until(lambda: reconciler.tracker.completed["k"] == 1)
        await wait_until(lambda: _absent(pool, "k"), what="the row to go")
        await spy.idle_rounds(2)
    assert reconciler.tracker.passes == {"k": 1, "other": 1}
    assert await pool.fetchval("SELECT count(*) FROM work_queue") == 0


async def test_forget_while_dirty_keeps_the_row_due_now(pool, database_url, queue, history):
    async def step(ctx, n):
        if n == 1:
            await queue.enqueue(KIND, ctx.key)  # the object was written again mid-pass
        return Forget()

    reconciler = FakeReconciler(step)
    await queue.enqueue(KIND, "k")
    async with run_worker(pool, database_url, [reconciler]) as running:
        spy = ClaimSpy(running.worker)
        await wait_until(lambda: _absent(pool, "k"), what="the second forget")
        await spy.idle_rounds(2)

    assert reconciler.tracker.passes == {"k": 2}
    assert [event for event, _ in await history.story("k")] == [
        "inserted", "claimed", "updated", "unleased", "claimed", "deleted"
    ]
    kept = (await history.finishes("k"))[0]
    assert kept["delay"] == 0 and not kept["dirty"], "kept, unleased and due at once"


async def _result(value):
    return value


async def _absent(pool, key):
    return await queue_row(pool, key) is None
