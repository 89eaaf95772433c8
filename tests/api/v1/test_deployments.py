"""/api/v1 deployments on PostgreSQL: the list (paginated, newest first), detail and log
following what the kube-application reconciler writes."""

from uuid import UUID

from tests.api.v1.pipeline_helpers import application_with_repository, finish_build


async def deployed(tenant, pool, app: dict, times: int = 1) -> list[str]:
    image_id = (await tenant.client.post(f"/api/v1/images/{app['id']}/build")).json()["image_id"]
    await finish_build(pool, image_id)
    release_id = (await tenant.client.post(f"/api/v1/releases/{app['id']}/create")).json()["release_id"]
    return [(await tenant.client.post(f"/api/v1/releases/{release_id}/deploy")).json()["deployment_id"] for _ in range(times)]


async def test_the_list_pages_newest_first(tenant, pool):
    app = await application_with_repository(tenant, pool)
    ids = await deployed(tenant, pool, app, times=3)
    first = (await tenant.client.get(f"/api/v1/applications/{app['id']}/deployments", params={"per_page": 2})).json()
    assert [d["id"] for d in first["items"]] == ids[::-1][:2]
    assert first["pagination"] == {"page": 1, "per_page": 2, "total": 3, "total_pages": 2}
    assert first["items"][0]["release"]["version"] == 1 and first["items"][0]["deploy_log"] is None
    bad = await tenant.client.get(f"/api/v1/applications/{app['id']}/deployments", params={"per_page": "x"})
    assert bad.status_code == 400 and bad.json()["extra"][0]["key"] == "per_page"


async def test_detail_and_log_follow_the_rollout(tenant, pool):
    app = await application_with_repository(tenant, pool)
    (deployment_id,) = await deployed(tenant, pool, app)
    log = (await tenant.client.get(f"/api/v1/deployments/{deployment_id}/log")).json()
    assert (log["status"], log["error"]) == ("pending", False)
    await pool.execute(
        "UPDATE kube_deployments SET started_at = now(), deploy_log = 'applying\n' WHERE id = $1", UUID(deployment_id)
    )
    assert (await tenant.client.get(f"/api/v1/deployments/{deployment_id}/log")).json()["status"] == "running"
    await pool.execute(
        "UPDATE kube_deployments SET error = true, error_detail = 'deployment_timeout (180s) passed', "
        "finished_at = now(), deploy_log = deploy_log || 'timed out\n' WHERE id = $1",
        UUID(deployment_id),
    )
    log = (await tenant.client.get(f"/api/v1/deployments/{deployment_id}/log")).json()
    assert (log["status"], log["error_detail"], log["log_text"]) == (
        "failed", "deployment_timeout (180s) passed", "applying\ntimed out\n",
    )
    detail = (await tenant.client.get(f"/api/v1/deployments/{deployment_id}/detail")).json()
    assert detail["error"] is True and detail["complete"] is False and detail["application_id"] == app["id"]
    assert detail["deploy_log"] == "applying\ntimed out\n" and detail["release"]["version"] == 1


async def test_another_organisations_deployments_are_not_found(tenant, other_tenant, pool):
    app = await application_with_repository(tenant, pool)
    (deployment_id,) = await deployed(tenant, pool, app)
    for answer in (
        await other_tenant.client.get(f"/api/v1/applications/{app['id']}/deployments"),
        await other_tenant.client.get(f"/api/v1/deployments/{deployment_id}/detail"),
        await other_tenant.client.get(f"/api/v1/deployments/{deployment_id}/log"),
    ):
        assert answer.status_code == 404, answer.text
    missing = await tenant.client.get("/api/v1/deployments/00000000-0000-0000-0000-000000000000/detail")
    assert missing.status_code == 404
