"""The kube reconcilers' store on PostgreSQL: v1 rows read, secrets opened, fenced writes."""

from datetime import UTC, datetime

from reconcilers.kube.ports import MetricSample
from tests.reconcilers.kube import rows


async def test_application_and_rollout_targets_with_opened_secrets(pool):
    app_id = await rows.application(pool)
    sealed = {"value": "", "secret": True, "buildtime": False, "sealed_value": rows.SEALER.seal("hunter2")}
    config = {"DEBUG": {"value": "1", "secret": False, "buildtime": False, "sealed_value": None}, "KEY": sealed}
    first = await rows.deploy(pool, app_id, config)
    store = await rows.leased_store(pool, "kube-application", app_id)
    app = await store.kube_application(app_id)
    assert (app.organisation, app.project, app.slug) == ("acme", "shop", "store")
    assert app.process_counts == {"web": 2, "worker": 1}
    targets = await store.rollout_targets(app_id)
    assert targets.target.id == first and targets.serving is None
    assert targets.target.release.configuration == {"DEBUG": "1", "KEY": "hunter2"}
    assert "hunter2" not in repr(targets)
    assert targets.target.release.processes == {"web": "serve", "worker": "work"}

    await store.start_rollout(first, "started\n")
    await store.finish_rollout(first, error_detail=None, log="done\n")
    second = await rows.deploy(pool, app_id)
    targets = await store.rollout_targets(app_id)
    assert targets.target.id == second and targets.serving.id == first
    await store.finish_rollout(second, error_detail="timed out", log="failed\n")
    row = await pool.fetchrow("SELECT error, error_detail, deploy_log FROM kube_deployments WHERE id = $1", second)
    assert row["error"] and row["error_detail"] == "timed out"
    first_row = await pool.fetchrow("SELECT complete, deploy_log, started_at FROM kube_deployments WHERE id = $1", first)
    assert first_row["complete"] and first_row["deploy_log"] == "started\ndone\n" and first_row["started_at"]


async def test_events_and_metric_samples(pool):
    app_id = await rows.application(pool)
    store = await rows.leased_store(pool, "kube-metrics", app_id)
    await store.record_kube_event(app_id, reason="ObjectCreated", message="created Deployment acme-shop/store-web")
    event = await pool.fetchrow("SELECT organisation_id, application_id, kind, key FROM events")
    assert event["application_id"] == app_id and event["organisation_id"] is not None
    now = datetime(2026, 1, 1, tzinfo=UTC)
    samples = [MetricSample("web", now, 12.5, 1024, 2, 1), MetricSample("worker", now, 3.0, 2048, 1, 0)]
    await store.record_metric_samples(app_id, samples)
    await store.record_metric_samples(app_id, samples)  # a replay writes nothing twice
    assert await pool.fetchval("SELECT count(*) FROM kube_metric_samples") == 2


async def test_pipeline_stages_build_release_deploy(pool):
    app_id = await rows.application(pool)
    await rows.configure(pool, app_id, "TOKEN", "t0ps3cret", secret=True, buildtime=True)
    pipeline_id = await pool.fetchval(
        "INSERT INTO pipelines (application_id, trigger, commit_sha, branch) VALUES ($1, 'api', 'abc', 'main') RETURNING id",
        app_id,
    )
    store = await rows.leased_store(pool, "kube-pipeline", pipeline_id)
    pipeline = await store.kube_pipeline(pipeline_id)
    image_id = await store.start_pipeline_build(pipeline)
    assert await pool.fetchval("SELECT count(*) FROM work_queue WHERE kind = 'kube-build' AND key = $1", str(image_id))
    builder = await rows.leased_store(pool, "kube-build", image_id)
    build = await builder.kube_build(image_id)
    assert build.version == 1 and build.commit_sha == "abc" and build.build_arguments == {"TOKEN": "t0ps3cret"}
    await builder.finish_build(image_id, image_reference="registry.test/x:1", error_detail=None, log="ok", processes={"web": "serve"})
    pipeline = await store.kube_pipeline(pipeline_id)
    assert (await store.stage_progress(pipeline)).image == "built"
    deployment_id = await store.create_pipeline_release(pipeline)
    pipeline = await store.kube_pipeline(pipeline_id)
    assert pipeline.deployment_id == deployment_id and pipeline.release_status == "succeeded"
    assert pipeline.deploy_status == "running"
    release = await pool.fetchrow("SELECT version, configuration, processes FROM releases WHERE id = $1", pipeline.release_id)
    assert release["configuration"]["TOKEN"]["secret"] and "t0ps3cret" not in str(release["configuration"])
    await store.set_pipeline_stage(pipeline, "deploy", "succeeded")
    row = await pool.fetchrow("SELECT deploy_status, finished_at FROM pipelines WHERE id = $1", pipeline_id)
    assert row["deploy_status"] == "succeeded" and row["finished_at"] is not None


async def test_a_failed_build_skips_the_later_stages(pool):
    app_id = await rows.application(pool)
    pipeline_id = await pool.fetchval(
        "INSERT INTO pipelines (application_id, trigger) VALUES ($1, 'github') RETURNING id", app_id
    )
    store = await rows.leased_store(pool, "kube-pipeline", pipeline_id)
    pipeline = await store.kube_pipeline(pipeline_id)
    await store.set_pipeline_stage(pipeline, "build", "failed", error_detail="no Dockerfile")
    row = await pool.fetchrow("SELECT * FROM pipelines WHERE id = $1", pipeline_id)
    assert (row["build_status"], row["release_status"], row["deploy_status"]) == ("failed", "skipped", "skipped")
    assert row["error_detail"] == "no Dockerfile" and row["finished_at"] is not None


async def test_forget_a_deleted_application(pool):
    app_id = await rows.application(pool)
    await rows.deploy(pool, app_id)
    store = await rows.leased_store(pool, "kube-application", app_id)
    await store.forget_kube_application(app_id)
    assert await pool.fetchval("SELECT count(*) FROM kube_applications") == 1, "not deleted: kept"
    await pool.execute("UPDATE kube_applications SET deleted_at = now()")
    await store.forget_kube_application(app_id)
    assert await pool.fetchval("SELECT count(*) FROM kube_applications") == 0
    assert await pool.fetchval("SELECT count(*) FROM images") == 0
