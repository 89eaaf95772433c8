import asyncio

import asyncpg
import pytest

WEB = {"name": "web", "imageReference": {"type": "external", "identifier": "nginx:1.27"}, "exposedPorts": [80]}


def app_body(name: str = "shop", **extra) -> dict:
    return {"appName": name, "composeDefinition": {"containers": [WEB]}, **extra}


async def test_create_returns_the_application_with_its_production_environment(tenant, pool):
    response = await tenant.client.post(tenant.applications, json=app_body(minCapacity=2, maxCapacity=3))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["appName"] == "shop"
    assert body["organisation"] == "acme"
    assert body["status"] == "pending"
    assert body["environmentNames"] == ["production"]
    assert body["containerNames"] == ["web"]
    assert (body["minCapacity"], body["maxCapacity"]) == (2, 3)
    assert body["composeDefinition"]["taskCpu"] == 256
    queued = await pool.fetch("SELECT kind, key FROM work_queue")
    environment = await pool.fetchrow("SELECT id, spec, generation FROM environments")
    assert sorted((r["kind"], r["key"]) for r in queued) == [
        (kind, str(environment["id"])) for kind in ("ecs-autoscaling", "ecs-environment", "environment-network")
    ]
    assert environment["spec"]["minCapacity"] == 2
    assert environment["generation"] == 1


async def test_create_wakes_only_the_kinds_it_queued(tenant, database_url):
    heard: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(database_url)
    try:
        await listener.add_listener("berth_work", lambda *args: heard.put_nowait(args[3]))
        assert (await tenant.client.post(tenant.applications, json=app_body())).status_code == 201
        # The NOTIFY follows the answer. One write, one NOTIFY statement: once its first
        # kind is heard, a sentinel sent now is heard after all of its kinds.
        kinds = [await asyncio.wait_for(heard.get(), 30)]
        await listener.execute("NOTIFY berth_work, 'sentinel'")
        while (kind := await asyncio.wait_for(heard.get(), 30)) != "sentinel":
            kinds.append(kind)
    finally:
        await listener.close()
    assert sorted(kinds) == ["ecs-autoscaling", "ecs-environment", "environment-network"]


async def test_the_queue_rows_are_written_in_the_same_transaction(tenant, pool):
    await pool.execute(
        "CREATE FUNCTION queue_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'queue down'; END $$;"
        "CREATE TRIGGER queue_down BEFORE INSERT ON work_queue FOR EACH ROW EXECUTE FUNCTION queue_down()"
    )
    assert (await tenant.client.post(tenant.applications, json=app_body())).status_code == 500
    assert await pool.fetchval("SELECT count(*) FROM applications") == 0
    assert await pool.fetchval("SELECT count(*) FROM environments") == 0
    assert await pool.fetchval("SELECT application_count FROM organisations WHERE slug = 'acme'") == 0
    await pool.execute("DROP TRIGGER queue_down ON work_queue")
    assert (await tenant.client.post(tenant.applications, json=app_body())).status_code == 201
    assert await pool.fetchval("SELECT count(*) FROM work_queue") == 3


async def test_list_and_get(tenant):
    for name in ("b-app", "a-app"):
        assert (await tenant.client.post(tenant.applications, json=app_body(name))).status_code == 201
    listed = (await tenant.client.get(tenant.applications)).json()
    assert [a["appName"] for a in listed] == ["a-app", "b-app"]
    one = await tenant.client.get(f"{tenant.applications}/b-app")
    assert one.status_code == 200 and one.json()["appName"] == "b-app"
    missing = await tenant.client.get(f"{tenant.applications}/nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_invalid_body_names_every_bad_field_and_changes_nothing(tenant, pool):
    body = {
        "appName": "Bad Name!",
        "composeDefinition": {
            "containers": [{"name": "web server", "imageReference": {"type": "ftp"}}],
            "taskCpu": 256,
            "taskMemory": 4096,
        },
    }
    response = await tenant.client.post(tenant.applications, json=body)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    fields = {e["field"] for e in problem["errors"]}
    assert {
        "appName",
        "composeDefinition.containers.0.name",
        "composeDefinition.containers.0.imageReference.type",
        "composeDefinition.containers.0.imageReference.identifier",
    } <= fields
    assert await pool.fetchval("SELECT count(*) FROM applications") == 0
    assert await pool.fetchval("SELECT count(*) FROM work_queue") == 0


@pytest.mark.parametrize("raw", [b"{", b"[]", b"null", b'"text"'])
async def test_malformed_json_is_a_400(tenant, raw):
    response = await tenant.client.post(
        tenant.applications, content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["status"] == 400


async def test_fargate_size_is_checked(tenant):
    body = app_body()
    body["composeDefinition"] = {**body["composeDefinition"], "taskCpu": 512, "taskMemory": 512}
    response = await tenant.client.post(tenant.applications, json=body)
    assert response.status_code == 400
    assert "does not fit taskCpu 512" in response.json()["errors"][0]["message"]


async def test_duplicate_name_is_a_409(tenant):
    assert (await tenant.client.post(tenant.applications, json=app_body())).status_code == 201
    response = await tenant.client.post(tenant.applications, json=app_body())
    assert response.status_code == 409


async def test_limit_reached_is_the_contracts_403(make_tenant, pool):
    tenant = await make_tenant("small", limit=2)
    for name in ("one", "two"):
        assert (await tenant.client.post(tenant.applications, json=app_body(name))).status_code == 201
    response = await tenant.client.post(tenant.applications, json=app_body("three"))
    assert response.status_code == 403
    assert response.json() == {
        "message": "Application limit reached",
        "error": "Organisation has reached the maximum number of allowed applications (2/2). "
        "Please contact support to increase your limit.",
    }
    assert await pool.fetchval("SELECT count(*) FROM applications") == 2


async def test_limit_holds_under_concurrent_creates(make_tenant, pool):
    tenant = await make_tenant("racy", limit=3)
    responses = await asyncio.gather(
        *(tenant.client.post(tenant.applications, json=app_body(f"app-{i}")) for i in range(12))
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 3 + [403] * 9
    assert await pool.fetchval("SELECT application_count FROM organisations WHERE slug = 'racy'") == 3


async def test_another_organisations_token_sees_nothing(tenant, other_tenant):
    assert (await tenant.client.post(tenant.applications, json=app_body())).status_code == 201
    foreign = other_tenant.client
    existing = await foreign.get(f"{tenant.applications}/shop")
    absent = await foreign.get(f"{tenant.applications}/absent")
    no_org = await foreign.get("/api/v3/organizations/nobody/applications/shop")
    assert existing.status_code == absent.status_code == no_org.status_code == 404
    assert existing.json() == no_org.json()
    assert (await foreign.get(tenant.applications)).status_code == 404
    assert (await foreign.delete(f"{tenant.applications}/shop")).status_code == 404
    assert (await foreign.post(tenant.applications, json=app_body("x"))).status_code == 404
    assert (await tenant.client.get(f"{tenant.applications}/shop")).json()["status"] == "pending"


async def test_missing_or_unknown_token_is_401(tenant):
    client = tenant.client
    assert (await client.get(tenant.applications, headers={"Authorization": ""})).status_code == 401
    assert (await client.get(tenant.applications, headers={"Authorization": "Bearer nope"})).status_code == 401


async def test_delete_marks_deleting_and_queues_teardown(tenant, pool):
    assert (await tenant.client.post(tenant.applications, json=app_body())).status_code == 201
    await pool.execute("UPDATE work_queue SET not_before = now() + interval '1 hour'")
    assert (await tenant.client.delete(f"{tenant.applications}/shop")).status_code == 204
    assert (await tenant.client.delete(f"{tenant.applications}/shop")).status_code == 204
    shown = (await tenant.client.get(f"{tenant.applications}/shop")).json()
    assert shown["status"] == "deleting"
    assert await pool.fetchval("SELECT not_before <= now() FROM work_queue")
    assert await pool.fetchval("SELECT generation FROM environments") == 2
    assert (await tenant.client.post(tenant.applications, json=app_body())).status_code == 409
    assert (await tenant.client.delete(f"{tenant.applications}/other")).status_code == 404


async def test_health_and_openapi(base_url, tenant):
    client = tenant.client
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).status_code == 200
    document = (await client.get("/openapi.json")).json()
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert {"createApplication", "listApplications", "getApplication", "deleteApplication"} <= operations
    assert "CreateApplicationRequest" in document["components"]["schemas"]


async def test_a_stored_spec_that_no_longer_validates_is_a_server_error_not_the_clients(tenant, pool):
    assert (await tenant.client.post(tenant.applications, json=app_body())).status_code == 201
    await pool.execute("""UPDATE applications SET spec = jsonb_set(spec, '{composeDefinition,taskMemory}', '3')""")
    response = await tenant.client.get(f"{tenant.applications}/shop")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "errors" not in response.json()


async def test_maximum_capacity_left_out_follows_the_minimum(tenant):
    response = await tenant.client.post(tenant.applications, json=app_body(minCapacity=3))
    assert response.status_code == 201, response.text
    assert (response.json()["minCapacity"], response.json()["maxCapacity"]) == (3, 3)


async def test_the_application_shows_its_production_environments_current_workload(tenant):
    assert (await tenant.client.post(tenant.applications, json=app_body())).status_code == 201
    worker = {"name": "worker", "imageReference": {"type": "external", "identifier": "busybox:1"}}
    changed = await tenant.client.put(
        f"{tenant.applications}/shop/environments/production",
        json={"composeDefinition": {"containers": [WEB, worker]}, "minCapacity": 2, "maxCapacity": 5},
    )
    assert changed.status_code == 202, changed.text
    shown = (await tenant.client.get(f"{tenant.applications}/shop")).json()
    assert shown["containerNames"] == ["web", "worker"]
    assert (shown["minCapacity"], shown["maxCapacity"]) == (2, 5)
    listed = (await tenant.client.get(tenant.applications)).json()
    assert listed[0]["containerNames"] == ["web", "worker"]


async def test_a_nul_character_anywhere_is_a_400_naming_the_field_and_changes_nothing(tenant, pool):
    body = app_body()
    body["environment"] = [{"name": "GREETING", "value": "hi\u0000there"}]
    response = await tenant.client.post(tenant.applications, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["pointer"] == "/environment/0/value"
    assert await pool.fetchval("SELECT count(*) FROM applications") == 0
