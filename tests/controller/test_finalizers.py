"""Finalizers: every kind that may hold cloud resources for an environment keeps its
rows until it has released them; API writes add the kinds a spec needs."""

import uuid

from controller.store import applications, environments
from controller.store.kinds import ALWAYS, DATABASE_KIND, WORKLOAD_KIND, kinds_for
from controller.store.observed import FencedStateStore
from controller.store.organisations import create_organisation
from tests.schemas import bodies

DATABASE = {"engine": "postgres", "instanceClass": "db.t4g.micro", "storageGb": 20, "multiAz": False}


def _spec(**extra) -> dict:
    return {"compose": bodies.compose(), "minCapacity": 1, "maxCapacity": 1, **extra}


async def _leased_store(pool, kind: str, environment_id: uuid.UUID) -> FencedStateStore:
    token = uuid.uuid4()
    await pool.execute(
        "UPDATE work_queue SET leased_by = 'test', lease_token = $3, lease_expires = now() + interval '1 minute'"
        " WHERE kind = $1 AND key = $2",
        kind,
        str(environment_id),
        token,
    )
    return FencedStateStore(pool, kind, str(environment_id), token)


async def _create(pool, production: dict) -> tuple[int, uuid.UUID]:
    organisation = await create_organisation(pool, "acme")
    await applications.create_application(pool, organisation.id, "shop", {"appName": "shop"}, production)
    return organisation.id, await pool.fetchval("SELECT id FROM environments")


async def _finalizers(pool, environment_id) -> set[str]:
    return set(await pool.fetchval("SELECT finalizers FROM environments WHERE id = $1", environment_id) or ())


async def _queued(pool, environment_id) -> set[str]:
    rows = await pool.fetch("SELECT kind FROM work_queue WHERE key = $1", str(environment_id))
    return {r["kind"] for r in rows}


def test_the_kinds_follow_the_spec():
    assert kinds_for(_spec()) == list(ALWAYS)
    assert DATABASE_KIND in kinds_for(_spec(database=DATABASE))
    assert "efs-filesystem" in kinds_for(_spec(filesystem={"required": True, "mountPath": "/data"}))
    assert "efs-filesystem" not in kinds_for(_spec(filesystem={"required": False}))


async def test_a_create_lists_and_queues_the_kinds_its_spec_needs(pool):
    _, env = await _create(pool, _spec(database=DATABASE))
    assert await _finalizers(pool, env) == {*ALWAYS, DATABASE_KIND}
    assert await _queued(pool, env) == {*ALWAYS, DATABASE_KIND}


async def test_an_update_adds_kinds_and_a_kind_no_longer_needed_stays_until_released(pool):
    organisation, env = await _create(pool, _spec(database=DATABASE))
    await environments.update_environment(pool, organisation, "shop", "production", lambda _: _spec())
    assert await _finalizers(pool, env) == {*ALWAYS, DATABASE_KIND}  # its instance is still there
    assert DATABASE_KIND in await _queued(pool, env)  # so its reconciler tears it down

    store = await _leased_store(pool, DATABASE_KIND, env)
    await store.environment(env)
    await store.release_environment(env)
    assert await _finalizers(pool, env) == set(ALWAYS)
    assert await pool.fetchval("SELECT count(*) FROM environments") == 1  # live: it stays


async def test_a_release_read_at_an_older_generation_is_ignored(pool):
    organisation, env = await _create(pool, _spec(database=DATABASE))
    await environments.update_environment(pool, organisation, "shop", "production", lambda _: _spec())
    store = await _leased_store(pool, DATABASE_KIND, env)
    await store.environment(env)  # the pass sees no database in the spec…
    # …and meanwhile the database is asked for again.
    await environments.update_environment(pool, organisation, "shop", "production", lambda _: _spec(database=DATABASE))
    await store.release_environment(env)
    assert DATABASE_KIND in await _finalizers(pool, env)


async def test_a_deleted_environment_goes_when_its_last_finalizer_is_released(pool):
    organisation, env = await _create(pool, _spec(database=DATABASE))
    await pool.execute("INSERT INTO statuses (kind, key) SELECT unnest(finalizers), id::text FROM environments")
    assert await applications.delete_application(pool, organisation, "shop", skip_final_snapshot=True)
    spec = await pool.fetchval("SELECT spec FROM environments")
    assert spec["database"]["skipFinalSnapshot"] is True
    assert await _queued(pool, env) == {*ALWAYS, DATABASE_KIND}

    for kind in (WORKLOAD_KIND, *[k for k in kinds_for(spec) if k != WORKLOAD_KIND]):
        assert await pool.fetchval("SELECT count(*) FROM environments") == 1
        store = await _leased_store(pool, kind, env)
        await store.environment(env)
        await store.release_environment(env)
        assert await pool.fetchval("SELECT count(*) FROM statuses WHERE kind = $1", kind) == 0

    assert await pool.fetchval("SELECT count(*) FROM environments") == 0
    assert await pool.fetchval("SELECT count(*) FROM applications") == 0
    assert await pool.fetchval("SELECT application_count FROM organisations") == 0
    assert await pool.fetchval("SELECT count(*) FROM statuses") == 0


async def test_a_delete_without_the_opt_out_keeps_the_final_snapshot(pool):
    organisation, _ = await _create(pool, _spec(database=DATABASE))
    assert await applications.delete_application(pool, organisation, "shop")
    assert "skipFinalSnapshot" not in (await pool.fetchval("SELECT spec FROM environments"))["database"]
