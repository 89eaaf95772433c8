"""POST …/reconcile, …/drift-policy, and the API's /metrics."""

from prometheus_client.parser import text_string_to_metric_families

WEB = {"name": "web", "imageReference": {"type": "external", "identifier": "nginx:1.27"}, "exposedPorts": [80]}


async def make_app(tenant, name: str = "shop") -> None:
    body = {"appName": name, "composeDefinition": {"containers": [WEB]}}
    assert (await tenant.client.post(tenant.applications, json=body)).status_code == 201


async def test_reconcile_queues_every_kind_of_every_environment_now(tenant, other_tenant, pool):
    await make_app(tenant)
    assert (await tenant.client.post(f"{tenant.applications}/shop/environments", json={"envName": "staging"})).status_code == 201
    await pool.execute("UPDATE work_queue SET not_before = now() + interval '1 hour'")
    response = await tenant.client.post(f"{tenant.applications}/shop/reconcile")
    assert response.status_code == 202, response.text
    assert response.json() == {
        "application": "shop",
        "queued": [f"{kind}/{env}" for env in ("production", "staging")
                   for kind in ("ecs-autoscaling", "ecs-environment", "environment-network")],
    }
    due = await pool.fetchval("SELECT count(*) FROM work_queue WHERE not_before <= now()")
    assert due == 6
    assert (await tenant.client.post(f"{tenant.applications}/nope/reconcile")).status_code == 404
    theirs = f"/api/v3/organizations/{other_tenant.slug}/applications/shop/reconcile"
    assert (await tenant.client.post(theirs)).status_code == 404


async def test_drift_policy_is_stored_on_every_environment_and_queues_them(tenant, pool):
    await make_app(tenant)
    assert (await tenant.client.post(f"{tenant.applications}/shop/environments", json={"envName": "staging"})).status_code == 201
    url = f"{tenant.applications}/shop/drift-policy"
    assert (await tenant.client.get(url)).json() == {"application": "shop", "policy": "correct"}

    await pool.execute("UPDATE work_queue SET not_before = now() + interval '1 hour'")
    response = await tenant.client.put(url, json={"policy": "report"})
    assert response.status_code == 200, response.text
    assert response.json() == {"application": "shop", "policy": "report", "environments": ["production", "staging"]}
    rows = await pool.fetch("SELECT spec->>'driftPolicy' AS policy, generation FROM environments")
    assert [(r["policy"], r["generation"]) for r in rows] == [("report", 2), ("report", 2)]
    assert await pool.fetchval("SELECT count(*) FROM work_queue WHERE not_before <= now()") == 6
    assert (await tenant.client.get(url)).json()["policy"] == "report"

    # The same again changes nothing; back to correct removes the field.
    await tenant.client.put(url, json={"policy": "report"})
    assert await pool.fetchval("SELECT max(generation) FROM environments") == 2
    await tenant.client.put(url, json={"policy": "correct"})
    rows = await pool.fetch("SELECT spec ? 'driftPolicy' AS present, generation FROM environments")
    assert [(r["present"], r["generation"]) for r in rows] == [(False, 3), (False, 3)]


async def test_drift_policy_errors(tenant):
    await make_app(tenant)
    url = f"{tenant.applications}/shop/drift-policy"
    bad = await tenant.client.put(url, json={"policy": "ignore"})
    assert bad.status_code == 400
    assert [e["field"] for e in bad.json()["errors"]] == ["policy"]
    assert (await tenant.client.put(f"{tenant.applications}/nope/drift-policy", json={"policy": "report"})).status_code == 404
    assert (await tenant.client.delete(f"{tenant.applications}/shop")).status_code == 204
    assert (await tenant.client.put(url, json={"policy": "report"})).status_code == 409


async def test_the_api_serves_its_request_metrics_by_route_template(tenant):
    await make_app(tenant)
    await tenant.client.get(f"{tenant.applications}/shop")
    await tenant.client.get(f"{tenant.applications}/missing")
    response = await tenant.client.get("/metrics", headers={"Authorization": ""})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    samples = {
        (s.labels["route"], s.labels["method"], s.labels["status"])
        for s in families["http_requests"].samples
        if s.name == "http_requests_total"
    }
    template = "/api/v3/organizations/{organisation}/applications/{application}"
    assert {(template, "GET", "200"), (template, "GET", "404"),
            ("/api/v3/organizations/{organisation}/applications", "POST", "201")} <= samples
    assert "http_request_duration_seconds" in families


async def test_a_new_environment_takes_the_applications_drift_policy(tenant, pool):
    await make_app(tenant)
    await tenant.client.put(f"{tenant.applications}/shop/drift-policy", json={"policy": "report"})
    assert (await tenant.client.post(f"{tenant.applications}/shop/environments", json={"envName": "staging"})).status_code == 201
    policy = await pool.fetchval("SELECT spec->>'driftPolicy' FROM environments WHERE name = 'staging'")
    assert policy == "report"
