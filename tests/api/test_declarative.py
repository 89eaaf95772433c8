"""The declarative PUT …/applications/{application} and its dry runs, against PostgreSQL."""

import asyncio

import pytest

from tests.api.test_applications import WEB, app_body

WORKER = {"name": "worker", "imageReference": {"type": "external", "identifier": "busybox:1"}}


def body(**extra) -> dict:
    return {"composeDefinition": {"containers": [WEB]}, **extra}


async def snapshot(pool) -> dict:
    """Everything a write would touch: specs, generations, timestamps, queue rows."""
    return {
        "applications": [dict(r) for r in await pool.fetch("SELECT * FROM applications ORDER BY name")],
        "environments": [dict(r) for r in await pool.fetch("SELECT * FROM environments ORDER BY name")],
        "queue": [dict(r) for r in await pool.fetch("SELECT * FROM work_queue ORDER BY kind, key")],
        "count": await pool.fetchval("SELECT application_count FROM organisations"),
    }


async def production(pool) -> dict:
    return dict(await pool.fetchrow("SELECT spec, generation, updated_at, finalizers FROM environments WHERE name = 'production'"))


async def drain(pool) -> None:
    """As if the workers had run: the queue is empty, so a later write's rows show."""
    await pool.execute("DELETE FROM work_queue")


# --- create-or-replace ----------------------------------------------------------------------

async def test_put_creates_the_application_like_post(tenant, pool):
    response = await tenant.client.put(f"{tenant.applications}/shop", json=body(minCapacity=2, maxCapacity=3))
    assert response.status_code == 201, response.text
    shown = response.json()
    assert (shown["appName"], shown["status"], shown["environmentNames"]) == ("shop", "pending", ["production"])
    assert (shown["minCapacity"], shown["maxCapacity"]) == (2, 3)
    stored = await pool.fetchrow("SELECT spec, generation FROM applications")
    assert stored["spec"]["appName"] == "shop" and stored["generation"] == 1
    env = await production(pool)
    assert (env["spec"]["minCapacity"], env["generation"]) == (2, 1)
    kinds = {r["kind"] for r in await pool.fetch("SELECT kind FROM work_queue")}
    assert kinds == set(env["finalizers"]) and "ecs-environment" in kinds
    assert await pool.fetchval("SELECT application_count FROM organisations") == 1
    assert (await tenant.client.get(f"{tenant.applications}/shop")).json()["minCapacity"] == 2


async def test_repeating_the_same_body_changes_nothing(tenant, pool):
    wanted = body(database={"engine": "postgres"}, environment=[{"name": "A", "value": "1"}])
    assert (await tenant.client.put(f"{tenant.applications}/shop", json=wanted)).status_code == 201
    await drain(pool)
    before = await snapshot(pool)
    for _ in range(3):
        again = await tenant.client.put(f"{tenant.applications}/shop", json=wanted)
        assert again.status_code == 200, again.text
    assert await snapshot(pool) == before  # generation, updated_at, queue: all untouched
    assert again.json()["database"]["rdsInstanceEngine"] == "postgres"


async def test_a_body_posted_by_post_then_put_unchanged_is_no_change(tenant, pool):
    assert (await tenant.client.post(tenant.applications, json=app_body())).status_code == 201
    await drain(pool)
    before = await snapshot(pool)
    assert (await tenant.client.put(f"{tenant.applications}/shop", json=app_body())).status_code == 200
    assert await snapshot(pool) == before


async def test_put_replaces_the_workload_and_keeps_what_other_routes_own(tenant, pool):
    assert (await tenant.client.put(f"{tenant.applications}/shop", json=body(environment=[{"name": "A", "value": "1"}]))).status_code == 201
    # What the state, scaling-policies and environment routes own.
    await pool.execute(
        """UPDATE environments SET spec = spec || '{"state": "stopped", "restarts": 2, "imageTag": "v7",
           "imageSuffix": "blue", "scalingPolicies": [{"policyName": "cpu", "metric": "CPUUtilization",
           "targetValue": 60}]}'::jsonb"""
    )
    kept = (await production(pool))["spec"]
    await drain(pool)
    wanted = body(composeDefinition={"containers": [WEB, WORKER]}, minCapacity=2, maxCapacity=4,
                  database={}, filesystem={"mountPath": "/data"})
    response = await tenant.client.put(f"{tenant.applications}/shop", json=wanted)
    assert response.status_code == 200, response.text
    env = await production(pool)
    spec = env["spec"]
    assert [c["name"] for c in spec["compose"]["containers"]] == ["web", "worker"]
    assert (spec["minCapacity"], spec["maxCapacity"]) == (2, 4)
    assert spec["variables"] == []  # left out: the declared state has none
    assert spec["database"]["engine"] == "mysql" and spec["filesystem"]["mountPath"] == "/data"
    for field in ("state", "restarts", "imageTag", "imageSuffix", "scalingPolicies"):
        assert spec[field] == kept[field], field
    assert env["generation"] == 2
    assert {"rds-database", "efs-filesystem"} <= set(env["finalizers"])
    queued = {r["kind"] for r in await pool.fetch("SELECT kind FROM work_queue")}
    assert queued == set(env["finalizers"])
    app = await pool.fetchrow("SELECT spec, generation FROM applications")
    assert app["generation"] == 2 and app["spec"]["composeDefinition"]["containers"][1]["name"] == "worker"
    shown = response.json()
    assert shown["containerNames"] == ["web", "worker"] and (shown["minCapacity"], shown["maxCapacity"]) == (2, 4)
    assert shown["filesystem"] == {"mountPath": "/data"}


async def test_a_database_left_out_is_removed_but_stays_a_finalizer(tenant, pool):
    assert (await tenant.client.put(f"{tenant.applications}/shop", json=body(database={}))).status_code == 201
    assert (await tenant.client.put(f"{tenant.applications}/shop", json=body())).status_code == 200
    env = await production(pool)
    assert "database" not in env["spec"]
    assert "rds-database" in env["finalizers"]  # it tears the instance down, then releases itself
    assert await pool.fetchval("SELECT count(*) FROM work_queue WHERE kind = 'rds-database'") == 1


async def test_app_name_may_be_left_out_or_equal_but_not_different(tenant, pool):
    url = f"{tenant.applications}/shop"
    assert (await tenant.client.put(url, json=body())).status_code == 201
    assert (await tenant.client.put(url, json=body(appName="shop"))).status_code == 200
    mismatch = await tenant.client.put(url, json=body(appName="other"))
    assert mismatch.status_code == 400
    assert mismatch.json()["errors"][0]["field"] == "appName"
    bad_path = await tenant.client.put(f"{tenant.applications}/Bad_Name", json=body())
    assert bad_path.status_code == 400 and bad_path.json()["errors"][0]["field"] == "appName"
    assert await pool.fetchval("SELECT count(*) FROM applications") == 1


async def test_an_invalid_body_is_a_400_that_changes_nothing(tenant, pool):
    assert (await tenant.client.put(f"{tenant.applications}/shop", json=body())).status_code == 201
    before = await snapshot(pool)
    bad = body(composeDefinition={"containers": [WEB], "taskCpu": 256, "taskMemory": 4096})
    response = await tenant.client.put(f"{tenant.applications}/shop", json=bad)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert await snapshot(pool) == before


async def test_put_over_the_limit_is_the_contracts_403(make_tenant, pool):
    tenant = await make_tenant("small", limit=1)
    assert (await tenant.client.put(f"{tenant.applications}/one", json=body())).status_code == 201
    assert (await tenant.client.put(f"{tenant.applications}/one", json=body(minCapacity=2))).status_code == 200
    refused = await tenant.client.put(f"{tenant.applications}/two", json=body())
    assert refused.status_code == 403
    assert refused.json()["message"] == "Application limit reached"
    assert await pool.fetchval("SELECT count(*) FROM applications") == 1


async def test_put_on_an_application_being_deleted_is_a_409(tenant, pool):
    assert (await tenant.client.put(f"{tenant.applications}/shop", json=body())).status_code == 201
    assert (await tenant.client.delete(f"{tenant.applications}/shop")).status_code == 204
    before = await snapshot(pool)
    for url in (f"{tenant.applications}/shop", f"{tenant.applications}/shop?dryRun=true"):
        response = await tenant.client.put(url, json=body(minCapacity=3))
        assert response.status_code == 409, url
    assert (await tenant.client.post(f"{tenant.applications}/shop/plan", json=body())).status_code == 409
    assert await snapshot(pool) == before


async def test_concurrent_puts_of_a_new_name_create_it_once(make_tenant, pool):
    tenant = await make_tenant("racy", limit=5)
    responses = await asyncio.gather(
        *(tenant.client.put(f"{tenant.applications}/shop", json=body()) for _ in range(8))
    )
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert await pool.fetchval("SELECT count(*) FROM applications") == 1
    assert await pool.fetchval("SELECT application_count FROM organisations WHERE slug = 'racy'") == 1
    assert await pool.fetchval("SELECT generation FROM environments") == 1


async def test_another_organisation_cannot_put(tenant, other_tenant, pool):
    assert (await tenant.client.put(f"{tenant.applications}/shop", json=body())).status_code == 201
    foreign = await other_tenant.client.put(f"{tenant.applications}/shop", json=body(minCapacity=5))
    assert foreign.status_code == 404
    plan = await other_tenant.client.post(f"{tenant.applications}/shop/plan", json=body())
    assert plan.status_code == 404
    assert (await production(pool))["spec"]["minCapacity"] == 1


# --- dry runs -------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["put", "plan"])
async def test_a_dry_run_shows_the_changes_and_writes_nothing(tenant, pool, how):
    assert (await tenant.client.put(f"{tenant.applications}/shop", json=body(database={}))).status_code == 201
    before = await snapshot(pool)
    image = {"type": "external", "identifier": "nginx:1.28"}
    wanted = body(
        composeDefinition={"containers": [{**WEB, "imageReference": image}]},
        minCapacity=2, maxCapacity=2, database={"instanceClass": "db.t4g.small", "engine": "postgres"},
    )
    if how == "put":
        response = await tenant.client.put(f"{tenant.applications}/shop?dryRun=true", json=wanted)
    else:
        response = await tenant.client.post(f"{tenant.applications}/shop/plan", json=wanted)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["appName"], answer["action"], answer["newDeployment"]) == ("shop", "update", True)
    assert (answer["generation"], answer["productionGeneration"]) == (1, 1)
    changes = {c["path"]: c for c in answer["changes"]}
    assert set(changes) == {
        "/composeDefinition/containers/0/imageReference/identifier", "/minCapacity", "/maxCapacity",
        "/database/engine", "/database/instanceClass",
    }
    image_change = changes["/composeDefinition/containers/0/imageReference/identifier"]
    assert (image_change["op"], image_change["before"], image_change["after"]) == ("replace", "nginx:1.27", "nginx:1.28")
    assert {e["resource"] for e in image_change["effects"]} == {"ECS task definition", "ECS service"}
    assert changes["/database/engine"]["effects"][0]["action"].startswith("replacement refused")
    assert "maintenance window" in changes["/database/instanceClass"]["effects"][0]["action"]
    assert await snapshot(pool) == before


async def test_a_dry_run_of_the_stored_state_is_empty(tenant, pool):
    assert (await tenant.client.put(f"{tenant.applications}/shop", json=body(minCapacity=2))).status_code == 201
    answer = (await tenant.client.post(f"{tenant.applications}/shop/plan", json=body(minCapacity=2))).json()
    assert (answer["action"], answer["changes"], answer["newDeployment"]) == ("none", [], False)


async def test_a_dry_run_compares_with_the_production_environments_current_spec(tenant, pool):
    """A change made through the environment routes shows as what the PUT would undo."""
    assert (await tenant.client.put(f"{tenant.applications}/shop", json=body())).status_code == 201
    changed = await tenant.client.put(
        f"{tenant.applications}/shop/environments/production",
        json={"composeDefinition": {"containers": [WEB, WORKER]}},
    )
    assert changed.status_code == 202, changed.text
    answer = (await tenant.client.put(f"{tenant.applications}/shop?dryRun=true", json=body())).json()
    assert [(c["path"], c["op"]) for c in answer["changes"]] == [("/composeDefinition/containers/1", "remove")]
    assert answer["changes"][0]["before"]["name"] == "worker"


async def test_a_dry_run_create_plans_every_field_and_writes_nothing(tenant, pool):
    before = await snapshot(pool)
    for response in (
        await tenant.client.put(f"{tenant.applications}/shop?dryRun=true", json=body(filesystem={})),
        await tenant.client.post(f"{tenant.applications}?dryRun=true", json=app_body(filesystem={})),
        await tenant.client.post(f"{tenant.applications}/shop/plan", json=body(filesystem={})),
    ):
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["action"] == "create" and "generation" not in answer
        assert [c["path"] for c in answer["changes"]] == [
            "/composeDefinition", "/minCapacity", "/maxCapacity", "/environment", "/filesystem"
        ]
        assert all(c["op"] == "add" for c in answer["changes"])
    assert await snapshot(pool) == before


async def test_a_dry_run_answers_the_refusals_of_the_write(make_tenant, pool):
    tenant = await make_tenant("small", limit=1)
    assert (await tenant.client.post(tenant.applications, json=app_body("one"))).status_code == 201
    taken = await tenant.client.post(f"{tenant.applications}?dryRun=true", json=app_body("one"))
    assert taken.status_code == 409
    full = await tenant.client.put(f"{tenant.applications}/two?dryRun=true", json=body())
    assert full.status_code == 403 and full.json()["message"] == "Application limit reached"
    bad_flag = await tenant.client.put(f"{tenant.applications}/one?dryRun=maybe", json=body())
    assert bad_flag.status_code == 400 and bad_flag.json()["errors"][0]["field"] == "dryRun"
    assert await pool.fetchval("SELECT count(*) FROM applications") == 1


async def test_openapi_lists_the_declarative_operations(tenant):
    document = (await tenant.client.get("/openapi.json")).json()
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert {"applyApplication", "planApplication"} <= operations
    schemas = document["components"]["schemas"]
    assert {"ApplicationPlan", "ApplyApplicationRequest"} <= set(schemas)
    put = document["paths"]["/api/v3/organizations/{organisation}/applications/{application}"]["put"]
    assert "dryRun" in {p["name"] for p in put["parameters"]}


# --- what GET shows of the database and file system ----------------------------------------

async def test_get_shows_the_database_and_file_system_as_their_reconcilers_report_them(tenant, pool):
    url = f"{tenant.applications}/shop"
    assert (await tenant.client.put(url, json=body(database={"engine": "postgres"}, filesystem={}))).status_code == 201
    pending = (await tenant.client.get(url)).json()
    assert pending["database"] == {"rdsInstanceEngine": "postgres", "rdsInstanceStatus": "pending"}
    assert pending["filesystem"] == {"mountPath": "/mnt/data"}
    environment = await pool.fetchval("SELECT id::text FROM environments")
    database = {"ready": True, "rdsInstanceIdentifier": "berth-acme-shop-production", "rdsInstanceEndpoint":
                "db.example:5432", "rdsInstanceEngine": "postgres", "rdsInstanceStatus": "available"}
    filesystem = {"ready": True, "filesystemId": "fs-0123", "accessPointId": "fsap-1", "mountPath": "/mnt/data"}
    await pool.executemany(
        "INSERT INTO statuses (kind, key, outputs) VALUES ($1, $2, $3)",
        [("rds-database", environment, database), ("efs-filesystem", environment, filesystem)],
    )
    shown = (await tenant.client.get(url)).json()
    assert shown["database"] == {
        "rdsInstanceIdentifier": "berth-acme-shop-production", "rdsInstanceEndpoint": "db.example:5432",
        "rdsInstanceEngine": "postgres", "rdsInstanceStatus": "available",
    }
    assert shown["filesystem"] == {"filesystemId": "fs-0123", "mountPath": "/mnt/data"}
    # The database removed from the spec: no longer shown, though its reconciler still tears it down.
    assert (await tenant.client.put(url, json=body())).status_code == 200
    gone = (await tenant.client.get(url)).json()
    assert "database" not in gone and "filesystem" not in gone
