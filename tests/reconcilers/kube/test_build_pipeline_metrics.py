"""kube-build, kube-pipeline and kube-metrics against the fake API server and PostgreSQL:
a push's full deploy (build → release → deploy), a failing build, metrics sampled."""

from uuid import UUID

import pytest
from kubernetes_asyncio import client

from reconcilers.kube.application import KubeApplicationReconciler
from reconcilers.kube.build import KubeBuildReconciler
from reconcilers.kube.metrics import KubeMetricsReconciler, quantity
from reconcilers.kube.pipeline import KubePipelineReconciler
from reconcilers.results import Done, Forget, RequeueAfter
from tests.reconcilers.kube import rows
from tests.reconcilers.kube.conftest import Passes

NS = "acme-shop"


@pytest.fixture
def builds(pool, api, kube_config, clock):
    return Passes(pool, KubeBuildReconciler(api, kube_config, clock))


@pytest.fixture
def pipelines(pool):
    return Passes(pool, KubePipelineReconciler())


@pytest.fixture
def applications(pool, api, kube_config, clock):
    return Passes(pool, KubeApplicationReconciler(api, kube_config, clock))


async def full_deploy(pool, app_id) -> tuple[UUID, UUID]:
    """As POST …/deploy writes it: the pending image and the pipeline following it."""
    image_id = await rows.image(pool, app_id, built=False)
    pipeline_id = await pool.fetchval(
        """INSERT INTO pipelines (application_id, trigger, branch, commit_sha, image_id)
           VALUES ($1, 'github', 'main', 'abc123', $2) RETURNING id""",
        app_id,
        image_id,
    )
    return image_id, pipeline_id


async def test_a_push_builds_releases_and_deploys(pool, kube, kube_api, builds, pipelines, applications):
    app_id = await rows.application(pool, process_counts={"web": 1})
    await rows.configure(pool, app_id, "NPM_TOKEN", "t0ken", secret=True, buildtime=True)
    image_id, pipeline_id = await full_deploy(pool, app_id)
    assert isinstance(await pipelines.run(pipeline_id), RequeueAfter)
    assert (await pool.fetchval("SELECT build_status FROM pipelines")) == "running"

    assert isinstance(await builds.run(image_id), RequeueAfter)
    # The Job builds the pushed commit; the buildtime secret is passed by name, its value
    # only in the Job's Secret.
    made = await client.BatchV1Api(kube_api).read_namespaced_job("store-build-1", NS)
    args = made.spec.template.spec.containers[0].args
    assert any(a.startswith("--context=git://github.com/acme/store.git#refs/heads/main#abc123") for a in args)
    assert "--build-arg=NPM_TOKEN" in args and "t0ken" not in str(made.to_dict())
    kube.cluster.tick(1)
    kube.cluster.finish_job(NS, "store-build-1", "complete", "Step 1/3 : FROM python\nPushed")
    kube.cluster.tick(2)
    assert isinstance(await builds.run(image_id), Done)
    image = await pool.fetchrow("SELECT built, image_id, build_log, job_id FROM images WHERE id = $1", image_id)
    assert image["built"] and image["image_id"].startswith("registry.test/acme/shop/store")
    assert "Pushed" in image["build_log"] and image["job_id"] == "store-build-1"

    await pipelines.run(pipeline_id)
    row = await pool.fetchrow("SELECT * FROM pipelines WHERE id = $1", pipeline_id)
    assert (row["build_status"], row["release_status"], row["deploy_status"]) == ("succeeded", "succeeded", "running")
    for _ in range(6):
        if isinstance(await applications.run(app_id), Done):
            break
        kube.cluster.tick(2)
    assert isinstance(await pipelines.run(pipeline_id), Forget)
    row = await pool.fetchrow("SELECT deploy_status, finished_at FROM pipelines WHERE id = $1", pipeline_id)
    assert row["deploy_status"] == "succeeded" and row["finished_at"] is not None


async def test_a_failing_build_fails_the_pipeline(pool, kube, builds, pipelines):
    app_id = await rows.application(pool)
    image_id, pipeline_id = await full_deploy(pool, app_id)
    await builds.run(image_id)
    kube.cluster.tick(1)
    kube.cluster.finish_job(NS, "store-build-1", "fail", "error: no Dockerfile found")
    kube.cluster.tick(2)
    await builds.run(image_id)
    image = await pool.fetchrow("SELECT error, error_detail, build_log FROM images WHERE id = $1", image_id)
    assert image["error"] and "BackoffLimitExceeded" in image["error_detail"]
    assert "no Dockerfile" in image["error_detail"] and "no Dockerfile" in image["build_log"]
    assert isinstance(await pipelines.run(pipeline_id), Forget)
    row = await pool.fetchrow("SELECT * FROM pipelines WHERE id = $1", pipeline_id)
    assert (row["build_status"], row["release_status"], row["deploy_status"]) == ("failed", "skipped", "skipped")
    assert "no Dockerfile" in row["error_detail"]


async def test_no_repository_fails_the_build_at_once(pool, kube, builds):
    app_id = await rows.application(pool, repository=None)
    image_id = await rows.image(pool, app_id, built=False)
    assert isinstance(await builds.run(image_id), Done)
    assert "github_repository" in await pool.fetchval("SELECT error_detail FROM images WHERE id = $1", image_id)


async def test_metrics_are_sampled(pool, kube, applications, kube_config, api, clock):
    app_id = await rows.application(pool)
    await rows.deploy(pool, app_id)
    for _ in range(6):
        if isinstance(await applications.run(app_id), Done):
            break
        kube.cluster.tick(2)
    assert await pool.fetchval("SELECT count(*) FROM work_queue WHERE kind = 'kube-metrics' AND key = $1", str(app_id))
    kube.cluster.set_deployment_usage(NS, "store-web", 120, 256 * 1024 * 1024)
    pod = kube.cluster.pods_of(NS, "deployment", "store-worker")[0]["metadata"]["name"]
    kube.cluster.restart(NS, pod, 2)
    metrics = Passes(pool, KubeMetricsReconciler(api, kube_config, clock))
    result = await metrics.run(app_id)
    assert isinstance(result, RequeueAfter) and result.seconds == kube_config.metrics_period_seconds
    found = {r["process"]: r for r in await pool.fetch("SELECT * FROM kube_metric_samples")}
    assert found["web"]["pod_count"] == 2 and found["web"]["cpu_usage_m"] == pytest.approx(240, rel=0.01)
    assert found["web"]["memory_usage_bytes"] == 2 * 256 * 1024 * 1024
    assert found["worker"]["restart_count"] == 2


@pytest.mark.parametrize(
    ("value", "want"),
    [("250m", 0.25), ("1", 1.0), ("64Mi", 64 * 2**20), ("123456789n", 0.123456789), ("2Gi", 2 * 2**30), ("bad", 0.0)],
)
def test_quantities(value, want):
    assert quantity(value) == pytest.approx(want)
