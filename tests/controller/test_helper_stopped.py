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

    worker = Worker(pool, database_url, [FakeReconciler(long_pass)], fast_settings(lease_seconds=0.6))

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
