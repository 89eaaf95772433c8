"""Full deploys, pipeline status and metrics, observability — on PostgreSQL. The stage
machine's writes (kube-pipeline) are made here with the store functions it is meant
to call, so the rows it leaves are the ones these routes read."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

from controller.store import v1_pipeline as store
from tests.api.v1.pipeline_helpers import application_with_repository, finish_build, queued


async def test_a_full_deploy_writes_a_pipeline_and_its_pending_build(tenant, pool):
    app = await application_with_repository(tenant, pool)
    answer = await tenant.client.post(f"/api/v1/applications/{app['id']}/deploy")
    assert answer.status_code == 201, answer.text
    image_id = answer.json()["image_id"]
    pipeline = await pool.fetchrow("SELECT * FROM pipelines WHERE application_id = $1", UUID(app["id"]))
    assert str(pipeline["image_id"]) == image_id and pipeline["trigger"] == "api" and pipeline["branch"] == "main"
    assert (pipeline["build_status"], pipeline["release_status"], pipeline["deploy_status"]) == ("pending",) * 3
    assert (pipeline["release_id"], pipeline["deployment_id"]) == (None, None)
    image = await pool.fetchrow("SELECT * FROM images WHERE id = $1", UUID(image_id))
    assert (image["version"], image["built"], image["build_ref"]) == (1, False, "main")
    assert await queued(pool, "kube-build", image_id)
    assert await queued(pool, "kube-pipeline", pipeline["id"])


async def test_a_full_deploy_needs_a_repository_and_the_callers_application(tenant, other_tenant, pool):
    bare = await tenant.application("bare")
    assert (await tenant.client.post(f"/api/v1/applications/{bare['id']}/deploy")).status_code == 400
    app = await application_with_repository(tenant, pool, project="other")
    assert (await other_tenant.client.post(f"/api/v1/applications/{app['id']}/deploy")).status_code == 404
    assert (await tenant.client.post("/api/v1/applications/nope/deploy")).status_code == 400
    assert await pool.fetchval("SELECT count(*) FROM pipelines") == 0


async def stage(pool, pipeline_id, **columns) -> None:
    sets = ", ".join(f"{name} = ${i + 2}" for i, name in enumerate(columns))
    await pool.execute(f"UPDATE pipelines SET {sets}, updated_at = now() WHERE id = $1", pipeline_id, *columns.values())


async def test_pipeline_status_follows_the_stage_machine(tenant, pool):
    app = await application_with_repository(tenant, pool)
    path = f"/api/v1/applications/{app['id']}/pipeline-status"
    assert (await tenant.client.get(path)).json() == {"build": None, "release": None, "deploy": None}

    image_id = (await tenant.client.post(f"/api/v1/applications/{app['id']}/deploy")).json()["image_id"]
    pipeline_id = await pool.fetchval("SELECT id FROM pipelines")
    status = (await tenant.client.get(path)).json()
    assert (status["build"]["status"], status["build"]["version"]) == ("pending", 1)
    assert status["build"]["step"]["pipeline_id"] == str(pipeline_id)
    assert status["release"]["status"] == "pending" and status["deploy"]["status"] == "pending"

    # The build runs and succeeds; the stage machine makes the release and the deployment.
    await finish_build(pool, image_id)
    async with pool.acquire() as connection, connection.transaction():
        made = await store.snapshot_release(connection, UUID(app["id"]), UUID(image_id))
        deployment_id = await store.deploy_release(connection, made.id)
    now = datetime.now(UTC)
    await stage(
        pool, pipeline_id, build_status="succeeded", release_status="succeeded", deploy_status="running",
        release_id=made.id, deployment_id=deployment_id, release_started_at=now, release_finished_at=now,
        deploy_started_at=now,
    )
    await pool.execute("UPDATE kube_deployments SET started_at = now() WHERE id = $1", deployment_id)
    status = (await tenant.client.get(path)).json()
    assert (status["build"]["status"], status["release"]["status"], status["deploy"]["status"]) == (
        "succeeded", "succeeded", "running",
    )
    assert status["release"]["version"] == 1 and status["deploy"]["version"] == 1
    assert await queued(pool, "kube-application", app["id"])

    # A second full deploy whose build fails: release and deploy are skipped.
    second = (await tenant.client.post(f"/api/v1/applications/{app['id']}/deploy")).json()["image_id"]
    await finish_build(pool, second, ok=False)
    failed = await pool.fetchval("SELECT id FROM pipelines WHERE image_id = $1", UUID(second))
    await stage(pool, failed, build_status="failed", release_status="skipped", deploy_status="skipped",
                error_detail="build failed: exit 1", finished_at=datetime.now(UTC))
    status = (await tenant.client.get(path)).json()
    assert (status["build"]["status"], status["build"]["version"], status["build"]["error_detail"]) == (
        "failed", 2, "exit 1",
    )
    assert status["release"]["status"] == "skipped" and status["deploy"]["status"] == "skipped"


async def test_pipeline_metrics_count_and_time_each_stage(tenant, pool):
    app = await application_with_repository(tenant, pool)
    for ok, seconds in ((True, 10), (True, 30), (False, 50), (True, 20)):
        image_id = (await tenant.client.post(f"/api/v1/images/{app['id']}/build")).json()["image_id"]
        await finish_build(pool, image_id, ok=ok, seconds=seconds)
    await tenant.client.post(f"/api/v1/images/{app['id']}/build")  # still pending: not counted
    release_id = (await tenant.client.post(f"/api/v1/releases/{app['id']}/create")).json()["release_id"]
    deployment_id = (await tenant.client.post(f"/api/v1/releases/{release_id}/deploy")).json()["deployment_id"]
    await pool.execute(
        "UPDATE kube_deployments SET complete = true, started_at = now() - interval '40 seconds', finished_at = now() "
        "WHERE id = $1",
        UUID(deployment_id),
    )
    metrics = (await tenant.client.get(f"/api/v1/applications/{app['id']}/pipeline-metrics")).json()
    build = metrics["build"]
    assert (build["success"], build["error"], build["success_rate"]) == (3, 1, 0.75)
    assert build["duration"]["count"] == 4 and build["duration"]["p50"] == 25.0 and build["duration"]["avg"] == 27.5
    assert (metrics["release"]["success"], metrics["release"]["error"]) == (1, 0)
    deploy = metrics["deploy"]
    assert (deploy["success"], deploy["success_rate"]) == (1, 1.0) and round(deploy["duration"]["avg"]) == 40


async def test_pipeline_metrics_of_a_new_application_are_zero(tenant, pool):
    app = await application_with_repository(tenant, pool)
    metrics = (await tenant.client.get(f"/api/v1/applications/{app['id']}/pipeline-metrics")).json()
    assert metrics["build"] == {"success": 0, "error": 0, "success_rate": 0.0, "duration": None}


async def test_observability_serves_the_samples_by_range(tenant, pool):
    app = await application_with_repository(tenant, pool)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    samples = [
        # two processes in one pass add up; two passes in one minute average
        (now - timedelta(minutes=10), "web", 100.0, 1000, 2, 0),
        (now - timedelta(minutes=10), "worker", 50.0, 500, 1, 1),
        (now - timedelta(minutes=10, seconds=-30), "web", 200.0, 3000, 2, 0),
        (now - timedelta(minutes=10, seconds=-30), "worker", 50.0, 500, 1, 2),
        (now - timedelta(hours=3), "web", 10.0, 10, 1, 0),  # outside 1h, inside 6h
    ]
    await pool.executemany(
        "INSERT INTO kube_metric_samples (application_id, sampled_at, process, cpu_usage_m, memory_usage_bytes, "
        "pod_count, restart_count) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [(UUID(app["id"]), *sample) for sample in samples],
    )
    hour = (await tenant.client.get(f"/api/v1/applications/{app['id']}/observability", params={"range": "1h"})).json()
    assert hour["range"] == "1h" and len(hour["history"]) == 1
    point = hour["history"][0]
    assert (point["cpu_usage_m"], point["memory_usage_bytes"], point["pod_count"], point["restart_count"]) == (
        200.0, 2500, 3, 2,
    )
    assert datetime.fromisoformat(point["timestamp"]) == now - timedelta(minutes=10)
    six = (await tenant.client.get(f"/api/v1/applications/{app['id']}/observability", params={"range": "6h"})).json()
    assert len(six["history"]) == 2 and six["history"][0]["cpu_usage_m"] == 10.0
    default = (await tenant.client.get(f"/api/v1/applications/{app['id']}/observability")).json()
    assert default["range"] == "1h"
    bad = await tenant.client.get(f"/api/v1/applications/{app['id']}/observability", params={"range": "2h"})
    assert bad.status_code == 400 and bad.json()["extra"][0]["key"] == "range"


async def test_status_metrics_and_observability_of_another_organisation_are_not_found(tenant, other_tenant, pool):
    app = await application_with_repository(tenant, pool)
    for suffix in ("pipeline-status", "pipeline-metrics", "observability"):
        answer = await other_tenant.client.get(f"/api/v1/applications/{app['id']}/{suffix}")
        assert answer.status_code == 404, (suffix, answer.text)
