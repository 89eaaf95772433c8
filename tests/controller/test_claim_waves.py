"""A kind with a backlog claims in waves (half its slots, or after a short wait); a kind
with nothing in flight claims at once."""

import asyncio

from controller.runtime import worker as worker_module
from reconcilers.results import Done
from tests.controller.support import KIND, ClaimSpy, FakeReconciler, fast_settings, run_worker, wait_until

SLOTS = 8


class Loops:
    """Counts the worker's claim rounds (`_claim_all` calls), claiming or not."""

    def __init__(self, worker):
        self.count = 0
        inner = worker._claim_all

        async def counted():
            self.count += 1
            return await inner()

        worker._claim_all = counted

    async def more(self, rounds: int) -> None:
        target = self.count + rounds
        await wait_until(lambda: self.count >= target, what=f"{rounds} more claim rounds")


async def test_a_full_kind_claims_again_once_half_its_slots_are_free(pool, database_url, queue, monkeypatch):
    monkeypatch.setattr(worker_module, "WAVE_WAIT_SECONDS", 3600.0)  # only the half-free rule here
    gates = {f"k{n}": asyncio.Event() for n in range(3 * SLOTS)}
    started: list[str] = []

    async def step(ctx, n):
        started.append(ctx.key)
        await gates[ctx.key].wait()
        return Done()

    for key in gates:
        await queue.enqueue(KIND, key)
    reconciler = FakeReconciler(step, concurrency=SLOTS)
    async with run_worker(pool, database_url, [reconciler], fast_settings()) as running:
        spy, loops = ClaimSpy(running.worker), Loops(running.worker)
        await wait_until(lambda: len(started) == SLOTS, what="the first wave")
        claims = spy.started

        for key in started[: SLOTS // 2 - 1]:  # three of eight free: not yet
            gates[key].set()
        await wait_until(lambda: reconciler.in_flight == SLOTS // 2 + 1, what="three passes to end")
        await loops.more(3)
        assert spy.started == claims, "a backlogged kind waits for half its slots"

        gates[started[SLOTS // 2 - 1]].set()  # the fourth: half free
        await wait_until(lambda: len(started) == SLOTS + SLOTS // 2, what="the next wave")
        assert spy.started == claims + 1 and spy.found[claims] == SLOTS // 2, "one claim for the four"
        for gate in gates.values():
            gate.set()


async def test_a_backlogged_kind_claims_a_single_free_slot_after_the_wave_wait(pool, database_url, queue):
    gates = {f"k{n}": asyncio.Event() for n in range(2 * SLOTS)}
    started: list[str] = []

    async def step(ctx, n):
        started.append(ctx.key)
        await gates[ctx.key].wait()
        return Done()

    for key in gates:
        await queue.enqueue(KIND, key)
    async with run_worker(pool, database_url, [FakeReconciler(step, concurrency=SLOTS)], fast_settings()):
        await wait_until(lambda: len(started) == SLOTS, what="the first wave")
        gates[started[0]].set()
        await wait_until(lambda: len(started) == SLOTS + 1, what="the freed slot filled after the short wait")
        for gate in gates.values():
            gate.set()


async def test_an_idle_kind_claims_a_new_key_at_once_after_a_backlog(pool, database_url, queue, monkeypatch):
    monkeypatch.setattr(worker_module, "WAVE_WAIT_SECONDS", 3600.0)  # a wait here would hang the test
    for n in range(SLOTS):
        await queue.enqueue(KIND, f"k{n}")
    reconciler = FakeReconciler(concurrency=SLOTS)
    async with run_worker(pool, database_url, [reconciler], fast_settings()):
        await wait_until(lambda: reconciler.runs == SLOTS, what="a full first claim")
        await wait_until(lambda: reconciler.in_flight == 0, what="every pass to end")
        await queue.enqueue(KIND, "new")
        await wait_until(lambda: reconciler.tracker.passes["new"] == 1, what="the new key's pass")
