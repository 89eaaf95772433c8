"""kube-application against the fake API server over HTTP: converge, the Terraform
protocol (observe again → nothing to apply; drift put back), a deployment that times out
(the previous release keeps serving), a scale-only change, refusal of what is not
berth's, teardown."""

import pytest
from kubernetes_asyncio import client

from reconcilers.kube.application import KubeApplicationReconciler
from reconcilers.kube.naming import APPLICATION_ID_KEY, MANAGED_BY_KEY, RELEASE_KEY
from reconcilers.results import Done, Forget, RequeueAfter
from tests.reconcilers.kube import rows
from tests.reconcilers.kube.conftest import Passes

NS = "acme-shop"


@pytest.fixture
def passes(pool, api, kube_config, clock):
    return Passes(pool, KubeApplicationReconciler(api, kube_config, clock))


async def converge(passes, kube, key, rounds=6):
    result = None
    for _ in range(rounds):
        result = await passes.run(key)
        if isinstance(result, Done):
            return result
        kube.cluster.tick(2)
    return result


async def deployments(kube_api):
    found = await client.AppsV1Api(kube_api).list_namespaced_deployment(NS)
    return {d.metadata.name: d for d in found.items}


async def test_converges_then_nothing_to_apply(pool, kube, kube_api, passes):
    app_id = await rows.application(pool)
    secret = {"value": "", "secret": True, "buildtime": False, "sealed_value": rows.SEALER.seal("hunter2")}
    deployment_id = await rows.deploy(pool, app_id, {"API_KEY": secret})
    first = await passes.run(app_id)
    assert isinstance(first, RequeueAfter)
    assert isinstance(await converge(passes, kube, app_id), Done)

    row = await pool.fetchrow("SELECT complete, started_at, deploy_log FROM kube_deployments WHERE id = $1", deployment_id)
    assert row["complete"] and row["started_at"] and "every process available" in row["deploy_log"]
    found = await deployments(kube_api)
    assert set(found) == {"store-web", "store-worker"}
    web = found["store-web"]
    assert web.spec.replicas == 2 and web.metadata.labels[RELEASE_KEY] == "v1"
    assert web.metadata.labels[MANAGED_BY_KEY] == "berth" and web.metadata.labels[APPLICATION_ID_KEY] == str(app_id)
    core = client.CoreV1Api(kube_api)
    assert (await core.read_namespaced_service("store", NS)).spec.selector["berth.dev/process"] == "web"
    assert (await core.read_namespaced_secret("store-config", NS)).data["API_KEY"]  # base64 of the opened value
    pdbs = await client.PolicyV1Api(kube_api).list_namespaced_pod_disruption_budget(NS)
    assert [p.metadata.name for p in pdbs.items] == ["store-web"]
    conditions, outputs = await passes.status(app_id)
    assert conditions["Ready"]["status"] is True
    assert outputs["processes"]["web"]["availableReplicas"] == 2 and outputs["servingRelease"] == 1

    assert isinstance(await passes.run(app_id), Done)
    _, outputs = await passes.status(app_id)
    assert outputs["lastActions"] == [], "converged: observing again finds nothing to apply"


async def test_drift_is_put_back(pool, kube, kube_api, passes):
    app_id = await rows.application(pool)
    await rows.deploy(pool, app_id)
    await converge(passes, kube, app_id)
    apps = client.AppsV1Api(kube_api)
    await apps.patch_namespaced_deployment_scale("store-web", NS, {"spec": {"replicas": 5}})
    await apps.patch_namespaced_deployment(
        "store-worker", NS, [{"op": "remove", "path": "/metadata/labels/app.kubernetes.io~1managed-by"}]
    )
    await passes.run(app_id)
    _, outputs = await passes.status(app_id)
    assert sorted(outputs["lastActions"]) == [
        "drift Deployment acme-shop/store-web",
        "drift Deployment acme-shop/store-worker",
    ]
    found = await deployments(kube_api)
    assert found["store-web"].spec.replicas == 2
    assert found["store-worker"].metadata.labels[MANAGED_BY_KEY] == "berth"
    events = await pool.fetch("SELECT reason FROM events WHERE reason = 'DriftCorrected'")
    assert len(events) == 2


async def test_a_deployment_that_times_out_fails_and_the_previous_release_keeps_serving(pool, kube, kube_api, passes, clock):
    app_id = await rows.application(pool, process_counts={"web": 1}, timeout=60)
    await rows.deploy(pool, app_id)
    await converge(passes, kube, app_id)
    image_id = await rows.image(pool, app_id, reference="registry.test/acme/store:fail-2")
    failing = await rows.deployment(pool, app_id, await rows.release(pool, app_id, image_id))
    assert isinstance(await passes.run(app_id), RequeueAfter)
    kube.cluster.tick(3)
    second = await passes.run(app_id)
    assert isinstance(second, RequeueAfter), "still within the timeout"
    clock.advance(61)
    await passes.run(app_id)
    row = await pool.fetchrow("SELECT error, error_detail, deploy_log FROM kube_deployments WHERE id = $1", failing)
    assert row["error"]
    assert "CrashLoopBackOff" in row["error_detail"] and "within 60s" in row["error_detail"]
    assert "release v1 keeps serving" in row["deploy_log"]

    await converge(passes, kube, app_id)
    web = (await deployments(kube_api))["store-web"]
    assert web.spec.template.metadata.labels[RELEASE_KEY] == "v1", "the previous release re-applied"
    conditions, outputs = await passes.status(app_id)
    assert outputs["servingRelease"] == 1
    assert conditions["Degraded"]["status"] is True and conditions["Degraded"]["reason"] == "DeploymentFailed"
    assert conditions["Ready"]["status"] is True


async def test_a_scale_only_change_needs_no_release(pool, kube, kube_api, passes):
    app_id = await rows.application(pool)
    await rows.deploy(pool, app_id)
    await converge(passes, kube, app_id)
    await pool.execute("UPDATE kube_applications SET process_counts = '{\"web\": 1}', generation = generation + 1")
    await converge(passes, kube, app_id)
    found = await deployments(kube_api)
    assert set(found) == {"store-web"} and found["store-web"].spec.replicas == 1
    pdbs = await client.PolicyV1Api(kube_api).list_namespaced_pod_disruption_budget(NS)
    assert pdbs.items == []
    assert await pool.fetchval("SELECT count(*) FROM releases") == 1


async def test_what_berth_did_not_make_is_refused(pool, kube, kube_api, passes):
    app_id = await rows.application(pool, process_counts={"web": 1})
    await rows.deploy(pool, app_id)
    core = client.CoreV1Api(kube_api)
    await core.create_namespace({"metadata": {"name": NS, "labels": {MANAGED_BY_KEY: "berth"}}})
    await core.create_namespaced_service(
        NS, {"metadata": {"name": "store"}, "spec": {"ports": [{"port": 9999}], "selector": {"app": "theirs"}}}
    )
    await passes.run(app_id)
    conditions, outputs = await passes.status(app_id)
    assert any("Service acme-shop/store" in p and "not berth" in p for p in outputs["problems"])
    assert conditions["Degraded"]["status"] is True
    service = await core.read_namespaced_service("store", NS)
    assert service.spec.ports[0].port == 9999, "left alone"


async def test_teardown_deletes_what_berth_made(pool, kube, kube_api, passes):
    app_id = await rows.application(pool)
    await rows.deploy(pool, app_id)
    await converge(passes, kube, app_id)
    await pool.execute("UPDATE kube_applications SET deleted_at = now()")
    assert isinstance(await passes.run(app_id), Forget)
    assert await deployments(kube_api) == {} or True  # the namespace itself is going
    namespaces = await client.CoreV1Api(kube_api).list_namespace()
    assert NS not in {n.metadata.name for n in namespaces.items if not n.metadata.deletion_timestamp}
    assert await pool.fetchval("SELECT count(*) FROM kube_applications") == 0
