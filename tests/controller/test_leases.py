"""Leases: renewed while a pass works, taken over when they expire, and fencing
every write of a pass that lost its lease."""

import asyncio

import pytest

from controller.runtime.worker import Worker
from controller.store.observed import FencedStateStore
from controller.store.queue import WorkQueue
from reconcilers.ports import LeaseLost, StatusUpdate
from reconcilers.results import Done
from tests.controller.support import (
    KIND,
    FakeReconciler,
    Tracker,
    fast_settings,
    settled_row,
    queue_row,
    stored_row,
    run_worker,
    running,
    wait_until,
)


def _status(owner: str) -> StatusUpdate:
    return StatusUpdate(observed_generation=1, conditions=[], outputs={"writtenBy": owner})


async def _outputs(pool, key):
    return await pool.fetchval("SELECT outputs FROM statuses WHERE kind = $1 AND key = $2", KIND, key)


def _writing(owner: str):
    async def step(ctx, n):
        await ctx.store.write_status(_status(owner))
        return Done()

    return step


async def test_a_crashed_workers_key_is_taken_over_when_its_lease_expires(pool, database_url, queue, history):
    await queue.enqueue(KIND, "k")
    [stale] = await queue.claim(KIND, 1, "crashed", 1.0)  # ... and never heard from again
    stale_expiry = (await queue_row(pool, "k"))["lease_expires"]

    survivor = FakeReconciler(_writing("survivor"))
    async with run_worker(pool, database_url, [survivor], name="survivor"):
        await wait_until(lambda: survivor.tracker.completed["k"], what="the survivor's pass")
        await wait_until(lambda: settled_row(pool, "k"))
    [takeover] = [e for e in await history.events("k", event="claimed") if e["leased_by"] == "survivor"]
    assert takeover["at"] >= stale_expiry, "not claimed while the lease was live"
    assert survivor.tracker.passes == {"k": 1}
    settled = await stored_row(pool, "k")

    assert await queue.finish(stale, delay=0) is False
    with pytest.raises(LeaseLost):
        await FencedStateStore(pool, KIND, "k", stale.token).write_status(_status("crashed"))
    await queue.forget(stale)

    assert await stored_row(pool, "k") == settled, "the stale lease changed nothing"
    assert await _outputs(pool, "k") == {"writtenBy": "survivor"}


async def test_an_expired_lease_fences_writes_even_before_anyone_takes_over(pool, queue):
    await queue.enqueue(KIND, "k")
    [lease] = await queue.claim(KIND, 1, "slowpoke", 0.2)
    store = FencedStateStore(pool, KIND, "k", lease.token)
    await store.write_status(_status("slowpoke"))  # held: accepted

    await wait_until(lambda: pool.fetchval("SELECT lease_expires < now() FROM work_queue"), what="expiry")
    with pytest.raises(LeaseLost):
        await store.write_status(_status("too late"))
    assert await _outputs(pool, "k") == {"writtenBy": "slowpoke"}


async def test_a_hung_pass_loses_its_key_and_its_late_writes_are_refused(
    pool, other_pool, database_url, queue, history
):
    """Worker `hung` stops renewing (a frozen process); `healthy` takes the key over.
    When the hung pass wakes, its status write raises LeaseLost and its finish is refused."""
    started, wake_up, refused = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def hanging(ctx, n):
        started.set()
        await wake_up.wait()
        try:
            await ctx.store.write_status(_status("hung"))
        except LeaseLost:
            refused.set()
        return Done()  # so the runtime tries to finish with the stale lease too

    hung_reconciler = FakeReconciler(hanging, concurrency=1)
    healthy_reconciler = FakeReconciler(_writing("healthy"))
    hung = Worker(pool, database_url, [hung_reconciler], fast_settings(lease_seconds=1.0), name="hung")

    async def not_renewing(stop):
        await stop.wait()

    hung._renew_leases = not_renewing
    await queue.enqueue(KIND, "k")

    async with running(hung):
        await asyncio.wait_for(started.wait(), 10)
        async with run_worker(other_pool, database_url, [healthy_reconciler], name="healthy"):
            await wait_until(lambda: healthy_reconciler.tracker.completed["k"] == 1, what="the takeover")
            await wait_until(lambda: settled_row(pool, "k"))
            settled = await stored_row(pool, "k")
            wake_up.set()
            await wait_until(lambda: hung_reconciler.tracker.completed["k"] == 1, what="the hung pass to end")
            await wait_until(lambda: not hung.in_flight)

    assert refused.is_set()
    assert await _outputs(pool, "k") == {"writtenBy": "healthy"}
    assert await stored_row(pool, "k") == settled, "the hung worker's finish changed nothing"
    assert await history.story("k") == [
        ("inserted", None),
        ("claimed", "hung"),
        ("claimed", "healthy"),
        ("unleased", None),
    ]


async def test_a_pass_longer_than_its_lease_keeps_it_by_renewing(pool, other_pool, database_url, queue, history):
    async def long_pass(ctx, n):
        # Outlive the 1 s lease several times over, counted in renewals, not seconds.
        await wait_until(lambda: _renewals(history), what="renewals")
        await ctx.store.write_status(_status("long"))
        return Done()

    tracker_shared = FakeReconciler(long_pass).tracker
    first = FakeReconciler(long_pass, tracker=tracker_shared)
    second = FakeReconciler(long_pass, tracker=tracker_shared)
    settings = fast_settings(lease_seconds=1.0)
    await queue.enqueue(KIND, "k")
    async with running(Worker(pool, database_url, [first], settings)), running(
        Worker(other_pool, database_url, [second], settings)
    ):
        await wait_until(lambda: tracker_shared.completed["k"], what="the long pass")
        await wait_until(lambda: settled_row(pool, "k"))

    assert tracker_shared.passes == {"k": 1} and tracker_shared.overlaps == []
    assert await _outputs(pool, "k") == {"writtenBy": "long"}
    assert [e["event"] for e in await history.events("k", event="claimed")] == ["claimed"]


async def _renewals(history, wanted=6):
    return len(await history.events("k", event="renewed")) >= wanted


async def test_a_pass_whose_lease_cannot_be_renewed_stops_before_anyone_can_take_over(pool, database_url):
    """Fencing keeps a stale pass out of PostgreSQL, not out of the cloud: so a pass
    whose renewals fail is cancelled before its lease can run out."""
    await WorkQueue(pool).enqueue(KIND, "k")
    tracker = Tracker()

    async def slow(ctx, n):
        await asyncio.sleep(4)  # twice the 2 s lease
        return Done()

    first = FakeReconciler(slow, tracker=tracker)
    second = FakeReconciler(slow, tracker=tracker)
    async with run_worker(pool, database_url, [first], name="A") as handle:

        async def flapping(*_args, **_kwargs):
            raise OSError("the database link is flapping")

        handle.worker._renew = flapping
        await wait_until(lambda: tracker.running["k"], what="A running the key")
        async with run_worker(pool, database_url, [second], name="B"):
            await wait_until(lambda: tracker.cancelled["k"], timeout=8, what="A giving the key up")
            await wait_until(lambda: tracker.passes["k"] >= 2, timeout=8, what="B taking the key over")
    assert tracker.overlaps == []


async def test_forget_waits_for_a_concurrent_write_and_keeps_the_key_due(pool):
    """An enqueue committing while `forget` decides must not leave the key behind a dead lease."""
    queue = WorkQueue(pool)
    await queue.ensure(KIND, "k")
    [lease] = await queue.claim(KIND, 1, "w", 30)
    async with pool.acquire() as writer:
        transaction = writer.transaction()
        await transaction.start()
        await writer.execute("SELECT berth_enqueue($1, 'k')", KIND)
        forgetting = asyncio.create_task(queue.forget(lease))
        await asyncio.sleep(0.2)
        await transaction.commit()
        await forgetting
    row = await pool.fetchrow(
        "SELECT leased_by, dirty, not_before <= now() AS due FROM work_queue WHERE kind = $1 AND key = 'k'", KIND
    )
    assert row is not None, "the write during the pass keeps the key"
    assert (row["leased_by"], row["dirty"], row["due"]) == (None, False, True)
