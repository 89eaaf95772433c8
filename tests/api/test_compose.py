"""`GET` / `PATCH …/environments/{environment}/compose`."""

import pytest

WEB = {"name": "web", "imageReference": {"type": "external", "identifier": "nginx:1.27"}, "exposedPorts": [80]}
API = {"name": "api", "imageReference": {"type": "internal", "identifier": "api"}}


@pytest.fixture
async def shop(tenant):
    body = {"appName": "shop", "composeDefinition": {"containers": [WEB]}, "minCapacity": 2, "maxCapacity": 4}
    response = await tenant.client.post(tenant.applications, json=body)
    assert response.status_code == 201, response.text
    return f"{tenant.applications}/shop/environments"


async def _row(pool, name: str = "production"):
    return await pool.fetchrow("SELECT id, spec, generation FROM environments WHERE name = $1", name)


async def test_get_returns_the_stored_compose_with_its_capacity(tenant, shop):
    response = await tenant.client.get(f"{shop}/production/compose")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [c["name"] for c in body["containers"]] == ["web"]
    assert body["containers"][0]["exposedPorts"] == [80]
    assert (body["minCapacity"], body["maxCapacity"]) == (2, 4)
    assert body["architecture"] == "X86_64"


async def test_patch_changes_only_the_given_fields_bumps_generation_and_queues(tenant, shop, pool):
    await pool.execute("UPDATE work_queue SET not_before = now() + interval '1 hour'")
    body = {"taskCpu": "512", "taskMemory": "2048", "architecture": "arm64", "maxCapacity": 6, "containers": None}
    response = await tenant.client.patch(f"{shop}/production/compose", json=body)
    assert response.status_code == 202, response.text
    answered = response.json()
    assert (answered["taskCpu"], answered["taskMemory"], answered["architecture"]) == (512, 2048, "ARM64")
    assert (answered["minCapacity"], answered["maxCapacity"]) == (2, 6)
    assert [c["name"] for c in answered["containers"]] == ["web"]
    row = await _row(pool)
    assert row["generation"] == 2
    assert row["spec"]["compose"]["taskCpu"] == 512
    assert (row["spec"]["minCapacity"], row["spec"]["maxCapacity"]) == (2, 6)
    assert await pool.fetchval("SELECT not_before <= now() FROM work_queue WHERE key = $1", str(row["id"]))
    assert (await tenant.client.get(f"{shop}/production/compose")).json() == answered
    # The same patch again changes nothing, so the generation stays.
    assert (await tenant.client.patch(f"{shop}/production/compose", json=body)).status_code == 202
    assert (await _row(pool))["generation"] == 2


async def test_patch_containers_replaces_them(tenant, shop, pool):
    response = await tenant.client.patch(f"{shop}/production/compose", json={"containers": [API, WEB]})
    assert response.status_code == 202, response.text
    assert [c["name"] for c in response.json()["containers"]] == ["api", "web"]
    assert [c["name"] for c in (await _row(pool))["spec"]["compose"]["containers"]] == ["api", "web"]


async def test_an_invalid_patch_is_the_contracts_400_and_changes_nothing(tenant, shop, pool):
    bad = {"minCapacity": -1, "containers": [{"name": "bad name!"}]}
    response = await tenant.client.patch(f"{shop}/production/compose", json=bad)
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Invalid compose definition or validation failed."
    assert isinstance(body["errors"], dict)
    assert "minCapacity" in body["errors"]
    # Container errors surface once the body parses.
    response = await tenant.client.patch(f"{shop}/production/compose", json={"containers": [{"name": "bad name!"}]})
    assert response.status_code == 400
    assert {"containers.0.name", "containers.0.imageReference"} <= set(response.json()["errors"])
    cpu = await tenant.client.patch(f"{shop}/production/compose", json={"taskCpu": "256", "taskMemory": "8192"})
    assert cpu.status_code == 400
    assert set(cpu.json()["errors"]) == {"compose"}
    order = await tenant.client.patch(f"{shop}/production/compose", json={"minCapacity": 9})
    assert order.status_code == 400 and set(order.json()["errors"]) == {"minCapacity"}
    malformed = await tenant.client.patch(
        f"{shop}/production/compose", content=b"{", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    row = await _row(pool)
    assert row["generation"] == 1
    assert row["spec"]["compose"]["containers"][0]["name"] == "web"


async def test_a_mixed_spot_strategy_below_two_instances_is_a_400(tenant, shop, pool):
    assert (await tenant.client.post(shop, json={"envName": "dev", "minCapacity": 1})).status_code == 201
    body = {"spotConfiguration": {"strategy": "mixed-safe"}}
    response = await tenant.client.patch(f"{shop}/dev/compose", json=body)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"spotConfiguration.strategy"}
    assert (await _row(pool, "dev"))["generation"] == 1
    body |= {"minCapacity": 2, "maxCapacity": 2}
    assert (await tenant.client.patch(f"{shop}/dev/compose", json=body)).status_code == 202


async def test_missing_is_404_and_deleting_is_409(tenant, shop, pool):
    assert (await tenant.client.get(f"{shop}/nope/compose")).status_code == 404
    assert (await tenant.client.patch(f"{shop}/nope/compose", json={"maxCapacity": 5})).status_code == 404
    missing_app = f"{tenant.applications}/nope/environments/production/compose"
    assert (await tenant.client.get(missing_app)).status_code == 404
    assert (await tenant.client.patch(missing_app, json={})).status_code == 404
    assert (await tenant.client.post(shop, json={"envName": "dev"})).status_code == 201
    assert (await tenant.client.delete(f"{shop}/dev")).status_code == 204
    generation = (await _row(pool, "dev"))["generation"]
    response = await tenant.client.patch(f"{shop}/dev/compose", json={"maxCapacity": 5})
    assert response.status_code == 409
    assert (await _row(pool, "dev"))["generation"] == generation


async def test_another_organisations_token_sees_nothing(tenant, other_tenant, shop, pool):
    foreign = other_tenant.client
    existing = await foreign.get(f"{shop}/production/compose")
    absent = await foreign.get(f"{shop}/absent/compose")
    assert existing.status_code == absent.status_code == 404
    assert existing.json() == absent.json()
    patched = await foreign.patch(f"{shop}/production/compose", json={"maxCapacity": 5})
    assert patched.status_code == 404
    row = await _row(pool)
    assert row["generation"] == 1 and row["spec"]["maxCapacity"] == 4


async def test_openapi_lists_the_compose_operations(tenant):
    document = (await tenant.client.get("/openapi.json")).json()
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert {"getEnvironmentCompose", "patchEnvironmentCompose", "validateCompose"} <= operations
    assert {"Compose", "PatchComposeRequest", "InvalidCompose"} <= set(document["components"]["schemas"])


COMPOSE_YAML = """
services:
  web:
    image: nginx:1.27
    ports: ["8080:80"]
    environment:
      MODE: prod
    depends_on:
      api:
        condition: service_healthy
  api:
    build: .
    command: ./serve --port 3000
    expose: ["3000"]
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:3000"]
      interval: 10s
"""


def validate_url(tenant, organisation: str | None = None) -> str:
    return f"/api/v3/organizations/{organisation or tenant.slug}/compose/validate"


async def _snapshot(pool) -> tuple:
    environments = await pool.fetch("SELECT id, spec, generation FROM environments ORDER BY id")
    queue = await pool.fetchval("SELECT count(*) FROM work_queue")
    return [tuple(r) for r in environments], queue


async def test_validate_translates_a_valid_compose_and_changes_nothing(tenant, shop, pool):
    before = await _snapshot(pool)
    response = await tenant.client.post(validate_url(tenant), json={"compose": COMPOSE_YAML, "imageSuffix": "pr-4"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["message"] == "Docker-compose YAML translated and validated successfully."
    web, api = body["translatedComposeDefinition"]["containers"]
    assert web["imageReference"] == {"type": "external", "identifier": "nginx:1.27"}
    assert web["exposedPorts"] == [80]
    assert web["environment"] == [{"name": "MODE", "value": "prod"}]
    assert web["dependsOn"] == [{"containerName": "api", "condition": "HEALTHY"}]
    assert api["imageReference"] == {"type": "internal", "identifier": "api-pr-4"}
    assert api["command"] == ["./serve", "--port", "3000"]
    assert api["healthCheck"]["interval"] == 10
    assert any("build" in w for w in body["translationWarnings"])
    # The query's imageSuffix wins; raw YAML works too.
    raw = await tenant.client.post(validate_url(tenant) + "?imageSuffix=q-1", content=COMPOSE_YAML.encode())
    assert raw.status_code == 200, raw.text
    assert raw.json()["translatedComposeDefinition"]["containers"][1]["imageReference"]["identifier"] == "api-q-1"
    assert await _snapshot(pool) == before


async def test_validate_answers_422_listing_the_problems_and_changes_nothing(tenant, shop, pool):
    before = await _snapshot(pool)
    broken = await tenant.client.post(validate_url(tenant), json={"compose": "services: [unclosed"})
    assert broken.status_code == 422
    assert broken.json() == {"error": "Invalid YAML"}
    bad = "services:\n  web:\n    image: nginx\n    depends_on: [ghost]\n"
    invalid = await tenant.client.post(validate_url(tenant), json={"compose": bad})
    assert invalid.status_code == 422
    assert "ghost" in invalid.json()["error"]
    ports = "services:\n  web:\n    image: nginx\n    ports: ['99999']\n"
    response = await tenant.client.post(validate_url(tenant), json={"compose": ports})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"containers.0.exposedPorts.0"}
    assert (await tenant.client.post(validate_url(tenant), json={"nothing": 1})).status_code == 422
    assert await _snapshot(pool) == before


async def test_validate_is_for_ones_own_organisation(tenant, other_tenant):
    response = await other_tenant.client.post(validate_url(tenant), json={"compose": COMPOSE_YAML})
    assert response.status_code == 404
