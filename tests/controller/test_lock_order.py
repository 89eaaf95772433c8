"""Lock order between API writes and reconciler passes: the two cycles PostgreSQL
broke as deadlocks under load (tests/resilience/test_postgres_restart.py) cannot form.

1. An API write holds its environment's row, then queues; a pass holds its queue
   row's fence, then records a deployment, whose foreign key reads the environment
   row. The API's lock is NO KEY UPDATE, which a foreign-key check never waits for.
2. Every statement that locks several queue rows takes them in (kind, key) order,
   so an API write queueing several kinds cannot cross a lease renewal.
"""

import asyncio
import uuid

import pytest

from controller.store import applications
from controller.store.observed import FencedStateStore
from controller.store.organisations import create_organisation
from controller.store.queries import QUERIES
from controller.store.queue import WorkQueue
from reconcilers.ports import DeploymentRecord
from tests.schemas import bodies

WORKLOAD = "ecs-environment"


async def _environment(pool) -> uuid.UUID:
    organisation = await create_organisation(pool, "acme")
    production = {"compose": bodies.compose(), "minCapacity": 1, "maxCapacity": 1}
    await applications.create_application(pool, organisation.id, "shop", {"appName": "shop"}, production)
    return await pool.fetchval("SELECT id FROM environments")


async def test_a_pass_records_a_deployment_while_an_api_write_holds_the_environment(pool):
    environment_id = await _environment(pool)
    [lease] = await WorkQueue(pool).claim(WORKLOAD, 1, "test", 60)
    store = FencedStateStore(pool, WORKLOAD, str(environment_id), lease.token)

    async with pool.acquire() as api, api.transaction():
        locked = await api.fetchrow(QUERIES.lock_environment, await _organisation_id(pool), "shop", "production")
        assert locked["id"] == environment_id
        record = DeploymentRecord("ecs-svc/1", "arn:aws:ecs:td/shop:1", "latest", "IN_PROGRESS")
        # Before the fix this waited for the API's transaction (a deadlock once the
        # API went on to queue the pass's own key).
        assert await asyncio.wait_for(store.record_deployment(environment_id, record), timeout=5) is True


async def _organisation_id(pool) -> int:
    return await pool.fetchval("SELECT id FROM organisations WHERE slug = 'acme'")


@pytest.mark.parametrize("statement", ["renew", "release"])
async def test_several_leases_are_locked_in_kind_then_key_order(pool, statement):
    queue = WorkQueue(pool)
    # Written in the reverse of (kind, key) order, so that the table's own order is not it.
    for kind in ("z-kind", "m-kind", "a-kind"):
        await queue.enqueue(kind, "k")
    tokens = [lease.token for kind in ("z-kind", "m-kind", "a-kind") for lease in await queue.claim(kind, 1, "w", 60)]

    async with pool.acquire() as holder, holder.transaction():
        # Someone holds the middle row: an ordered statement has locked "a-kind" and waits here.
        await holder.execute("SELECT 1 FROM work_queue WHERE kind = 'm-kind' FOR UPDATE")
        if statement == "renew":
            waiting = asyncio.create_task(queue.renew(tokens, 60))
        else:
            waiting = asyncio.create_task(queue.release(tokens))
        await _until_waiting(pool)
        async with pool.acquire() as probe:
            free = await probe.fetch("SELECT kind FROM work_queue WHERE kind <> 'm-kind' FOR UPDATE SKIP LOCKED")
        assert [r["kind"] for r in free] == ["z-kind"], "a-kind locked before the wait, z-kind only after it"
    await asyncio.wait_for(waiting, timeout=5)


async def _until_waiting(pool) -> None:
    for _ in range(200):
        waiting = await pool.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        if waiting:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the statement never waited for the held row")


async def test_a_release_takes_the_environment_before_its_queue_row_as_api_writes_do(pool):
    """An API write holds the environment, then queues every finalizer kind; a release
    that took its queue row first and then waited for the environment would close the cycle."""
    environment_id = await _environment(pool)
    [lease] = await WorkQueue(pool).claim(WORKLOAD, 1, "test", 60)
    store = FencedStateStore(pool, WORKLOAD, str(environment_id), lease.token)
    await store.environment(environment_id)  # the generation the release acts on

    async with pool.acquire() as api, api.transaction():
        await api.fetchrow(QUERIES.lock_environment, await _organisation_id(pool), "shop", "production")
        releasing = asyncio.create_task(store.release_environment(environment_id))
        await _until_waiting(pool)
        # The release waits for the environment and holds no queue row yet, so the API
        # can go on to queue the kind being released.
        await asyncio.wait_for(api.execute("SELECT berth_enqueue($1, $2)", WORKLOAD, str(environment_id)), 5)
    await asyncio.wait_for(releasing, timeout=5)
