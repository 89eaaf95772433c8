"""/api/v1/releases on PostgreSQL: immutable numbered snapshots, and deploys that queue
`kube-application`."""

import asyncio
from uuid import UUID

import asyncpg
import pytest

from tests.api.v1.pipeline_helpers import application_with_repository, finish_build, queued


async def built_image(tenant, pool, app: dict, *, ok: bool = True) -> str:
    image_id = (await tenant.client.post(f"/api/v1/images/{app['id']}/build")).json()["image_id"]
    await finish_build(pool, image_id, ok=ok)
    return image_id


async def configure(tenant, app: dict, name: str, value: str, secret: bool = False) -> None:
    answer = await tenant.client.post(
        f"/api/v1/configurations/{app['id']}", json={"name": name, "value": value, "secret": secret}
    )
    assert answer.status_code == 201, answer.text


async def test_no_release_without_a_built_image(tenant, pool):
    app = await application_with_repository(tenant, pool)
    await built_image(tenant, pool, app, ok=False)
    answer = await tenant.client.post(f"/api/v1/releases/{app['id']}/create")
    assert answer.status_code == 400 and "built image" in answer.json()["detail"]
    assert await pool.fetchval("SELECT count(*) FROM releases") == 0


async def test_a_release_snapshots_the_newest_built_image_and_the_configuration(tenant, pool):
    app = await application_with_repository(tenant, pool)
    image_id = await built_image(tenant, pool, app)
    await built_image(tenant, pool, app, ok=False)  # newer, but failed: not released
    await configure(tenant, app, "PLAIN", "visible")
    await configure(tenant, app, "TOKEN", "s3cret", secret=True)
    answer = await tenant.client.post(f"/api/v1/releases/{app['id']}/create")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["ok"] is True and body["version"] == 1
    row = await pool.fetchrow("SELECT * FROM releases WHERE id = $1", UUID(body["release_id"]))
    assert str(row["image_id"]) == image_id and row["built"] is True
    assert row["process_counts"] == {"web": 2} and row["process_pod_classes"] == {"web": "small"}
    assert row["processes"] == {"web": "gunicorn app"} and row["health_check_path"] == "/_health/"
    secret = row["configuration"]["TOKEN"]
    assert secret["secret"] is True and secret["value"] == "" and secret["sealed_value"]
    assert "s3cret" not in str(dict(row))
    assert row["configuration"]["PLAIN"]["value"] == "visible"
    assert row["configuration_changes"] == {"added": ["PLAIN", "TOKEN"], "removed": [], "changed": []}

    detail = (await tenant.client.get(f"/api/v1/releases/{body['release_id']}/detail")).json()
    assert detail["configuration"]["TOKEN"] == {"value": None, "secret": True, "buildtime": False}
    assert detail["configuration"]["PLAIN"]["value"] == "visible"
    assert detail["image"]["id"] == image_id and detail["image"]["version"] == 1
    assert detail["platform"] == "wind" and detail["built"] is True
    assert "sealed_value" not in answer.text + str(detail)


async def test_releases_are_numbered_record_changes_and_never_change(tenant, pool):
    app = await application_with_repository(tenant, pool)
    await built_image(tenant, pool, app)
    await configure(tenant, app, "A", "1")
    first = (await tenant.client.post(f"/api/v1/releases/{app['id']}/create")).json()
    second_image = await built_image(tenant, pool, app)
    await configure(tenant, app, "B", "2")
    second = (await tenant.client.post(f"/api/v1/releases/{app['id']}/create")).json()
    assert (first["version"], second["version"]) == (1, 2)
    detail = (await tenant.client.get(f"/api/v1/releases/{second['release_id']}/detail")).json()
    assert detail["configuration_changes"] == {"added": ["B"], "removed": [], "changed": []}
    assert detail["image_changes"]["to"]["id"] == second_image and detail["image_changes"]["from"]["version"] == 1
    old = await pool.fetchval("SELECT configuration FROM releases WHERE id = $1", UUID(first["release_id"]))
    assert set(old) == {"A"}
    with pytest.raises(asyncpg.CheckViolationError):
        await pool.execute("UPDATE releases SET configuration = '{}' WHERE id = $1", UUID(first["release_id"]))
    listed = (await tenant.client.get(f"/api/v1/releases/{app['id']}")).json()
    assert [r["version"] for r in listed["items"]] == [2, 1] and listed["pagination"]["total"] == 2


async def test_deploying_a_release_writes_a_pending_deployment_and_queues_the_application(tenant, pool):
    app = await application_with_repository(tenant, pool)
    await built_image(tenant, pool, app)
    release_id = (await tenant.client.post(f"/api/v1/releases/{app['id']}/create")).json()["release_id"]
    await pool.execute("DELETE FROM work_queue")
    generation = await pool.fetchval("SELECT generation FROM kube_applications WHERE id = $1", UUID(app["id"]))
    answer = await tenant.client.post(f"/api/v1/releases/{release_id}/deploy")
    assert answer.status_code == 201, answer.text
    deployment_id = answer.json()["deployment_id"]
    row = await pool.fetchrow("SELECT * FROM kube_deployments WHERE id = $1", UUID(deployment_id))
    assert str(row["release_id"]) == release_id and (row["complete"], row["error"], row["started_at"]) == (False, False, None)
    assert await queued(pool, "kube-application", app["id"])
    assert await pool.fetchval("SELECT generation FROM kube_applications WHERE id = $1", UUID(app["id"])) == generation + 1
    again = (await tenant.client.post(f"/api/v1/releases/{release_id}/deploy")).json()["deployment_id"]
    newest = await pool.fetchval(
        "SELECT id FROM kube_deployments WHERE application_id = $1 ORDER BY created_at DESC LIMIT 1", UUID(app["id"])
    )
    assert str(newest) == again  # the newest deployment is the application's target


async def test_a_failed_release_is_not_deployed(tenant, pool):
    app = await application_with_repository(tenant, pool)
    await built_image(tenant, pool, app)
    release_id = (await tenant.client.post(f"/api/v1/releases/{app['id']}/create")).json()["release_id"]
    await pool.execute("UPDATE releases SET built = false, error = true, error_detail = 'x' WHERE id = $1", UUID(release_id))
    answer = await tenant.client.post(f"/api/v1/releases/{release_id}/deploy")
    assert answer.status_code == 400 and answer.json()["extra"][0]["key"] == "release_id"
    assert await pool.fetchval("SELECT count(*) FROM kube_deployments") == 0


async def test_the_release_log(tenant, pool):
    app = await application_with_repository(tenant, pool)
    await built_image(tenant, pool, app)
    release_id = (await tenant.client.post(f"/api/v1/releases/{app['id']}/create")).json()["release_id"]
    log = (await tenant.client.get(f"/api/v1/releases/{release_id}/log")).json()
    assert (log["status"], log["version"], log["error"]) == ("succeeded", 1, False)
    assert log["log_text"].startswith("Release v1: image v1")


async def test_another_organisations_releases_are_not_found(tenant, other_tenant, pool):
    app = await application_with_repository(tenant, pool)
    await built_image(tenant, pool, app)
    release_id = (await tenant.client.post(f"/api/v1/releases/{app['id']}/create")).json()["release_id"]
    for answer in (
        await other_tenant.client.get(f"/api/v1/releases/{app['id']}"),
        await other_tenant.client.post(f"/api/v1/releases/{app['id']}/create"),
        await other_tenant.client.get(f"/api/v1/releases/{release_id}/detail"),
        await other_tenant.client.get(f"/api/v1/releases/{release_id}/log"),
        await other_tenant.client.post(f"/api/v1/releases/{release_id}/deploy"),
    ):
        assert answer.status_code == 404, answer.text
    assert await pool.fetchval("SELECT count(*) FROM releases") == 1
    assert await pool.fetchval("SELECT count(*) FROM kube_deployments") == 0


async def test_concurrent_releases_are_numbered_without_gaps_or_repeats(tenant, pool):
    app = await application_with_repository(tenant, pool)
    await built_image(tenant, pool, app)
    answers = await asyncio.gather(*(tenant.client.post(f"/api/v1/releases/{app['id']}/create") for _ in range(6)))
    assert sorted(a.json()["version"] for a in answers) == list(range(1, 7))
    assert await pool.fetchval("SELECT release_counter FROM kube_applications WHERE id = $1", UUID(app["id"])) == 6
