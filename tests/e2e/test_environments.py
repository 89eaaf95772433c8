"""A second environment through the API: it converges as its own ECS service, and its
DELETE tears down only that service, leaving the application and production running."""

from tests.e2e.test_lifecycle import BODY, running

API = "acme_shop_staging"
PRODUCTION = "acme_shop_production"


async def test_an_environment_converges_and_is_torn_down_alone(platform, controller, ecs, pool):
    assert (await platform.api.post(platform.applications, json=BODY)).status_code == 201
    body = {"envName": "staging", "cloneConfigurationFrom": "production", "minCapacity": 1, "maxCapacity": 1,
            "environment": [{"name": "MODE", "value": "staging"}], "mergeEnvironment": True}
    created = await platform.api.post(f"{platform.applications}/shop/environments", json=body)
    assert created.status_code == 201, created.text

    shown = (await platform.wait_for("shop/environments/staging", running)).json()
    assert (shown["desiredCount"], shown["runningCount"], shown["deploymentStatus"]) == (1, 1, "COMPLETED")
    [service] = (await ecs.describe_services(cluster="berth", services=[API]))["services"]
    assert service["status"] == "ACTIVE" and service["desiredCount"] == 1
    definition = (await ecs.describe_task_definition(taskDefinition=API))["taskDefinition"]
    [container] = definition["containerDefinitions"]
    assert {e["name"]: e["value"] for e in container["environment"]}["MODE"] == "staging"
    await platform.wait_for("shop", running)

    assert (await platform.api.delete(f"{platform.applications}/shop/environments/staging")).status_code == 204
    await platform.wait_for("shop/environments/staging", lambda r: r.status_code == 404)
    services = (await ecs.describe_services(cluster="berth", services=[API]))["services"]
    assert all(s["status"] != "ACTIVE" for s in services)
    assert (await ecs.list_task_definitions(familyPrefix=API))["taskDefinitionArns"] == []
    [production] = (await ecs.describe_services(cluster="berth", services=[PRODUCTION]))["services"]
    assert production["status"] == "ACTIVE"
    shown = (await platform.api.get(f"{platform.applications}/shop")).json()
    assert (shown["status"], shown["environmentNames"]) == ("running", ["production"])
    assert await pool.fetchval("SELECT application_count FROM organisations") == 1
