"""/api/v1/images on PostgreSQL: builds write a pending image and queue `kube-build`."""

import asyncio
from uuid import UUID

from tests.api.v1.pipeline_helpers import application_with_repository, finish_build, queued


async def test_a_build_writes_a_pending_numbered_image_and_queues_its_build(tenant, pool):
    app = await application_with_repository(tenant, pool)
    answer = await tenant.client.post(f"/api/v1/images/{app['id']}/build")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["ok"] is True and body["version"] == 1
    row = await pool.fetchrow("SELECT * FROM images WHERE id = $1", UUID(body["image_id"]))
    assert (row["version"], row["built"], row["error"]) == (1, False, False)
    assert (row["repository_name"], row["build_ref"], row["commit_sha"]) == ("acme/shop", "main", None)
    assert await queued(pool, "kube-build", body["image_id"])
    again = await tenant.client.post(f"/api/v1/images/{app['id']}/build")
    assert again.json()["version"] == 2


async def test_concurrent_builds_are_numbered_without_gaps_or_repeats(tenant, pool):
    app = await application_with_repository(tenant, pool)
    answers = await asyncio.gather(*(tenant.client.post(f"/api/v1/images/{app['id']}/build") for _ in range(8)))
    assert sorted(a.json()["version"] for a in answers) == list(range(1, 9))
    assert await pool.fetchval("SELECT image_counter FROM kube_applications WHERE id = $1", UUID(app["id"])) == 8


async def test_nothing_to_build_without_a_repository(tenant, pool):
    app = await tenant.application()
    answer = await tenant.client.post(f"/api/v1/images/{app['id']}/build")
    assert answer.status_code == 400
    assert answer.json()["status_code"] == 400 and "github_repository" in answer.text
    assert await pool.fetchval("SELECT count(*) FROM images") == 0
    assert await pool.fetchval("SELECT count(*) FROM work_queue WHERE kind = 'kube-build'") == 0


async def test_the_list_pages_newest_first(tenant, pool):
    app = await application_with_repository(tenant, pool)
    for _ in range(3):
        await tenant.client.post(f"/api/v1/images/{app['id']}/build")
    first = (await tenant.client.get(f"/api/v1/images/{app['id']}", params={"per_page": 2})).json()
    assert [i["version"] for i in first["items"]] == [3, 2]
    assert first["pagination"] == {"page": 1, "per_page": 2, "total": 3, "total_pages": 2}
    second = (await tenant.client.get(f"/api/v1/images/{app['id']}", params={"per_page": 2, "page": 2})).json()
    assert [i["version"] for i in second["items"]] == [1]
    assert set(second["items"][0]) == {
        "id", "version", "application_id", "repository_name", "built", "error", "created", "updated",
    }


async def test_bad_pages_and_ids_are_400_naming_them(tenant, pool):
    app = await application_with_repository(tenant, pool)
    bad_page = await tenant.client.get(f"/api/v1/images/{app['id']}", params={"page": 0})
    assert bad_page.status_code == 400 and bad_page.json()["extra"][0]["key"] == "page"
    too_many = await tenant.client.get(f"/api/v1/images/{app['id']}", params={"per_page": 1000})
    assert too_many.status_code == 400 and too_many.json()["extra"][0]["key"] == "per_page"
    not_uuid = await tenant.client.get("/api/v1/images/not-a-uuid/detail")
    assert not_uuid.status_code == 400 and not_uuid.json()["extra"][0]["key"] == "image_id"


async def test_detail_and_log_follow_the_build(tenant, pool):
    app = await application_with_repository(tenant, pool)
    image_id = (await tenant.client.post(f"/api/v1/images/{app['id']}/build")).json()["image_id"]
    log = (await tenant.client.get(f"/api/v1/images/{image_id}/log")).json()
    assert (log["status"], log["version"], log["log_text"], log["error"]) == ("pending", 1, "", False)
    await pool.execute("UPDATE images SET started_at = now(), job_id = 'build-1' WHERE id = $1", UUID(image_id))
    assert (await tenant.client.get(f"/api/v1/images/{image_id}/log")).json()["status"] == "running"
    await finish_build(pool, image_id, log="Successfully built\n")
    detail = (await tenant.client.get(f"/api/v1/images/{image_id}/detail")).json()
    assert detail["built"] is True and detail["image_id"] == "registry.local/acme/web:1"
    assert detail["processes"] == {"web": "gunicorn app"} and detail["build_ref"] == "main"
    log = (await tenant.client.get(f"/api/v1/images/{image_id}/log")).json()
    assert (log["status"], log["log_text"]) == ("succeeded", "Successfully built\n")
    assert log["build_step"]["job_id"] == "build-1" and log["build_step"]["finished_at"]


async def test_a_failed_build_shows_why(tenant, pool):
    app = await application_with_repository(tenant, pool)
    image_id = (await tenant.client.post(f"/api/v1/images/{app['id']}/build")).json()["image_id"]
    await finish_build(pool, image_id, ok=False)
    log = (await tenant.client.get(f"/api/v1/images/{image_id}/log")).json()
    assert (log["status"], log["error"], log["error_detail"]) == ("failed", True, "exit 1")


async def test_another_organisations_images_are_not_found(tenant, other_tenant, pool):
    app = await application_with_repository(tenant, pool)
    image_id = (await tenant.client.post(f"/api/v1/images/{app['id']}/build")).json()["image_id"]
    for answer in (
        await other_tenant.client.get(f"/api/v1/images/{app['id']}"),
        await other_tenant.client.post(f"/api/v1/images/{app['id']}/build"),
        await other_tenant.client.get(f"/api/v1/images/{image_id}/detail"),
        await other_tenant.client.get(f"/api/v1/images/{image_id}/log"),
    ):
        assert answer.status_code == 404, answer.text
        assert answer.json()["status_code"] == 404
    assert await pool.fetchval("SELECT count(*) FROM images") == 1


async def test_an_api_key_is_required(tenant, pool):
    app = await application_with_repository(tenant, pool)
    answer = await tenant.client.post(f"/api/v1/images/{app['id']}/build", headers={"X-API-Key": "nope"})
    assert answer.status_code == 401
    assert await pool.fetchval("SELECT count(*) FROM images") == 0
