"""A kind that watches another's outputs is woken when a pass changes what it reads
of them — not by any other change, and never brought back to a key it released."""

import uuid

import pytest

from controller.store.observed import FencedStateStore
from controller.store.queue import WorkQueue
from reconcilers.ports import StatusUpdate
from reconcilers.results import Done, RequeueAfter
from schemas.outputs import FilesystemOutputs, NetworkOutputs
from tests.controller.support import FakeReconciler, run_worker, wait_until

WORKLOAD, SCALER, OTHER = "workload", "scaler", "other"


async def _leased(pool, kind: str, key: str) -> FencedStateStore:
    queue = WorkQueue(pool)
    await queue.enqueue(kind, key)
    [lease] = await queue.claim(kind, 1, "test", 60)
    return lease


async def _row(pool, kind: str, key: str):
    return await pool.fetchrow(
        "SELECT not_before <= now() AS due, dirty, leased_by FROM work_queue WHERE kind = $1 AND key = $2", kind, key
    )


async def _schedule_later(pool, kind: str, key: str) -> None:
    await pool.execute(
        "UPDATE work_queue SET not_before = now() + interval '1 hour' WHERE kind = $1 AND key = $2", kind, key
    )


async def _write(pool, lease, outputs: dict, watchers: dict) -> None:
    store = FencedStateStore(pool, WORKLOAD, lease.key, lease.token, watchers=watchers)
    await store.write_status(StatusUpdate(observed_generation=1, conditions=[], outputs=outputs))


async def test_a_change_to_a_watched_output_makes_the_watcher_due_and_nothing_else_does(pool):
    key = str(uuid.uuid4())
    lease = await _leased(pool, WORKLOAD, key)
    for kind in (SCALER, OTHER):
        await WorkQueue(pool).ensure(kind, key)
        await _schedule_later(pool, kind, key)
    watchers = {SCALER: ("serviceName",)}

    await _write(pool, lease, {"serviceName": None, "passes": 1}, watchers)  # first write: None → None
    assert not (await _row(pool, SCALER, key))["due"]

    await _write(pool, lease, {"serviceName": None, "passes": 2}, watchers)  # an output it does not read
    assert not (await _row(pool, SCALER, key))["due"]

    await _write(pool, lease, {"serviceName": "svc", "passes": 3}, watchers)
    assert (await _row(pool, SCALER, key))["due"]
    assert not (await _row(pool, OTHER, key))["due"], "only the watcher"


async def test_a_watcher_running_at_the_time_runs_once_more(pool):
    key = str(uuid.uuid4())
    lease = await _leased(pool, WORKLOAD, key)
    await _leased(pool, SCALER, key)

    await _write(pool, lease, {"serviceName": "svc"}, {SCALER: ("serviceName",)})

    assert (await _row(pool, SCALER, key))["dirty"]


async def test_a_kind_that_released_the_key_is_not_brought_back(pool):
    key = str(uuid.uuid4())
    lease = await _leased(pool, WORKLOAD, key)

    await _write(pool, lease, {"serviceName": "svc"}, {SCALER: ("serviceName",)})

    assert await _row(pool, SCALER, key) is None


async def test_the_worker_wakes_a_watching_kind_instead_of_letting_it_poll(pool, database_url, queue):
    key = str(uuid.uuid4())

    async def workload(ctx, n):
        if n == 2:  # its second pass records the service
            await ctx.store.write_status(StatusUpdate(observed_generation=1, conditions=[], outputs={"serviceName": "s"}))
            return Done()
        return RequeueAfter(0.3, "creating the service")

    async def scaler(ctx, n):
        outputs = await ctx.store.outputs(WORKLOAD, ctx.key)
        return Done() if outputs and outputs.get("serviceName") else RequeueAfter(3600, "waiting for the service")

    workload_reconciler = FakeReconciler(workload, kind=WORKLOAD)
    scaler_reconciler = FakeReconciler(scaler, kind=SCALER)
    await queue.enqueue(WORKLOAD, key)
    await queue.enqueue(SCALER, key)

    watching = {WORKLOAD: {SCALER: ("serviceName",)}}
    async with run_worker(pool, database_url, [workload_reconciler, scaler_reconciler], watching=watching):
        # Without the wake the scaler's second pass would be an hour away.
        await wait_until(lambda: scaler_reconciler.tracker.completed[key] == 2, what="the woken scaler pass")
    assert workload_reconciler.tracker.completed[key] >= 2


async def test_a_wake_that_fails_does_not_fail_the_write(pool):
    """The status is committed before the wake; a wake lost to a database error is a
    hint lost (the watcher's backstop poll remains), not a failed pass."""
    from controller.store.queries import QUERIES

    class WakeFails:
        def __init__(self, inner):
            self._inner = inner

        def acquire(self):
            return self._inner.acquire()

        async def execute(self, query, *args):
            if query == QUERIES.wake:
                raise ConnectionResetError("the connection went away")
            return await self._inner.execute(query, *args)

    key = str(uuid.uuid4())
    lease = await _leased(pool, WORKLOAD, key)
    await WorkQueue(pool).ensure(SCALER, key)
    store = FencedStateStore(WakeFails(pool), WORKLOAD, key, lease.token, watchers={SCALER: ("serviceName",)})

    await store.write_status(StatusUpdate(observed_generation=1, conditions=[], outputs={"serviceName": "svc"}))

    assert await pool.fetchval("SELECT outputs->>'serviceName' FROM statuses WHERE key = $1", key) == "svc"


async def test_a_shared_kind_wakes_every_key_of_the_kinds_that_need_it(pool):
    """`aws-network` (key `default`) is read by every environment's kinds: a change to
    what they need of it makes all their rows due, and only theirs."""
    lease = await _leased(pool, "aws-network", "default")
    keys = [str(uuid.uuid4()) for _ in range(3)]
    for key in keys:
        for kind in ("ecs-environment", OTHER):
            await WorkQueue(pool).ensure(kind, key)
            await _schedule_later(pool, kind, key)
    store = FencedStateStore(pool, "aws-network", "default", lease.token, watchers={"ecs-environment": ("vpcId",)})

    await store.write_status(StatusUpdate(observed_generation=0, conditions=[], outputs=NetworkOutputs(vpc_id="vpc-1")))

    assert all([(await _row(pool, "ecs-environment", key))["due"] for key in keys])
    assert not any([(await _row(pool, OTHER, key))["due"] for key in keys])


async def test_outputs_are_read_back_as_the_model_they_were_written_as(pool):
    key = str(uuid.uuid4())
    lease = await _leased(pool, "efs-filesystem", key)
    store = FencedStateStore(pool, "efs-filesystem", key, lease.token)
    written = FilesystemOutputs(ready=True, filesystem_id="fs-1", access_point_id="fsap-1")

    await store.write_status(StatusUpdate(observed_generation=3, conditions=[], outputs=written))

    assert await store.outputs(FilesystemOutputs, key) == written
    assert (await store.status(FilesystemOutputs, key)).outputs == written
    assert await pool.fetchval("SELECT outputs->>'filesystemId' FROM statuses WHERE key = $1", key) == "fs-1"


async def test_a_pass_cannot_write_another_kinds_outputs(pool):
    key = str(uuid.uuid4())
    lease = await _leased(pool, "efs-filesystem", key)
    store = FencedStateStore(pool, "efs-filesystem", key, lease.token)

    with pytest.raises(TypeError, match="efs-filesystem pass wrote NetworkOutputs"):
        await store.write_status(StatusUpdate(observed_generation=1, conditions=[], outputs=NetworkOutputs()))
    assert await pool.fetchval("SELECT count(*) FROM statuses WHERE key = $1", key) == 0
