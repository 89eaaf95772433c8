"""The kube reconcilers run by the real Worker, reaching the fake API server through a
kubeconfig file alone (as a real cluster would be reached), with secrets opened from
BERTH_SECRETS_KEY: a full deploy goes build → release → deploy."""

import asyncio

from kubernetes_asyncio import client

from reconcilers.kube import KubeConfig, kube_api_client, kube_reconcilers
from controller.runtime.worker import Worker
from tests.controller.support import fast_settings, running
from tests.reconcilers.kube import rows
from tests.reconcilers.kube.test_build_pipeline_metrics import full_deploy

NS = "acme-shop"


async def eventually(check, seconds=20.0):
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.1)
    return False


async def test_a_full_deploy_through_the_worker(pool, database_url, kube, kubeconfig_path, monkeypatch):
    monkeypatch.setenv("BERTH_SECRETS_KEY", rows.SECRETS_KEY)
    kube.cluster.set_job_default("complete")
    config = KubeConfig.from_env(
        {"BERTH_KUBECONFIG": str(kubeconfig_path), "BERTH_IMAGE_REGISTRY": "registry.test",
         "BERTH_KUBE_ROLLOUT_POLL_SECONDS": "0.2", "BERTH_KUBE_BUILD_POLL_SECONDS": "0.2"}
    )
    assert config.enabled
    app_id = await rows.application(pool, process_counts={"web": 1})
    await rows.configure(pool, app_id, "SECRET_KEY", "s3cret", secret=True)
    image_id, pipeline_id = await full_deploy(pool, app_id)
    await pool.execute("SELECT berth_enqueue('kube-build', $1), berth_enqueue('kube-pipeline', $2)",
                       str(image_id), str(pipeline_id))

    async def tick():
        while True:
            kube.cluster.tick()
            await asyncio.sleep(0.1)

    ticker = asyncio.create_task(tick())
    try:
        async with kube_api_client(config) as api_client:
            async with running(Worker(pool, database_url, kube_reconcilers(api_client, config), fast_settings())):
                async def finished():
                    return await pool.fetchval("SELECT deploy_status FROM pipelines WHERE id = $1", pipeline_id) == "succeeded"

                assert await eventually(finished), await pool.fetchrow("SELECT * FROM pipelines")
    finally:
        ticker.cancel()
    async with kube_api_client(config) as api_client:
        secret = await client.CoreV1Api(api_client).read_namespaced_secret("store-config", NS)
    assert secret.data["SECRET_KEY"] == "czNjcmV0", "the sealed value opened into the Secret"
