"""`GET`/`PUT`/`DELETE …/environments/{environment}/scaling-policies`: desired state only."""

import httpx
import pytest

WEB = {"name": "web", "imageReference": {"type": "external", "identifier": "nginx:1.27"}, "exposedPorts": [80]}
CPU = {"metric": "CPUUtilization", "targetValue": 70}
MEMORY = {
    "metric": "MemoryUtilization",
    "targetValue": 80,
    "scaleInCooldownSeconds": 120,
    "scaleOutCooldownSeconds": 30,
}
CPU_POLICY = {
    "metric": "CPUUtilization",
    "targetValue": 70.0,
    "scaleInCooldownSeconds": 300,
    "scaleOutCooldownSeconds": 60,
    "policyName": "CPUUtilization-target-tracking",
}
MEMORY_POLICY = {**MEMORY, "targetValue": 80.0, "policyName": "MemoryUtilization-target-tracking"}


@pytest.fixture
async def policies(tenant):
    body = {"appName": "shop", "composeDefinition": {"containers": [WEB]}, "minCapacity": 1, "maxCapacity": 4}
    response = await tenant.client.post(tenant.applications, json=body)
    assert response.status_code == 201, response.text
    return f"{tenant.applications}/shop/environments/production/scaling-policies"


async def _row(pool, name: str = "production"):
    return await pool.fetchrow("SELECT id, spec, generation FROM environments WHERE name = $1", name)


async def _listed(tenant, url: str, **params) -> list[dict]:
    response = await tenant.client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()["policies"]


def _field(response) -> list[str]:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [e["field"] for e in response.json()["errors"]]


async def test_an_environment_starts_with_no_policies(tenant, policies):
    response = await tenant.client.get(policies)
    assert response.status_code == 200
    assert response.json() == {"policies": []}


async def test_put_stores_a_target_tracking_policy_and_queues_the_autoscaler(tenant, policies, pool):
    await pool.execute("UPDATE work_queue SET not_before = now() + interval '1 hour'")
    response = await tenant.client.put(policies, json=CPU)
    assert response.status_code == 200, response.text
    assert response.json() == CPU_POLICY
    row = await _row(pool)
    assert row["spec"]["scalingPolicies"] == [
        {"policyName": "CPUUtilization-target-tracking", "metric": "CPUUtilization", "targetValue": 70.0,
         "scaleInCooldownSeconds": 300, "scaleOutCooldownSeconds": 60}
    ]
    assert row["generation"] == 2
    queued = await pool.fetch(
        "SELECT kind FROM work_queue WHERE key = $1 AND not_before <= now()", str(row["id"])
    )
    assert "ecs-autoscaling" in {r["kind"] for r in queued}
    assert await _listed(tenant, policies) == [CPU_POLICY]


async def test_the_same_put_again_changes_nothing(tenant, policies, pool):
    for _ in range(2):
        assert (await tenant.client.put(policies, json=CPU)).status_code == 200
    assert (await _row(pool))["generation"] == 2


async def test_the_same_metric_replaces_the_policy(tenant, policies, pool):
    await tenant.client.put(policies, json=CPU)
    await tenant.client.put(policies, json=MEMORY)
    response = await tenant.client.put(policies, json={**CPU, "targetValue": 55}, params={"policyName": "busy"})
    assert response.status_code == 200
    assert response.json() == {**CPU_POLICY, "targetValue": 55.0, "policyName": "busy"}
    assert await _listed(tenant, policies) == [{**CPU_POLICY, "targetValue": 55.0, "policyName": "busy"}, MEMORY_POLICY]


async def test_the_same_name_replaces_the_policy_whatever_its_metric(tenant, policies):
    await tenant.client.put(policies, json=CPU, params={"policyName": "scale"})
    await tenant.client.put(policies, json=MEMORY)
    # `scale` (by name) and the memory policy (by metric) both give way to the new one.
    await tenant.client.put(policies, json=MEMORY, params={"policyName": "scale"})
    assert await _listed(tenant, policies) == [{**MEMORY_POLICY, "policyName": "scale"}]


async def test_get_filters_by_metric_and_by_name(tenant, policies):
    await tenant.client.put(policies, json=CPU)
    await tenant.client.put(policies, json=MEMORY, params={"policyName": "mem"})
    assert await _listed(tenant, policies, metric="MemoryUtilization") == [{**MEMORY_POLICY, "policyName": "mem"}]
    assert await _listed(tenant, policies, policyName="CPUUtilization-target-tracking") == [CPU_POLICY]
    assert await _listed(tenant, policies, metric="CPUUtilization", policyName="mem") == []
    assert await _listed(tenant, policies, metric="RPS") == []


async def test_get_shows_the_arn_the_reconciler_put(tenant, policies, pool):
    await tenant.client.put(policies, json=CPU)
    row = await _row(pool)
    arn = "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:x:resource/ecs/service/berth/s:policyName/p"
    outputs = {"ready": True, "policies": [{"policyName": CPU_POLICY["policyName"], "policyArn": arn}]}
    await pool.execute(
        "INSERT INTO statuses (kind, key, observed_generation, conditions, outputs) VALUES ($1, $2, 2, '[]', $3)",
        "ecs-autoscaling", str(row["id"]), outputs,
    )
    assert await _listed(tenant, policies) == [{**CPU_POLICY, "policyArn": arn}]
    response = await tenant.client.put(policies, json={**CPU, "targetValue": 60})
    assert response.json()["policyArn"] == arn


async def test_delete_by_metric_by_name_or_all(tenant, policies, pool):
    await tenant.client.put(policies, json=CPU)
    await tenant.client.put(policies, json=MEMORY, params={"policyName": "mem"})

    response = await tenant.client.delete(policies, params={"metric": "CPUUtilization"})
    assert response.status_code == 204 and response.content == b""
    assert await _listed(tenant, policies) == [{**MEMORY_POLICY, "policyName": "mem"}]

    assert (await tenant.client.delete(policies, params={"policyName": "other"})).status_code == 204
    assert len(await _listed(tenant, policies)) == 1
    assert (await tenant.client.delete(policies, params={"policyName": "mem"})).status_code == 204
    assert await _listed(tenant, policies) == []

    await tenant.client.put(policies, json=CPU)
    await tenant.client.put(policies, json=MEMORY)
    generation = (await _row(pool))["generation"]
    assert (await tenant.client.delete(policies)).status_code == 204
    assert await _listed(tenant, policies) == []
    assert (await _row(pool))["generation"] == generation + 1
    # Nothing left to delete: still 204, and the spec (and generation) stay.
    assert (await tenant.client.delete(policies)).status_code == 204
    assert (await _row(pool))["generation"] == generation + 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"metric": "RPS", "targetValue": 100}, "metric"),
        ({"metric": "Latency", "targetValue": 100}, "metric"),
        ({"targetValue": 100}, "metric"),
        ({"metric": "CPUUtilization"}, "targetValue"),
        ({"metric": "CPUUtilization", "targetValue": 0}, "targetValue"),
        ({"metric": "MemoryUtilization", "targetValue": 150}, "targetValue"),
        ({"metric": "CPUUtilization", "targetValue": "high"}, "targetValue"),
        ({**CPU, "scaleInCooldownSeconds": -1}, "scaleInCooldownSeconds"),
        ({**CPU, "scaleOutCooldownSeconds": 86_401}, "scaleOutCooldownSeconds"),
    ],
)
async def test_a_bad_body_is_a_400_naming_the_field(tenant, policies, pool, body, field):
    response = await tenant.client.put(policies, json=body)
    assert _field(response) == [field]
    assert (await _row(pool))["spec"].get("scalingPolicies") in (None, [])


async def test_rps_says_it_needs_a_load_balancer(tenant, policies):
    response = await tenant.client.put(policies, json={"metric": "RPS", "targetValue": 100})
    assert "load balancer" in response.json()["errors"][0]["message"]


async def test_bad_json_and_bad_query_parameters_are_400s(tenant, policies):
    response = await tenant.client.put(policies, content=b"{", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert _field(await tenant.client.put(policies, json=CPU, params={"policyName": "has space"})) == ["policyName"]
    assert _field(await tenant.client.get(policies, params={"metric": "Latency"})) == ["metric"]
    assert _field(await tenant.client.delete(policies, params={"metric": "cpu"})) == ["metric"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v3/organizations/acme/applications/shop/environments/staging/scaling-policies",
        "/api/v3/organizations/acme/applications/nope/environments/production/scaling-policies",
    ],
)
async def test_unknown_application_or_environment_is_404(tenant, policies, path):
    for method in ("GET", "PUT", "DELETE"):
        response = await tenant.client.request(method, path, json=CPU if method == "PUT" else None)
        assert response.status_code == 404, (method, response.text)


async def test_another_organisations_environment_is_404_and_untouched(tenant, other_tenant, policies, pool):
    await tenant.client.put(policies, json=CPU)
    theirs = f"{other_tenant.applications}/shop/environments/production/scaling-policies"
    for url in (policies, theirs):  # acme's path with globex's token, and globex's own (empty) organisation
        assert (await other_tenant.client.get(url)).status_code == 404
        assert (await other_tenant.client.put(url, json=MEMORY)).status_code == 404
        assert (await other_tenant.client.delete(url)).status_code == 404
    assert await _listed(tenant, policies) == [CPU_POLICY]


async def test_a_deleting_environment_refuses_changes(tenant, policies):
    staging = f"{tenant.applications}/shop/environments"
    assert (await tenant.client.post(staging, json={"envName": "staging"})).status_code == 201
    assert (await tenant.client.delete(f"{staging}/staging")).status_code == 204
    response = await tenant.client.put(f"{staging}/staging/scaling-policies", json=CPU)
    assert response.status_code == 409


async def test_no_token_is_401(tenant, policies, base_url):
    async with httpx.AsyncClient(base_url=base_url) as anonymous:
        assert (await anonymous.get(policies)).status_code == 401
