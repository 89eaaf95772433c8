"""`GET …/containers` and `PUT …/containers/{container}`."""

import pytest

WEB = {"name": "web", "imageReference": {"type": "external", "identifier": "nginx:1.27"}, "exposedPorts": [80]}
WORKER = {
    "name": "worker",
    "imageReference": {"type": "internal", "identifier": "worker"},
    "essential": False,
    "dependsOn": [{"containerName": "web", "condition": "START"}],
}


@pytest.fixture
async def shop(tenant):
    body = {"appName": "shop", "composeDefinition": {"containers": [WEB, WORKER]}, "minCapacity": 2, "maxCapacity": 3}
    response = await tenant.client.post(tenant.applications, json=body)
    assert response.status_code == 201, response.text
    return f"{tenant.applications}/shop/environments"


async def _row(pool, name: str = "production"):
    return await pool.fetchrow("SELECT id, spec, generation FROM environments WHERE name = $1", name)


async def _containers(pool) -> list[dict]:
    return (await _row(pool))["spec"]["compose"]["containers"]


async def test_list_returns_the_compose_containers_in_the_contract_shape(tenant, shop):
    response = await tenant.client.get(f"{shop}/production/containers")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [c["name"] for c in body] == ["web", "worker"]
    assert body[0]["imageReference"] == WEB["imageReference"]
    assert body[0]["exposedPorts"] == [80]
    assert body[1]["dependsOn"] == [{"containerName": "web", "condition": "START"}]
    # Contract defaults are written out.
    assert (body[0]["essential"], body[0]["readonlyRootFilesystem"]) == (True, False)


async def test_put_replaces_one_container_bumps_the_generation_and_queues(tenant, shop, pool):
    await pool.execute("UPDATE work_queue SET not_before = now() + interval '1 hour'")
    new_web = {"imageReference": {"type": "external", "identifier": "nginx:1.28"}, "exposedPorts": [8080],
               "environment": [{"name": "MODE", "value": "live"}], "cpu": 256}
    response = await tenant.client.put(f"{shop}/production/containers/web", json=new_web)
    assert response.status_code == 200, response.text
    answered = response.json()
    assert answered["name"] == "web"
    assert answered["imageReference"]["identifier"] == "nginx:1.28"
    assert answered["exposedPorts"] == [8080]
    row = await _row(pool)
    assert row["generation"] == 2
    containers = row["spec"]["compose"]["containers"]
    assert [c["name"] for c in containers] == ["web", "worker"]
    assert containers[0] == answered
    # A replace, not a merge: what the body leaves out is gone from the container.
    assert containers[1] == (await tenant.client.get(f"{shop}/production/containers")).json()[1]
    assert (row["spec"]["minCapacity"], row["spec"]["maxCapacity"]) == (2, 3)
    assert await pool.fetchval("SELECT not_before <= now() FROM work_queue WHERE kind = 'ecs-environment' AND key = $1",
                               str(row["id"]))
    # The same request again (now with the name, which may be given) changes nothing.
    again = await tenant.client.put(f"{shop}/production/containers/web", json={**new_web, "name": "web"})
    assert again.status_code == 200
    assert (await _row(pool))["generation"] == 2


async def test_unknown_container_or_environment_is_a_404_and_changes_nothing(tenant, other_tenant, shop, pool):
    body = {"imageReference": {"type": "external", "identifier": "redis:7"}}
    response = await tenant.client.put(f"{shop}/production/containers/cache", json=body)
    assert response.status_code == 404
    assert response.json()["message"] == "Container not found"
    assert (await tenant.client.put(f"{shop}/nope/containers/web", json=body)).json()["message"] == (
        "Environment not found"
    )
    assert (await tenant.client.get(f"{shop}/nope/containers")).status_code == 404
    assert (await other_tenant.client.get(f"{shop}/production/containers")).status_code == 404
    assert (await other_tenant.client.put(f"{shop}/production/containers/web", json=body)).status_code == 404
    assert (await _row(pool))["generation"] == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": "api", "imageReference": {"type": "external", "identifier": "x"}}, {"name"}),
        ({}, {"imageReference"}),
        ({"imageReference": {"type": "ftp", "identifier": "x"}}, {"imageReference.type"}),
        ({"imageReference": {"type": "external", "identifier": "x"}, "memory": 512, "memoryReservation": 1024},
         {"memoryReservation"}),
        ({"imageReference": {"type": "external", "identifier": "x"}, "exposedPorts": [0]}, {"exposedPorts.0"}),
    ],
)
async def test_a_bad_container_is_a_400_naming_the_field_and_changes_nothing(tenant, shop, pool, body, fields):
    response = await tenant.client.put(f"{shop}/production/containers/web", json=body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in response.json()["errors"]} == fields
    assert (await _row(pool))["generation"] == 1


@pytest.mark.parametrize(
    ("container", "body", "field", "says"),
    [
        # The new web would ask for more memory than the task has.
        ("web", {"imageReference": {"type": "external", "identifier": "x"}, "memory": 999_999}, "compose", "taskMemory"),
        # worker depends on a container that is not in the compose.
        ("worker", {**WORKER, "dependsOn": [{"containerName": "db"}]}, "compose", "db"),
        # web no longer essential, and worker is not: nothing essential is left.
        ("web", {**WEB, "essential": False}, "compose", "essential"),
        ("web", {**WEB, "dependsOn": [{"containerName": "worker"}]}, "compose", "cycle"),
    ],
)
async def test_the_compose_is_validated_as_a_whole(tenant, shop, pool, container, body, field, says):
    response = await tenant.client.put(f"{shop}/production/containers/{container}", json=body)
    assert response.status_code == 400, response.text
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert says in errors[0]["message"]
    assert (await _row(pool))["generation"] == 1
    assert [c["name"] for c in await _containers(pool)] == ["web", "worker"]
