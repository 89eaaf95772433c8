"""Many keys, two controller processes: one pass per key at a time, all keys served."""

import asyncio
import random

from controller.runtime.worker import Worker
from reconcilers.results import Done, RequeueAfter
from tests.controller.support import (
    KIND,
    FakeReconciler,
    Tracker,
    fast_settings,
    settled_row,
    running,
    wait_until,
)

KEYS = [f"key-{i:03d}" for i in range(40)]


async def _all_settled(pool, keys, kind=KIND):
    return all([await settled_row(pool, k, kind) for k in keys])


async def test_two_workers_never_run_a_key_twice_at_once(pool, other_pool, database_url, queue):
    tracker, rng = Tracker(), random.Random(1)

    async def step(ctx, n):
        await asyncio.sleep(rng.uniform(0, 0.02))
        return RequeueAfter(0, "again") if n < 3 else Done()

    a, b = FakeReconciler(step, tracker=tracker), FakeReconciler(step, tracker=tracker)
    settings = fast_settings(concurrency=3)
    async with running(Worker(pool, database_url, [a], settings, name="a")), running(
        Worker(other_pool, database_url, [b], settings, name="b")
    ):
        await asyncio.gather(*(queue.enqueue(KIND, key) for key in KEYS))
        await wait_until(lambda: sum(tracker.completed.values()) == 3 * len(KEYS), what="every pass")
        await wait_until(lambda: _all_settled(pool, KEYS))

    assert tracker.overlaps == []
    assert tracker.passes == {key: 3 for key in KEYS}
    assert a.runs + b.runs == 3 * len(KEYS)
    assert a.max_in_flight <= 3 and b.max_in_flight <= 3
    assert a.runs and b.runs, "both processes took part"


async def test_writes_racing_two_workers_converge_on_the_latest_write(pool, other_pool, database_url, queue):
    """Level-triggered: whatever the interleaving, each key's last pass saw its last write."""
    tracker, rng = Tracker(), random.Random(2)
    desired = dict.fromkeys(KEYS, 0)
    seen: dict[str, int] = {}

    async def step(ctx, n):
        version = desired[ctx.key]  # a pass reads desired state first
        await asyncio.sleep(rng.uniform(0, 0.01))
        seen[ctx.key] = version
        return Done()

    async def write(key):
        desired[key] += 1
        await queue.enqueue(KIND, key)

    a, b = FakeReconciler(step, tracker=tracker), FakeReconciler(step, tracker=tracker)
    async with running(Worker(pool, database_url, [a], fast_settings(concurrency=4))), running(
        Worker(other_pool, database_url, [b], fast_settings(concurrency=4))
    ):
        for _ in range(6):
            await asyncio.gather(*(write(rng.choice(KEYS)) for _ in range(30)))
            await asyncio.sleep(rng.uniform(0, 0.02))
        written = [key for key in KEYS if desired[key]]
        await wait_until(lambda: all(seen.get(k) == desired[k] for k in written), what="convergence")
        await wait_until(lambda: _all_settled(pool, written))

    assert tracker.overlaps == []
    assert {k: seen[k] for k in written} == {k: desired[k] for k in written}
    assert all(tracker.passes[k] <= desired[k] for k in written), "writes are deduplicated, never multiplied"


async def test_a_slow_key_holds_one_slot_and_the_bounds_hold(pool, database_url, queue):
    """Per-kind bounds: `concurrency` from the settings, or the reconciler's own."""
    slow_started, release = asyncio.Event(), asyncio.Event()

    async def app_step(ctx, n):
        await asyncio.sleep(0.02)
        return Done()

    async def dns_step(ctx, n):
        if ctx.key == "slow":
            slow_started.set()
            await release.wait()
        return Done()

    app = FakeReconciler(app_step, kind="app")
    dns = FakeReconciler(dns_step, kind="dns", concurrency=1)
    app_keys, dns_keys = KEYS[:12], ["fast-1", "fast-2"]
    for key in app_keys:
        await queue.enqueue("app", key)
    await queue.enqueue("dns", "slow")

    async with running(Worker(pool, database_url, [app, dns], fast_settings(concurrency=3))):
        await asyncio.wait_for(slow_started.wait(), 10)
        for key in dns_keys:
            await queue.enqueue("dns", key)
        await wait_until(lambda: _all_settled(pool, app_keys, "app"), what="the app kind to drain")
        assert dns.tracker.passes == {"slow": 1}, "dns is bounded to one pass, held by the slow key"
        release.set()
        await wait_until(lambda: _all_settled(pool, ["slow", *dns_keys], "dns"))

    assert app.max_in_flight == 3, "app filled its three slots"
    assert dns.max_in_flight == 1
    assert app.tracker.passes == dict.fromkeys(app_keys, 1)
    assert dns.tracker.passes == dict.fromkeys(["slow", *dns_keys], 1)


async def test_a_slow_key_does_not_hold_up_other_keys_across_two_workers(pool, other_pool, database_url, queue):
    tracker = Tracker()
    release = asyncio.Event()

    async def step(ctx, n):
        if ctx.key == "slow":
            await release.wait()
        else:
            await asyncio.sleep(0.01)
        return Done()

    a, b = FakeReconciler(step, tracker=tracker), FakeReconciler(step, tracker=tracker)
    settings = fast_settings(concurrency=2)
    async with running(Worker(pool, database_url, [a], settings)), running(Worker(other_pool, database_url, [b], settings)):
        await queue.enqueue(KIND, "slow")
        await wait_until(lambda: tracker.running["slow"] == 1, what="the slow pass")
        await asyncio.gather(*(queue.enqueue(KIND, key) for key in KEYS))
        await wait_until(lambda: _all_settled(pool, KEYS), what="every fast key")
        assert tracker.running["slow"] == 1, "still running"
        release.set()
        await wait_until(lambda: _all_settled(pool, ["slow"]))

    assert tracker.overlaps == []
    assert tracker.passes == {"slow": 1, **dict.fromkeys(KEYS, 1)}
    assert a.max_in_flight <= 2 and b.max_in_flight <= 2
