"""Idempotency-Key on the create and deploy routes (real PostgreSQL)."""

import asyncio
import uuid

import orjson
import pytest

from api.app import OPERATIONS, create_app
from api.idempotency import fingerprint
from controller.store import idempotency as store
from tests.api.hardening_support import application, counts


def keyed(key: str) -> dict:
    return {"Idempotency-Key": f'"{key}"'}


async def _records(pool) -> list:
    return await pool.fetch("SELECT key, completed, status FROM idempotency_keys ORDER BY key")


# The creates and deploys whose answers hold no secret value.
IDEMPOTENT = {
    "createApplication",
    "createEnvironment",
    "ApiV1ApplicationsCreateApplication",
    "ApiV1ApplicationsApplicationIdDeployFullDeploy",
    "ApiV1ReleasesApplicationIdCreateCreateRelease",
    "ApiV1ReleasesReleaseIdDeployDeployRelease",
    "ApiV1ImagesApplicationIdBuildTriggerBuild",
}


async def test_the_creates_and_deploys_are_idempotent_and_served():
    assert {op.operation_id for op in OPERATIONS if op.idempotent} == IDEMPOTENT
    names = {route.name for route in create_app("postgresql://unused/unused").routes}
    assert IDEMPOTENT | {op.operation_id for op in OPERATIONS if op.tagged} <= names


async def test_the_same_key_and_body_replay_the_stored_answer(tenant, pool):
    first = await tenant.client.post(tenant.applications, json=application("shop"), headers=keyed("k1"))
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    before = await counts(pool)
    again = await tenant.client.post(tenant.applications, json=application("shop"), headers=keyed("k1"))
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"] == first.headers["content-type"]
    assert await counts(pool) == before
    row = await pool.fetchrow("SELECT completed, status, expires_at - created_at AS kept FROM idempotency_keys")
    assert row["completed"] and row["status"] == 201 and row["kept"].total_seconds() == 24 * 3600
    # Unquoted keys name the same key.
    unquoted = await tenant.client.post(tenant.applications, json=application("shop"), headers={"Idempotency-Key": "k1"})
    assert unquoted.headers["idempotent-replayed"] == "true"


async def test_the_same_key_for_another_request_is_a_422_and_changes_nothing(tenant, pool):
    assert (await tenant.client.post(tenant.applications, json=application("shop"), headers=keyed("k"))).status_code == 201
    before = await counts(pool)
    other_body = await tenant.client.post(tenant.applications, json=application("other"), headers=keyed("k"))
    assert other_body.status_code == 422, other_body.text
    assert other_body.headers["content-type"] == "application/problem+json"
    other_route = await tenant.client.post(
        f"{tenant.applications}/shop/environments", json={"envName": "dev"}, headers=keyed("k")
    )
    assert other_route.status_code == 422
    dry_run = await tenant.client.post(f"{tenant.applications}?dryRun=true", json=application("shop"), headers=keyed("k"))
    assert dry_run.status_code == 422
    assert await counts(pool) == before


async def test_no_key_is_as_before(tenant, pool):
    assert (await tenant.client.post(tenant.applications, json=application("shop"))).status_code == 201
    assert (await tenant.client.post(tenant.applications, json=application("shop"))).status_code == 409
    assert await _records(pool) == []


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9"])
async def test_a_malformed_key_is_a_400(tenant, pool, key):
    response = await tenant.client.post(
        tenant.applications, json=application("shop"), headers={"Idempotency-Key": key.encode()}
    )
    assert response.status_code == 400
    assert await counts(pool) == (0, 0, 0)


async def test_a_refused_request_frees_its_key(tenant, pool):
    assert (await tenant.client.post(tenant.applications, json=application("shop"))).status_code == 201
    taken = await tenant.client.post(tenant.applications, json=application("shop"), headers=keyed("k"))
    assert taken.status_code == 409
    invalid = await tenant.client.post(tenant.applications, json={"appName": "x"}, headers=keyed("k2"))
    assert invalid.status_code == 400
    assert await _records(pool) == []
    # The key is free for the corrected request.
    fixed = await tenant.client.post(tenant.applications, json=application("shop2"), headers=keyed("k"))
    assert fixed.status_code == 201


async def test_in_flight_is_a_409_then_the_answer_replays(tenant, pool):
    """The first request is held inside its write (the organisation's row is locked here);
    the second with the same key answers 409 at once; then the first completes."""
    body = application("shop")
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SELECT 1 FROM organisations WHERE slug = 'acme' FOR NO KEY UPDATE")
        first = asyncio.create_task(tenant.client.post(tenant.applications, json=body, headers=keyed("k")))
        for _ in range(500):  # until the first has claimed its key
            if await pool.fetchval("SELECT count(*) FROM idempotency_keys"):
                break
            await asyncio.sleep(0.01)
        second = await tenant.client.post(tenant.applications, json=body, headers=keyed("k"))
        assert second.status_code == 409, second.text
        assert second.headers["content-type"] == "application/problem+json"
        assert await pool.fetchval("SELECT count(*) FROM applications") == 0
    assert (await first).status_code == 201
    third = await tenant.client.post(tenant.applications, json=body, headers=keyed("k"))
    assert third.headers["idempotent-replayed"] == "true"
    assert await pool.fetchval("SELECT count(*) FROM applications") == 1


async def test_concurrent_requests_with_one_key_execute_once(tenant, pool):
    body = application("shop")
    answers = await asyncio.gather(
        *(tenant.client.post(tenant.applications, json=body, headers=keyed("same")) for _ in range(8))
    )
    statuses = sorted(a.status_code for a in answers)
    executed = [a for a in answers if a.status_code == 201 and "idempotent-replayed" not in a.headers]
    assert len(executed) == 1, statuses
    assert set(statuses) <= {201, 409}
    assert all(a.content == executed[0].content for a in answers if a.status_code == 201)
    assert await pool.fetchval("SELECT count(*) FROM applications") == 1


async def _organisation_id(pool, slug: str = "acme") -> int:
    return await pool.fetchval("SELECT id FROM organisations WHERE slug = $1", slug)


async def test_a_dead_holder_frees_the_key_after_its_lease(tenant, pool):
    """A holder that died in flight: until its lease passes a retry is a 409, then it runs;
    a different request under that key is still a 422."""
    body = orjson.dumps(application("shop"))
    path = f"/api/v3/organizations/acme/applications"
    organisation = await _organisation_id(pool)
    claimed = await store.claim(
        pool, organisation, "k", fingerprint("POST", path, "", body), lease_seconds=60, keep_seconds=86400
    )
    assert isinstance(claimed, store.Claimed)
    headers = {**keyed("k"), "content-type": "application/json"}
    assert (await tenant.client.post(tenant.applications, content=body, headers=headers)).status_code == 409
    await pool.execute("UPDATE idempotency_keys SET lease_expires = now() - interval '1 second'")
    other = await tenant.client.post(tenant.applications, json=application("other"), headers=keyed("k"))
    assert other.status_code == 422
    retried = await tenant.client.post(tenant.applications, content=body, headers=headers)
    assert retried.status_code == 201, retried.text
    # The dead holder, were it to come back, can no longer complete or free the key.
    assert not await store.complete(pool, organisation, "k", claimed, store.Answered(500, [], b"late"))
    await store.release(pool, organisation, "k", claimed)
    replay = await tenant.client.post(tenant.applications, content=body, headers=headers)
    assert (replay.status_code, replay.headers["idempotent-replayed"]) == (201, "true")


async def test_an_expired_record_is_forgotten_and_purged(tenant, pool):
    assert (await tenant.client.post(tenant.applications, json=application("a"), headers=keyed("k"))).status_code == 201
    await pool.execute("UPDATE idempotency_keys SET expires_at = now() - interval '1 second'")
    # After 24 h the key is new again: another body runs.
    response = await tenant.client.post(tenant.applications, json=application("b"), headers=keyed("k"))
    assert response.status_code == 201 and "idempotent-replayed" not in response.headers
    await pool.execute("UPDATE idempotency_keys SET expires_at = now() - interval '1 second'")
    assert await store.purge(pool) == 1
    assert await _records(pool) == []


async def test_keys_belong_to_their_organisation(tenant, other_tenant, pool):
    mine = await tenant.client.post(tenant.applications, json=application("shop"), headers=keyed("k"))
    theirs = await other_tenant.client.post(other_tenant.applications, json=application("shop"), headers=keyed("k"))
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "idempotent-replayed" not in theirs.headers
    assert await pool.fetchval("SELECT count(DISTINCT organisation_id) FROM idempotency_keys") == 2


async def test_an_unknown_token_is_refused_and_keeps_nothing(tenant, pool):
    response = await tenant.client.post(
        tenant.applications, json=application("shop"), headers={**keyed("k"), "Authorization": "Bearer nope"}
    )
    assert response.status_code == 401
    assert await _records(pool) == []


async def test_create_environment_is_idempotent(tenant, pool):
    assert (await tenant.client.post(tenant.applications, json=application("shop"))).status_code == 201
    path = f"{tenant.applications}/shop/environments"
    first = await tenant.client.post(path, json={"envName": "dev"}, headers=keyed(str(uuid.uuid4())))
    key = first.request.headers["idempotency-key"].strip('"')
    again = await tenant.client.post(path, json={"envName": "dev"}, headers=keyed(key))
    assert (first.status_code, again.status_code, again.headers["idempotent-replayed"]) == (201, 201, "true")
    assert again.content == first.content
    assert await pool.fetchval("SELECT count(*) FROM environments") == 2


async def test_a_v1_create_with_x_api_key_is_idempotent(tenant, pool):
    v1 = {"X-API-Key": tenant.token, "Authorization": ""}
    project = await tenant.client.post(
        "/api/v1/projects", json={"name": "Shop", "slug": "shop", "organization_id": "acme"}, headers=v1
    )
    assert project.status_code == 201, project.text
    body = {"name": "Web", "slug": "web", "project_id": project.json()["id"]}
    first = await tenant.client.post("/api/v1/applications", json=body, headers={**v1, **keyed("v1")})
    again = await tenant.client.post("/api/v1/applications", json=body, headers={**v1, **keyed("v1")})
    assert (first.status_code, again.status_code, again.headers["idempotent-replayed"]) == (201, 201, "true")
    assert again.content == first.content
    assert await pool.fetchval("SELECT count(*) FROM kube_applications") == 1
