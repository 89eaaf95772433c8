import asyncio

import pytest

import asyncpg

from controller.store.environments import ENVIRONMENT_LIMIT
from controller.store.kinds import ALWAYS
from controller.store.queries import QUERIES

WEB = {"name": "web", "imageReference": {"type": "external", "identifier": "nginx:1.27"}, "exposedPorts": [80]}
API = {"name": "api", "imageReference": {"type": "internal", "identifier": "api"}}
REPLACE = {"composeDefinition": {"containers": [API]}}
PRODUCTION_VARIABLES = [{"name": "MODE", "value": "prod"}, {"name": "LEVEL", "value": "warn"}]


def environments(tenant, application: str = "shop") -> str:
    return f"{tenant.applications}/{application}/environments"


@pytest.fixture
async def shop(tenant):
    body = {
        "appName": "shop",
        "composeDefinition": {"containers": [WEB]},
        "minCapacity": 2,
        "maxCapacity": 4,
        "environment": PRODUCTION_VARIABLES,
    }
    response = await tenant.client.post(tenant.applications, json=body)
    assert response.status_code == 201, response.text
    return environments(tenant)


async def _spec(pool, name: str) -> dict:
    return await pool.fetchval("SELECT spec FROM environments WHERE name = $1", name)


async def test_create_stores_the_spec_and_queues_its_reconcile(tenant, shop, pool):
    response = await tenant.client.post(shop, json={"envName": "staging", "minCapacity": 1, "maxCapacity": 2})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["envName"] == "staging"
    assert body["status"] == "pending"
    assert (body["minCapacity"], body["maxCapacity"]) == (1, 2)
    assert body["containerNames"] == ["web"]
    assert "deploymentStatus" not in body
    row = await pool.fetchrow("SELECT id, spec, generation FROM environments WHERE name = 'staging'")
    assert row["generation"] == 1
    # Production's compose by default; its variables are not copied without a clone.
    assert row["spec"]["compose"]["containers"][0]["name"] == "web"
    assert row["spec"]["variables"] == []
    queued = await pool.fetch("SELECT kind FROM work_queue WHERE key = $1", str(row["id"]))
    assert sorted(r["kind"] for r in queued) == ["ecs-autoscaling", "ecs-environment", "environment-network"]
    names = (await tenant.client.get(f"{tenant.applications}/shop")).json()["environmentNames"]
    assert names == ["production", "staging"]


async def test_the_queue_row_is_written_in_the_same_transaction(tenant, shop, pool):
    await pool.execute(
        "CREATE OR REPLACE FUNCTION berth_enqueue(p_kind text, p_key text) RETURNS void LANGUAGE plpgsql AS"
        " $$ BEGIN RAISE EXCEPTION 'queue down'; END $$"
    )
    with pytest.raises(asyncpg.RaiseError):
        await pool.fetchrow(QUERIES.create_environment, await pool.fetchval("SELECT id FROM applications"),
                            "staging", await _spec(pool, "production"), ["ecs-environment"])
    assert (await tenant.client.post(shop, json={"envName": "staging"})).status_code == 500
    assert (await tenant.client.put(f"{shop}/production", json=REPLACE)).status_code == 500
    assert (await tenant.client.delete(f"{shop}/production")).status_code == 409
    assert await pool.fetchval("SELECT count(*) FROM environments") == 1
    assert await pool.fetchval("SELECT generation FROM environments") == 1


async def test_a_given_compose_definition_wins_and_spot_is_set_on_it(tenant, shop, pool):
    body = {
        "envName": "dev",
        "cloneConfigurationFrom": "production",
        "composeDefinition": {"containers": [API]},
        "spotConfiguration": {"strategy": "spot-only"},
        "imageSuffix": "pr-12",
    }
    response = await tenant.client.post(shop, json=body)
    assert response.status_code == 201, response.text
    spec = await _spec(pool, "dev")
    assert [c["name"] for c in spec["compose"]["containers"]] == ["api"]
    assert spec["compose"]["spotConfiguration"] == {"strategy": "spot-only"}
    assert spec["imageSuffix"] == "pr-12"
    # Cloning still copies the variables and the capacity.
    assert spec["variables"] == PRODUCTION_VARIABLES
    assert (spec["minCapacity"], spec["maxCapacity"]) == (2, 4)


async def test_clone_copies_compose_and_variables(tenant, shop, pool):
    first = {
        "envName": "staging",
        "composeDefinition": {"containers": [API]},
        "environment": [{"name": "A", "value": "1"}],
    }
    assert (await tenant.client.post(shop, json=first)).status_code == 201
    response = await tenant.client.post(shop, json={"envName": "qa", "cloneConfigurationFrom": "staging"})
    assert response.status_code == 201, response.text
    spec = await _spec(pool, "qa")
    assert [c["name"] for c in spec["compose"]["containers"]] == ["api"]
    assert spec["variables"] == [{"name": "A", "value": "1"}]


@pytest.mark.parametrize(
    "merge, expected",
    [
        (False, [{"name": "LEVEL", "value": "debug"}]),
        (True, [{"name": "MODE", "value": "prod"}, {"name": "LEVEL", "value": "debug"}]),
        (None, [{"name": "LEVEL", "value": "debug"}]),
    ],
)
async def test_environment_replaces_or_merges_the_cloned_variables(tenant, shop, pool, merge, expected):
    body = {
        "envName": "staging",
        "cloneConfigurationFrom": "production",
        "environment": [{"name": "LEVEL", "value": "debug"}],
    }
    if merge is not None:
        body["mergeEnvironment"] = merge
    assert (await tenant.client.post(shop, json=body)).status_code == 201
    assert (await _spec(pool, "staging"))["variables"] == expected


async def test_merge_appends_new_names(tenant, shop, pool):
    body = {
        "envName": "staging",
        "cloneConfigurationFrom": "production",
        "mergeEnvironment": True,
        "environment": [{"name": "NEW", "value": "x"}],
    }
    assert (await tenant.client.post(shop, json=body)).status_code == 201
    assert (await _spec(pool, "staging"))["variables"] == [*PRODUCTION_VARIABLES, {"name": "NEW", "value": "x"}]


async def test_cloning_a_missing_environment_is_a_400_and_changes_nothing(tenant, shop, pool):
    response = await tenant.client.post(shop, json={"envName": "qa", "cloneConfigurationFrom": "nope"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["cloneConfigurationFrom"]
    assert await pool.fetchval("SELECT count(*) FROM environments") == 1
    assert await pool.fetchval("SELECT count(*) FROM work_queue") == len(ALWAYS)


async def test_invalid_body_names_every_bad_field_and_changes_nothing(tenant, shop, pool):
    body = {
        "envName": "Bad_Name",
        "minCapacity": -1,
        "imageSuffix": "-x",
        "composeDefinition": {"containers": [{"name": "web", "imageReference": {"type": "ftp", "identifier": "x"}}]},
        "environment": [{"name": "1BAD", "value": "v"}],
    }
    response = await tenant.client.post(shop, json=body)
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert {
        "envName",
        "minCapacity",
        "imageSuffix",
        "composeDefinition.containers.0.imageReference.type",
        "environment.0.name",
    } <= fields
    assert (await tenant.client.post(shop, json={})).json()["errors"][0]["field"] == "envName"
    response = await tenant.client.post(shop, json={"envName": "qa", "minCapacity": 5, "maxCapacity": 2})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "minCapacity"
    assert await pool.fetchval("SELECT count(*) FROM environments") == 1
    assert await pool.fetchval("SELECT count(*) FROM work_queue") == len(ALWAYS)


async def test_duplicate_name_is_a_409(tenant, shop):
    assert (await tenant.client.post(shop, json={"envName": "staging"})).status_code == 201
    assert (await tenant.client.post(shop, json={"envName": "staging"})).status_code == 409
    response = await tenant.client.post(shop, json={"envName": "production"})
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"


async def test_limit_reached_is_the_contracts_403(tenant, shop, pool):
    for index in range(ENVIRONMENT_LIMIT - 1):
        assert (await tenant.client.post(shop, json={"envName": f"env-{index}"})).status_code == 201
    response = await tenant.client.post(shop, json={"envName": "one-more"})
    assert response.status_code == 403
    assert response.json() == {
        "message": "Environment limit reached",
        "error": f"Application shop has reached the maximum number of allowed environments "
        f"({ENVIRONMENT_LIMIT}/{ENVIRONMENT_LIMIT}). Please contact support to increase your limit.",
    }
    assert await pool.fetchval("SELECT count(*) FROM environments") == ENVIRONMENT_LIMIT


async def test_limit_holds_under_concurrent_creates(tenant, shop, pool):
    responses = await asyncio.gather(*(tenant.client.post(shop, json={"envName": f"env-{i}"}) for i in range(10)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * (ENVIRONMENT_LIMIT - 1) + [403] * (10 - ENVIRONMENT_LIMIT + 1)
    assert await pool.fetchval("SELECT count(*) FROM environments") == ENVIRONMENT_LIMIT


async def test_list_and_get_show_observed_state(tenant, shop, pool):
    assert (await tenant.client.post(shop, json={"envName": "staging"})).status_code == 201
    production = await pool.fetchval("SELECT id FROM environments WHERE name = 'production'")
    outputs = {
        "desiredCount": 2,
        "runningCount": 2,
        "rolloutState": "COMPLETED",
        "taskDefinitionArn": "arn:td:1",
        "serviceArn": "arn:svc",
        "serviceName": "acme_shop_production",
        "clusterArn": "arn:cluster",
    }
    ready = [{"type": "Ready", "status": True, "reason": "Complete", "lastTransitionTime": "2026-01-01T00:00:00Z"}]
    await pool.execute(
        "INSERT INTO statuses (kind, key, observed_generation, conditions, outputs)"
        " VALUES ('ecs-environment', $1, 1, $2, $3)",
        str(production), ready, outputs,
    )
    listed = (await tenant.client.get(shop)).json()
    assert listed == [
        {"envName": "production", "status": "running", "deploymentStatus": "COMPLETED", "runningCount": 2,
         "desiredCount": 2, "minCapacity": 2, "maxCapacity": 4},
        {"envName": "staging", "status": "pending", "minCapacity": 1, "maxCapacity": 1},
    ]
    one = (await tenant.client.get(f"{shop}/production")).json()
    assert one["taskDefinition"] == {"taskDefinitionArn": "arn:td:1"}
    assert one["service"]["serviceName"] == "acme_shop_production"
    assert one["createdAt"] and one["updatedAt"]
    missing = await tenant.client.get(f"{shop}/nope")
    assert missing.status_code == 404
    assert missing.json()["message"] == "Environment not found"
    assert (await tenant.client.get(environments(tenant, "nope"))).status_code == 404


async def test_a_rolled_back_deployment_is_reported_failed_with_its_reason(tenant, shop, pool):
    production = await pool.fetchval("SELECT id FROM environments WHERE name = 'production'")
    await pool.execute(
        "INSERT INTO statuses (kind, key, observed_generation, outputs) VALUES ('ecs-environment', $1, 1, $2)",
        str(production), {"rolloutState": "COMPLETED"},
    )
    await pool.execute(
        "INSERT INTO deployments (environment_id, deployment_id, task_definition_arn, status, reason)"
        " VALUES ($1, 'ecs-svc/1', 'arn:td:2', 'ROLLED_BACK', 'circuit breaker')",
        production,
    )
    body = (await tenant.client.get(f"{shop}/production")).json()
    assert (body["deploymentStatus"], body["deploymentFailureType"], body["deploymentFailureReason"]) == (
        "FAILED", "ROLLED_BACK", "circuit breaker",
    )


async def test_update_replaces_the_compose_bumps_generation_and_queues(tenant, shop, pool):
    created = await tenant.client.post(shop, json={"envName": "staging", "environment": [{"name": "A", "value": "1"}]})
    assert created.status_code == 201
    await pool.execute("UPDATE work_queue SET not_before = now() + interval '1 hour'")
    body = {"composeDefinition": {"containers": [API], "minCapacity": 1, "maxCapacity": 3}, "maxCapacity": 6}
    response = await tenant.client.put(f"{shop}/staging", json=body)
    assert response.status_code == 202, response.text
    assert response.json()["containerNames"] == ["api"]
    row = await pool.fetchrow("SELECT id, spec, generation FROM environments WHERE name = 'staging'")
    assert row["generation"] == 2
    assert (row["spec"]["minCapacity"], row["spec"]["maxCapacity"]) == (1, 6)
    assert row["spec"]["variables"] == [{"name": "A", "value": "1"}]
    assert await pool.fetchval("SELECT not_before <= now() FROM work_queue WHERE key = $1", str(row["id"]))
    # The same body again changes nothing, so the generation stays.
    assert (await tenant.client.put(f"{shop}/staging", json=body)).status_code == 202
    assert await pool.fetchval("SELECT generation FROM environments WHERE name = 'staging'") == 2


async def test_update_errors(tenant, shop, pool):
    assert (await tenant.client.put(f"{shop}/nope", json=REPLACE)).status_code == 404
    bad = await tenant.client.put(f"{shop}/production", json={"minCapacity": -1})
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"composeDefinition", "minCapacity"}
    order = await tenant.client.put(
        f"{shop}/production", json={"composeDefinition": {"containers": [API]}, "minCapacity": 5, "maxCapacity": 2}
    )
    assert order.status_code == 400
    assert await pool.fetchval("SELECT generation FROM environments WHERE name = 'production'") == 1
    assert (await _spec(pool, "production"))["compose"]["containers"][0]["name"] == "web"


async def test_delete_marks_deleting_and_queues_teardown(tenant, shop, pool):
    assert (await tenant.client.post(shop, json={"envName": "staging"})).status_code == 201
    await pool.execute("UPDATE work_queue SET not_before = now() + interval '1 hour'")
    assert (await tenant.client.delete(f"{shop}/staging")).status_code == 204
    assert (await tenant.client.delete(f"{shop}/staging")).status_code == 204
    row = await pool.fetchrow("SELECT id, generation, deleted_at FROM environments WHERE name = 'staging'")
    assert row["generation"] == 2 and row["deleted_at"] is not None
    assert await pool.fetchval("SELECT not_before <= now() FROM work_queue WHERE key = $1", str(row["id"]))
    assert (await tenant.client.get(f"{shop}/staging")).json()["status"] == "deleting"
    assert (await tenant.client.get(f"{tenant.applications}/shop")).json()["environmentNames"] == ["production"]
    assert (await tenant.client.put(f"{shop}/staging", json=REPLACE)).status_code == 409
    assert (await tenant.client.post(shop, json={"envName": "staging"})).status_code == 409
    assert (await tenant.client.delete(f"{shop}/nope")).status_code == 404


async def test_finalizing_a_deleted_environment_leaves_the_application(tenant, shop, pool):
    assert (await tenant.client.post(shop, json={"envName": "staging"})).status_code == 201
    assert (await tenant.client.delete(f"{shop}/staging")).status_code == 204
    staging = await pool.fetchval("SELECT id FROM environments WHERE name = 'staging'")
    await pool.execute(QUERIES.finalize_environment, staging)
    assert await pool.fetchval("SELECT count(*) FROM applications") == 1
    assert await pool.fetchval("SELECT application_count FROM organisations WHERE slug = 'acme'") == 1
    assert [e["envName"] for e in (await tenant.client.get(shop)).json()] == ["production"]
    assert (await tenant.client.get(f"{tenant.applications}/shop")).json()["status"] == "pending"


async def test_production_cannot_be_deleted(tenant, shop, pool):
    response = await tenant.client.delete(f"{shop}/production")
    assert response.status_code == 409
    assert "delete the application" in response.json()["message"]
    assert await pool.fetchval("SELECT deleted_at IS NULL AND generation = 1 FROM environments") is True


async def test_a_deleting_application_takes_no_new_environments(tenant, shop):
    assert (await tenant.client.delete(f"{tenant.applications}/shop")).status_code == 204
    assert (await tenant.client.post(shop, json={"envName": "staging"})).status_code == 409
    assert (await tenant.client.get(f"{shop}/production")).json()["status"] == "deleting"


async def test_another_organisations_token_sees_nothing(tenant, other_tenant, shop, pool):
    foreign = other_tenant.client
    existing = await foreign.get(f"{shop}/production")
    absent = await foreign.get(f"{shop}/absent")
    no_org = await foreign.get("/api/v3/organizations/nobody/applications/shop/environments/production")
    assert existing.status_code == absent.status_code == no_org.status_code == 404
    assert existing.json() == no_org.json()
    assert (await foreign.get(shop)).status_code == 404
    assert (await foreign.post(shop, json={"envName": "x"})).status_code == 404
    assert (await foreign.put(f"{shop}/production", json=REPLACE)).status_code == 404
    assert (await foreign.delete(f"{shop}/production")).status_code == 404
    # Its own application of the same name is a different one.
    assert (await foreign.get(environments(other_tenant))).status_code == 404
    assert await pool.fetchval("SELECT count(*) FROM environments") == 1
    assert await pool.fetchval("SELECT generation FROM environments") == 1


async def test_openapi_lists_the_environment_operations(tenant):
    document = (await tenant.client.get("/openapi.json")).json()
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    wanted = {"listEnvironments", "createEnvironment", "getEnvironment", "updateEnvironment", "deleteEnvironment"}
    assert wanted <= operations
    schemas = set(document["components"]["schemas"])
    assert {"CreateEnvironmentRequest", "UpdateEnvironmentRequest", "EnvironmentResponse"} <= schemas
    assert {"EnvironmentSummary", "EnvironmentLimitReached"} <= schemas


async def test_a_mixed_spot_strategy_below_two_instances_is_a_400(tenant, shop, pool):
    mixed = {"strategy": "mixed-safe"}
    response = await tenant.client.post(shop, json={"envName": "dev", "spotConfiguration": mixed, "minCapacity": 1})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "spotConfiguration.strategy"
    assert "at least 2" in response.json()["errors"][0]["message"]
    compose = {"containers": [API], "spotConfiguration": {"strategy": "mixed-aggressive"}}
    assert (await tenant.client.post(shop, json={"envName": "dev", "composeDefinition": compose})).status_code == 400
    created = await tenant.client.post(shop, json={"envName": "dev", "spotConfiguration": mixed, "minCapacity": 2})
    assert created.status_code == 201
    update = await tenant.client.put(f"{shop}/dev", json={"composeDefinition": compose, "minCapacity": 1})
    assert update.status_code == 400
    assert update.json()["errors"][0]["field"] == "composeDefinition.spotConfiguration.strategy"
    # Production runs on-demand whatever it asks, so its strategy is not refused.
    assert (await tenant.client.put(f"{shop}/production", json={"composeDefinition": compose})).status_code == 202
    assert await pool.fetchval("SELECT generation FROM environments WHERE name = 'dev'") == 1
