"""`…/environments/{environment}/variables`: list, bulk replace, set one, delete one."""

import pytest

WEB = {"name": "web", "imageReference": {"type": "external", "identifier": "nginx:1.27"}}
START = [{"name": "MODE", "value": "prod"}, {"name": "LEVEL", "value": "warn"}]


@pytest.fixture
async def shop(tenant):
    body = {"appName": "shop", "composeDefinition": {"containers": [WEB]}, "environment": START}
    response = await tenant.client.post(tenant.applications, json=body)
    assert response.status_code == 201, response.text
    return f"{tenant.applications}/shop/environments"


@pytest.fixture
def variables(shop):
    return f"{shop}/production/variables"


async def _row(pool, name: str = "production"):
    return await pool.fetchrow("SELECT id, spec, generation FROM environments WHERE name = $1", name)


async def _park_queue(pool) -> None:
    await pool.execute("UPDATE work_queue SET not_before = now() + interval '1 hour'")


async def _queued_now(pool, environment_id) -> bool:
    return await pool.fetchval(
        "SELECT not_before <= now() FROM work_queue WHERE kind = 'ecs-environment' AND key = $1", str(environment_id)
    )


async def test_list_answers_name_to_value_in_stored_order(tenant, variables):
    response = await tenant.client.get(variables)
    assert response.status_code == 200, response.text
    assert list(response.json().items()) == [("MODE", "prod"), ("LEVEL", "warn")]


async def test_bulk_set_replaces_every_variable_and_queues(tenant, variables, pool):
    await _park_queue(pool)
    body = {"environment": [{"name": "LEVEL", "value": "debug"}, {"name": "API_KEY", "value": "s3cr=t"}]}
    response = await tenant.client.put(variables, json=body)
    assert response.status_code == 200, response.text
    assert response.json() == {"LEVEL": "debug", "API_KEY": "s3cr=t"}
    row = await _row(pool)
    assert row["spec"]["variables"] == body["environment"]
    assert row["generation"] == 2
    assert await _queued_now(pool, row["id"])
    assert (await tenant.client.get(variables)).json() == response.json()
    # The same set again changes nothing.
    assert (await tenant.client.put(variables, json=body)).status_code == 200
    assert (await _row(pool))["generation"] == 2
    # An empty set clears them all (Quant Cloud's "clear").
    assert (await tenant.client.put(variables, json={"environment": []})).json() == {}
    row = await _row(pool)
    assert (row["spec"]["variables"], row["generation"]) == ([], 3)


async def test_put_one_updates_in_place_or_appends(tenant, variables, pool):
    await _park_queue(pool)
    response = await tenant.client.put(f"{variables}/MODE", json={"value": "staging"})
    assert response.status_code == 200, response.text
    assert response.json() == {"name": "MODE", "value": "staging"}
    row = await _row(pool)
    assert row["spec"]["variables"] == [{"name": "MODE", "value": "staging"}, {"name": "LEVEL", "value": "warn"}]
    assert row["generation"] == 2
    assert await _queued_now(pool, row["id"])
    assert (await tenant.client.put(f"{variables}/NEW_ONE", json={"value": ""})).status_code == 200
    row = await _row(pool)
    assert row["spec"]["variables"][-1] == {"name": "NEW_ONE", "value": ""}
    assert row["generation"] == 3
    # Setting the same value again changes nothing.
    assert (await tenant.client.put(f"{variables}/NEW_ONE", json={"value": ""})).status_code == 200
    assert (await _row(pool))["generation"] == 3


async def test_delete_one_and_a_missing_one_is_a_404(tenant, variables, pool):
    await _park_queue(pool)
    response = await tenant.client.delete(f"{variables}/MODE")
    assert response.status_code == 204, response.text
    row = await _row(pool)
    assert row["spec"]["variables"] == [{"name": "LEVEL", "value": "warn"}]
    assert row["generation"] == 2
    assert await _queued_now(pool, row["id"])
    again = await tenant.client.delete(f"{variables}/MODE")
    assert again.status_code == 404
    assert again.json()["message"] == "Variable not found"
    assert (await _row(pool))["generation"] == 2


async def test_unknown_or_other_organisations_environment_is_a_404(tenant, other_tenant, shop, variables, pool):
    missing = f"{shop}/nope/variables"
    assert (await tenant.client.get(missing)).status_code == 404
    assert (await tenant.client.put(missing, json={"environment": []})).status_code == 404
    assert (await tenant.client.put(f"{missing}/A", json={"value": "1"})).status_code == 404
    assert (await tenant.client.delete(f"{missing}/A")).status_code == 404
    assert (await other_tenant.client.get(variables)).status_code == 404
    assert (await other_tenant.client.put(variables, json={"environment": []})).status_code == 404
    assert (await other_tenant.client.delete(f"{variables}/MODE")).status_code == 404
    assert (await _row(pool))["generation"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "environment"),
        ({"environment": [{"name": "1BAD", "value": "x"}]}, "environment.0.name"),
        ({"environment": [{"name": "A-B", "value": "x"}]}, "environment.0.name"),
        ({"environment": [{"name": "A", "value": 1}]}, "environment.0.value"),
        ({"environment": [{"name": "A"}]}, "environment.0.value"),
        ({"environment": [{"name": "A", "value": "x\u0000y"}]}, "environment.0.value"),
        ({"environment": [{"name": "A", "value": "x" * 40_000}]}, "environment.0.value"),
        ({"environment": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]}, "environment"),
        ({"environment": [{"name": "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "value": "/x"}]}, "environment.0.name"),
    ],
)
async def test_a_bad_bulk_set_is_a_400_naming_the_field_and_changes_nothing(tenant, variables, pool, body, field):
    response = await tenant.client.put(variables, json=body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    row = await _row(pool)
    assert (row["spec"]["variables"], row["generation"]) == (START, 1)


@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("MODE", {}, "value"),
        ("MODE", {"value": None}, "value"),
        ("MODE", {"value": "a\u0000"}, "value"),
        ("9LIVES", {"value": "x"}, "api_variable"),
        ("ECS_CONTAINER_METADATA_URI_V4", {"value": "x"}, "api_variable"),
    ],
)
async def test_a_bad_put_one_is_a_400_naming_the_field_and_changes_nothing(tenant, variables, pool, name, body, field):
    response = await tenant.client.put(f"{variables}/{name}", json=body)
    assert response.status_code == 400, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert (await _row(pool))["generation"] == 1


async def test_with_a_database_its_injected_names_are_refused(tenant, pool):
    body = {"appName": "blog", "composeDefinition": {"containers": [WEB]}, "database": {"engine": "postgres"}}
    assert (await tenant.client.post(tenant.applications, json=body)).status_code == 201, body
    variables = f"{tenant.applications}/blog/environments/production/variables"
    response = await tenant.client.put(variables, json={"environment": [{"name": "A", "value": "1"},
                                                                        {"name": "DB_PASSWORD", "value": "x"}]})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["environment.1.name"]
    response = await tenant.client.put(f"{variables}/DB_HOST", json={"value": "elsewhere"})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["api_variable"]
    spec = await pool.fetchval(
        "SELECT e.spec FROM environments e JOIN applications a ON a.id = e.application_id WHERE a.name = 'blog'"
    )
    assert spec["variables"] == []


async def test_without_a_database_db_names_are_plain_variables(tenant, variables, pool):
    assert (await tenant.client.put(f"{variables}/DB_HOST", json={"value": "db.example.com"})).status_code == 200
    assert (await _row(pool))["spec"]["variables"][-1] == {"name": "DB_HOST", "value": "db.example.com"}
