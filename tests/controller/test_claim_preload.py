"""The claim hands each lease its pass's first reads (environment, own status): the
pass's first `environment(key)` and `status(kind, key)` cost no query, later ones do,
and a write that lands after the claim is still seen by the next pass (dirty)."""

import asyncio
import uuid
from collections import Counter
from typing import Any

from controller.bench.pickup import _specs
from controller.bench.reconciles_worker import ready
from controller.store.applications import create_application
from controller.store.environments import update_environment
from controller.store.kinds import NETWORK_KIND, WORKLOAD_KIND
from controller.store.kube_observed import KubeFencedStateStore
from controller.store.observed import FencedStateStore
from controller.store.organisations import create_organisation
from controller.store.queries import QUERIES
from reconcilers.results import Done
from tests.controller.support import FakeReconciler, run_worker, settled_row, wait_until

PASS_READS = {QUERIES.environment_record: "environment", QUERIES.status: "status"}


class CountingPool:
    """The pool, counting the pass reads (`environment_record`, `status`) sent through it."""

    def __init__(self, pool):
        self._pool = pool
        self.reads: Counter = Counter()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)

    async def fetchrow(self, query: str, *args: Any, **kwargs: Any):
        if query in PASS_READS:
            self.reads[PASS_READS[query]] += 1
        return await self._pool.fetchrow(query, *args, **kwargs)


async def _converged_environment(pool, *, with_status: bool = True) -> tuple[uuid.UUID, int]:
    organisation = await create_organisation(pool, "acme")
    spec, production = _specs()
    written = await create_application(pool, organisation.id, "shop", {**spec, "appName": "shop"}, production)
    row = await pool.fetchrow("SELECT id, generation FROM environments WHERE application_id = $1", written.id)
    if with_status:
        update = ready(row["generation"])
        await pool.execute(QUERIES.write_status, WORKLOAD_KIND, str(row["id"]), update.observed_generation,
                           [c.to_wire() for c in update.conditions], {})  # fmt: skip
    return row["id"], row["generation"]


async def test_the_first_environment_and_status_reads_come_with_the_lease_later_ones_query(pool, queue):
    environment_id, generation = await _converged_environment(pool)
    [lease] = [lease for lease in await queue.claim(WORKLOAD_KIND, 10, "w", 30.0) if lease.key == str(environment_id)]
    counting = CountingPool(pool)
    store = FencedStateStore(counting, WORKLOAD_KIND, lease.key, lease.token, preload=lease.preload)
    plain = FencedStateStore(pool, WORKLOAD_KIND, lease.key, lease.token)

    preloaded_environment = await store.environment(environment_id)
    preloaded_status = await store.status(WORKLOAD_KIND, lease.key)
    assert counting.reads == Counter(), "answered from the claim"
    assert preloaded_environment == await plain.environment(environment_id)
    assert preloaded_status == await plain.status(WORKLOAD_KIND, lease.key)
    assert preloaded_environment.generation == generation and preloaded_status.observed_generation == generation

    assert await store.environment(environment_id) == preloaded_environment
    assert await store.status(WORKLOAD_KIND, lease.key) == preloaded_status
    await store.status(NETWORK_KIND, lease.key)  # another kind's status: never preloaded
    assert counting.reads == Counter(environment=1, status=2), "only the first call of each is preloaded"


async def test_an_absent_status_is_preloaded_as_absent(pool, queue):
    environment_id, _ = await _converged_environment(pool, with_status=False)
    [lease] = [lease for lease in await queue.claim(WORKLOAD_KIND, 10, "w", 30.0) if lease.key == str(environment_id)]
    counting = CountingPool(pool)
    store = FencedStateStore(counting, WORKLOAD_KIND, lease.key, lease.token, preload=lease.preload)
    assert await store.status(WORKLOAD_KIND, lease.key) is None
    assert counting.reads == Counter()


async def test_the_pass_own_status_write_ends_the_status_preload(pool, queue):
    environment_id, generation = await _converged_environment(pool)
    [lease] = [lease for lease in await queue.claim(WORKLOAD_KIND, 10, "w", 30.0) if lease.key == str(environment_id)]
    counting = CountingPool(pool)
    store = FencedStateStore(counting, WORKLOAD_KIND, lease.key, lease.token, preload=lease.preload)
    await store.write_status(ready(generation + 5))
    assert (await store.status(WORKLOAD_KIND, lease.key)).observed_generation == generation + 5
    assert counting.reads == Counter(status=1)


async def test_keys_that_are_not_environment_ids_claim_without_an_environment(pool, queue):
    await queue.enqueue(WORKLOAD_KIND, "not-a-uuid")  # an environment kind with a foreign key shape
    application_id = uuid.uuid4()
    await queue.enqueue("kube-application", str(application_id))  # a kube kind: its keys are applications
    await pool.execute(QUERIES.write_status, "kube-application", str(application_id), 3, [], {"x": 1})

    [odd] = await queue.claim(WORKLOAD_KIND, 10, "w", 30.0)
    [kube] = await queue.claim("kube-application", 10, "w", 30.0)

    assert odd.preload.has_environment and odd.preload.environment is None and odd.preload.status is None
    assert not kube.preload.has_environment
    counting = CountingPool(pool)
    store = KubeFencedStateStore(counting, kube.kind, kube.key, kube.token, preload=kube.preload)
    status = await store.status(kube.kind, kube.key)
    assert (status.observed_generation, status.outputs) == (3, {"x": 1})
    assert await store.environment(application_id) is None, "not preloaded for a kube kind: it queries"
    assert counting.reads == Counter(environment=1)


async def test_a_pass_reads_no_environment_or_status_query_of_its_own(pool, database_url):
    environment_id, generation = await _converged_environment(pool)
    seen: list[tuple[int, int]] = []

    async def step(ctx, n):
        environment = await ctx.store.environment(uuid.UUID(ctx.key))
        status = await ctx.store.status(ctx.kind, ctx.key)
        seen.append((environment.generation, status.observed_generation))
        return Done()

    counting = CountingPool(pool)
    async with run_worker(counting, database_url, [FakeReconciler(step, kind=WORKLOAD_KIND)]):
        await wait_until(lambda: settled_row(pool, str(environment_id), WORKLOAD_KIND), what="the pass")
    assert seen == [(generation, generation)]
    assert counting.reads == Counter(), "both reads came with the lease"


async def test_a_write_after_the_claim_is_seen_by_the_next_pass(pool, database_url):
    environment_id, generation = await _converged_environment(pool)
    organisation_id = await pool.fetchval("SELECT id FROM organisations WHERE slug = 'acme'")
    started, gate = asyncio.Event(), asyncio.Event()
    generations: list[int] = []

    async def step(ctx, n):
        if n == 1:
            started.set()
            await gate.wait()  # the API writes now: after the claim read the environment
        generations.append((await ctx.store.environment(uuid.UUID(ctx.key))).generation)
        return Done()

    async with run_worker(pool, database_url, [FakeReconciler(step, kind=WORKLOAD_KIND)]):
        await asyncio.wait_for(started.wait(), 10)
        written = await update_environment(
            pool, organisation_id, "shop", "production", lambda spec: {**spec, "minCapacity": 2, "maxCapacity": 3}
        )
        assert written.generation == generation + 1
        gate.set()
        await wait_until(lambda: len(generations) >= 2, what="the pass after the write")
        await wait_until(lambda: settled_row(pool, str(environment_id), WORKLOAD_KIND), what="it to settle")
    assert generations == [generation, generation + 1], "the first pass saw the claim's read; the next the write"
