"""`PUT …/environments/{environment}/state`: start, stop, restart, redeploy."""

import asyncio

import pytest

WEB = {"name": "web", "imageReference": {"type": "internal", "identifier": "web"}, "exposedPorts": [80]}


@pytest.fixture
async def shop(tenant):
    body = {"appName": "shop", "composeDefinition": {"containers": [WEB]}}
    response = await tenant.client.post(tenant.applications, json=body)
    assert response.status_code == 201, response.text
    return f"{tenant.applications}/shop/environments"


async def _row(pool, name: str = "production"):
    return await pool.fetchrow("SELECT id, spec, generation FROM environments WHERE name = $1", name)


async def _park_queue(pool) -> None:
    """Push every queued reconcile into the future, so a write's enqueue shows."""
    await pool.execute("UPDATE work_queue SET not_before = now() + interval '1 hour'")


async def _queued_now(pool, environment_id) -> set[str]:
    rows = await pool.fetch(
        "SELECT kind FROM work_queue WHERE key = $1 AND not_before <= now()", str(environment_id)
    )
    return {r["kind"] for r in rows}


async def test_stop_then_start_set_the_run_state_and_queue_the_reconcile(tenant, shop, pool):
    await _park_queue(pool)
    response = await tenant.client.put(f"{shop}/production/state", json={"action": "stop"})
    assert response.status_code == 204, response.text
    assert response.content == b""
    row = await _row(pool)
    assert row["spec"]["state"] == "stopped"
    assert row["generation"] == 2
    assert "ecs-environment" in await _queued_now(pool, row["id"])
    # Stopping a stopped environment changes nothing: the generation stays.
    assert (await tenant.client.put(f"{shop}/production/state", json={"action": "stop"})).status_code == 204
    assert (await _row(pool))["generation"] == 2
    assert (await tenant.client.put(f"{shop}/production/state", json={"action": "start"})).status_code == 204
    row = await _row(pool)
    assert (row["spec"]["state"], row["generation"]) == ("running", 3)
    assert (await tenant.client.put(f"{shop}/production/state", json={"action": "start"})).status_code == 204
    assert (await _row(pool))["generation"] == 3


async def test_restart_counts_one_forced_deployment_per_request(tenant, shop, pool):
    await _park_queue(pool)
    for expected in (1, 2):
        response = await tenant.client.put(f"{shop}/production/state", json={"action": "restart"})
        assert response.status_code == 204, response.text
        row = await _row(pool)
        assert row["spec"]["restarts"] == expected
        assert row["generation"] == 1 + expected
    assert "imageTag" not in row["spec"]
    assert "ecs-environment" in await _queued_now(pool, row["id"])


async def test_redeploy_with_an_image_tag_pins_it_and_without_keeps_it(tenant, shop, pool):
    body = {"action": "redeploy", "imageTag": "v1.2.3"}
    assert (await tenant.client.put(f"{shop}/production/state", json=body)).status_code == 204
    spec = (await _row(pool))["spec"]
    assert (spec["restarts"], spec["imageTag"]) == (1, "v1.2.3")
    assert (await tenant.client.put(f"{shop}/production/state", json={"action": "redeploy"})).status_code == 204
    row = await _row(pool)
    assert (row["spec"]["restarts"], row["spec"]["imageTag"]) == (2, "v1.2.3")
    assert row["generation"] == 3
    # The compose itself is untouched: the image tag is the environment's, not the container's.
    assert row["spec"]["compose"]["containers"][0]["imageReference"] == WEB["imageReference"]


async def test_restart_or_redeploy_of_a_stopped_environment_is_a_409_and_changes_nothing(tenant, shop, pool):
    assert (await tenant.client.put(f"{shop}/production/state", json={"action": "stop"})).status_code == 204
    before = await _row(pool)
    for body in ({"action": "restart"}, {"action": "redeploy", "imageTag": "v2"}):
        response = await tenant.client.put(f"{shop}/production/state", json=body)
        assert response.status_code == 409, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert "start it first" in response.json()["message"]
    after = await _row(pool)
    assert (after["spec"], after["generation"]) == (before["spec"], before["generation"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "action"),
        ({"action": "reboot"}, "action"),
        ({"action": "redeploy", "imageTag": "bad tag!"}, "imageTag"),
        ({"action": "redeploy", "imageTag": ""}, "imageTag"),
        ({"action": "start", "imageTag": "v1"}, "imageTag"),
        ({"action": "stop", "imageTag": "v1"}, "imageTag"),
        ({"action": "restart", "imageTag": "v1"}, "imageTag"),
    ],
)
async def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(tenant, shop, pool, body, field):
    await _park_queue(pool)
    response = await tenant.client.put(f"{shop}/production/state", json=body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    row = await _row(pool)
    assert row["generation"] == 1
    assert await _queued_now(pool, row["id"]) == set()


async def test_a_malformed_body_is_a_400(tenant, shop):
    response = await tenant.client.put(
        f"{shop}/production/state", content=b"{", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


async def test_unknown_or_other_organisations_environment_is_a_404(tenant, other_tenant, shop, pool):
    for url in (f"{shop}/nope/state", f"{tenant.applications}/nope/environments/production/state"):
        response = await tenant.client.put(url, json={"action": "stop"})
        assert response.status_code == 404, response.text
    response = await other_tenant.client.put(f"{shop}/production/state", json={"action": "stop"})
    assert response.status_code == 404
    # The other organisation's own path to the same names finds nothing either.
    own = f"{other_tenant.applications}/shop/environments/production/state"
    assert (await other_tenant.client.put(own, json={"action": "stop"})).status_code == 404
    assert (await _row(pool))["spec"].get("state", "running") == "running"


async def test_a_staging_environment_is_stopped_on_its_own(tenant, shop, pool):
    assert (await tenant.client.post(shop, json={"envName": "staging"})).status_code == 201
    assert (await tenant.client.put(f"{shop}/staging/state", json={"action": "stop"})).status_code == 204
    assert (await _row(pool, "staging"))["spec"]["state"] == "stopped"
    assert (await _row(pool, "production"))["spec"]["state"] == "running"


async def test_a_deleting_environment_is_a_409(tenant, shop):
    assert (await tenant.client.post(shop, json={"envName": "staging"})).status_code == 201
    assert (await tenant.client.delete(f"{shop}/staging")).status_code == 204
    response = await tenant.client.put(f"{shop}/staging/state", json={"action": "start"})
    assert response.status_code == 409


async def test_concurrent_restarts_each_count(tenant, shop, pool):
    """The update locks the environment's row, so no restart is lost to a concurrent one."""
    responses = await asyncio.gather(
        *(tenant.client.put(f"{shop}/production/state", json={"action": "restart"}) for _ in range(5))
    )
    assert [r.status_code for r in responses] == [204] * 5
    row = await _row(pool)
    assert (row["spec"]["restarts"], row["generation"]) == (5, 6)
