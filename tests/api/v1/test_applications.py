"""/api/v1/applications on PostgreSQL: create, get, list, scale, settings; queueing."""

import asyncio
import uuid

from tests.api.v1.conftest import queued


async def test_create_queues_the_application_and_answers_its_detail(tenant, pool):
    made = await tenant.application("web")
    assert made | {"id": "", "project_id": "", "created": "", "updated": ""} == {
        "id": "", "name": "Web", "slug": "web", "project_id": "", "project_slug": "shop",
        "organization_slug": "acme", "platform": "wind", "process_counts": {}, "process_pod_classes": {},
        "github_repository": None, "github_repository_is_private": False, "auto_deploy_branch": None,
        "subdirectory": None, "github_app_installation_id": None, "github_environment_name": None,
        "deployment_timeout": 180, "health_check_path": "/_health/", "health_check_host": None,
        "privileged": False, "created": "", "updated": "",
        "latest_image": None, "latest_release": None, "latest_deployment": None,
    }
    assert await queued(pool, "kube-application", made["id"])


async def test_get_and_list_by_slugs_and_other_organisations_see_nothing(tenant, other_tenant):
    made = await tenant.application("web")
    got = await tenant.client.get("/api/v1/applications/acme/shop/web")
    assert got.status_code == 200 and got.json() == made
    listed = (await tenant.client.get("/api/v1/applications/acme/shop")).json()
    assert listed == [{
        "id": made["id"], "name": "Web", "slug": "web", "project_id": made["project_id"], "platform": "wind",
        "created": made["created"], "latest_image_version": None, "latest_release_version": None,
        "latest_deployment_complete": None,
    }]
    assert (await tenant.client.get("/api/v1/applications/acme/nope")).status_code == 404
    assert (await other_tenant.client.get("/api/v1/applications/acme/shop/web")).status_code == 404
    assert (await other_tenant.client.get("/api/v1/applications/acme/shop")).status_code == 404
    scale = await other_tenant.client.post(f"/api/v1/applications/{made['id']}/scale", json={"process_counts": {"web": 1}})
    assert scale.status_code == 404 and scale.json()["status_code"] == 404
    stolen = await other_tenant.client.post(
        "/api/v1/applications", json={"name": "X", "slug": "x", "project_id": made["project_id"]}
    )
    assert stolen.status_code == 404


async def test_create_refuses_a_taken_slug_and_a_bad_project_id(tenant):
    made = await tenant.application("web")
    again = await tenant.client.post("/api/v1/applications", json={"name": "W", "slug": "web", "project_id": made["project_id"]})
    assert again.status_code == 400 and again.json()["extra"][0]["key"] == "slug"
    bad = await tenant.client.post("/api/v1/applications", json={"name": "W", "slug": "w2", "project_id": "seven"})
    assert bad.status_code == 400 and bad.json()["extra"][0]["key"] == "project_id"
    missing = await tenant.client.post("/api/v1/applications", json={"name": "W", "slug": "w2", "project_id": str(uuid.uuid4())})
    assert missing.status_code == 404


async def test_scale_merges_bumps_the_generation_and_queues(tenant, pool):
    made = await tenant.application("web")
    await pool.execute("DELETE FROM work_queue")
    url = f"/api/v1/applications/{made['id']}/scale"
    first = await tenant.client.post(url, json={"process_counts": {"web": 2, "worker": 1}, "process_pod_classes": {"web": "medium"}})
    assert first.status_code == 201, first.text
    second = await tenant.client.post(url, json={"process_counts": {"worker": 0}})
    assert second.json()["process_counts"] == {"web": 2, "worker": 0}
    assert second.json()["process_pod_classes"] == {"web": "medium"}
    assert await pool.fetchval("SELECT generation FROM kube_applications WHERE id = $1", uuid.UUID(made["id"])) == 3
    assert await queued(pool, "kube-application", made["id"])
    await tenant.client.post(url, json={"process_counts": {"worker": 0}})  # nothing changes
    assert await pool.fetchval("SELECT generation FROM kube_applications WHERE id = $1", uuid.UUID(made["id"])) == 3


async def test_scale_refuses_bad_process_names_counts_and_pod_classes(tenant):
    made = await tenant.application("web")
    url = f"/api/v1/applications/{made['id']}/scale"
    for body, field in [
        ({"process_counts": {"Web!": 1}}, "process_counts"),
        ({"process_counts": {"web": -1}}, "process_counts"),
        ({"process_counts": {"web": "2"}}, "process_counts.web"),
        ({"process_pod_classes": {"web": "huge"}}, "process_pod_classes"),
    ]:
        answer = await tenant.client.post(url, json=body)
        assert answer.status_code == 400, body
        assert answer.json()["extra"][0]["key"] == field, answer.json()
    assert "huge" in answer.json()["extra"][0]["message"]
    assert (await tenant.client.post("/api/v1/applications/not-a-uuid/scale", json={})).status_code == 404


async def test_settings_change_what_is_given_and_clear_with_an_empty_string(tenant, pool):
    made = await tenant.application("web")
    url = f"/api/v1/applications/{made['id']}/settings"
    answer = await tenant.client.patch(url, json={
        "github_repository": "acme/shop", "auto_deploy_branch": "main", "deployment_timeout": 300,
        "health_check_path": "/up", "github_app_installation_id": 42, "github_repository_is_private": True,
    })
    assert answer.status_code == 200, answer.text
    detail = answer.json()
    assert (detail["github_repository"], detail["auto_deploy_branch"], detail["deployment_timeout"]) == ("acme/shop", "main", 300)
    assert detail["github_repository_is_private"] is True and detail["github_app_installation_id"] == 42
    cleared = (await tenant.client.patch(url, json={"auto_deploy_branch": "", "deployment_timeout": None})).json()
    assert cleared["auto_deploy_branch"] is None and cleared["deployment_timeout"] == 300
    assert cleared["github_repository"] == "acme/shop"
    assert await pool.fetchval("SELECT generation FROM kube_applications WHERE id = $1", uuid.UUID(made["id"])) == 3
    for body, field in [
        ({"github_repository": "not a repo"}, "github_repository"),
        ({"deployment_timeout": 0}, "deployment_timeout"),
        ({"health_check_path": "up"}, "health_check_path"),
        ({"subdirectory": "../etc"}, "subdirectory"),
    ]:
        bad = await tenant.client.patch(url, json=body)
        assert bad.status_code == 400 and bad.json()["extra"][0]["key"] == field, body


async def test_latest_image_release_and_deployment_come_from_their_tables(tenant, pool):
    made = await tenant.application("web")
    application = uuid.UUID(made["id"])
    image = await pool.fetchval(
        "WITH n AS (UPDATE kube_applications SET image_counter = image_counter + 1 WHERE id = $1 RETURNING id, image_counter) "
        "INSERT INTO images (application_id, version, repository_name, built) SELECT id, image_counter, 'acme/shop', true FROM n "
        "RETURNING id", application,
    )
    release = await pool.fetchval(
        "INSERT INTO releases (application_id, version, image_id, built) VALUES ($1, 1, $2, true) RETURNING id", application, image
    )
    await pool.execute("INSERT INTO kube_deployments (application_id, release_id, complete) VALUES ($1, $2, true)", application, release)
    detail = (await tenant.client.get("/api/v1/applications/acme/shop/web")).json()
    assert detail["latest_image"]["version"] == 1 and detail["latest_image"]["built"] is True
    assert detail["latest_release"]["id"] == str(release)
    assert detail["latest_deployment"]["complete"] is True
    summary = (await tenant.client.get("/api/v1/applications/acme/shop")).json()[0]
    assert (summary["latest_image_version"], summary["latest_release_version"], summary["latest_deployment_complete"]) == (1, 1, True)


async def test_concurrent_scales_of_different_processes_all_land(tenant, pool):
    """The write locks the row it read: merges of concurrent scales lose nothing."""
    made = await tenant.application("web")
    url = f"/api/v1/applications/{made['id']}/scale"
    names = [f"p{i}" for i in range(10)]
    answers = await asyncio.gather(*(tenant.client.post(url, json={"process_counts": {n: 1}}) for n in names))
    assert {a.status_code for a in answers} == {201}
    final = (await tenant.client.get("/api/v1/applications/acme/shop/web")).json()
    assert final["process_counts"] == dict.fromkeys(names, 1)
    assert await pool.fetchval("SELECT generation FROM kube_applications WHERE id = $1", uuid.UUID(made["id"])) == 11
