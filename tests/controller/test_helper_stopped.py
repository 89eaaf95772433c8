"""A worker whose lease renewal dies stops, handing its keys back, rather than run on
with leases that will lapse under live passes."""

import asyncio

import pytest

from controller.runtime.worker import HelperStopped, Worker
from tests.controller.support import KIND, FakeReconciler, fast_settings, queue_row, wait_until


async def test_a_worker_whose_lease_renewal_dies_stops_and_hands_its_key_back(pool, database_url, queue):
    await queue.enqueue(KIND, "k")
    started = asyncio.Event()

    async def long_pass(ctx, n):
        started.set()
        await asyncio.sleep(60)

    # A long grace: with nothing renewing the leases, the worker must not wait it out.
    settings = fast_settings(lease_seconds=0.6, shutdown_grace_seconds=60.0)
    worker = Worker(pool, database_url, [FakeReconciler(long_pass)], settings)

    async def broken_renew(tokens, lease_seconds):
        raise ValueError("a bug, not a database error")

    worker._renew = broken_renew
    stop = asyncio.Event()
    run = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(started.wait(), timeout=10)

    with pytest.raises(HelperStopped, match="lease renewal"):
        await asyncio.wait_for(run, timeout=10)
    row = await wait_until(lambda: queue_row(pool, "k"))
    assert row["leased_by"] is None, "the key was handed back for another worker"



async def test_a_pass_that_is_finishing_is_not_cancelled_when_a_renewal_misses_its_lease(pool, database_url, queue):
    """A renewal that runs while a pass's finish commits no longer finds that lease;
    the pass has stopped acting, so it is left to finish, not cancelled as lost."""
    await queue.enqueue(KIND, "k")
    worker = Worker(pool, database_url, [FakeReconciler()], fast_settings(lease_seconds=1.5))
    finishing: set = set()
    missed, abandoned = [], []
    real_finish_many, real_renew, real_abandon = worker._queue.finish_many, worker._renew, worker._abandon

    async def slow_finish_many(finished):
        finishing.update(lease.token for lease, *_ in finished)
        await asyncio.sleep(1.2)  # renewals (every 0.5 s) run meanwhile
        return await real_finish_many(finished)

    async def renew_racing_the_finish(tokens, lease_seconds):
        held = await real_renew(tokens, lease_seconds)
        missed.extend(held & finishing)
        return held - finishing  # as if each finish had committed just before the renewal

    worker._queue.finish_many = slow_finish_many
    worker._renew = renew_racing_the_finish
    worker._abandon = lambda token, why: (abandoned.append(why), real_abandon(token, why))
    stop = asyncio.Event()
    run = asyncio.create_task(worker.run(stop))
    try:
        await wait_until(lambda: _finished(pool), what="the pass's finish")
    finally:
        stop.set()
        await asyncio.wait_for(run, timeout=10)
    assert missed, "a renewal ran while the pass was finishing"
    assert abandoned == []


async def _finished(pool) -> bool:
    return await pool.fetchval("SELECT leased_by IS NULL AND not_before > now() FROM work_queue WHERE key = 'k'")
