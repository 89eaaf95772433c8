"""The simulated kubelet, driven by ticks: deployments become available and roll out, held
or failing rollouts keep the previous pods serving, jobs complete or fail with their logs,
pods report restarts and PodMetrics."""

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from tests.sandbox.kube.manifests import deployment, job

APPLY = "application/apply-patch+yaml"


async def _apply_deployment(api, manifest):
    return await client.AppsV1Api(api).patch_namespaced_deployment(
        manifest["metadata"]["name"], "default", manifest, field_manager="berth", force=True, _content_type=APPLY)


def _conditions(obj) -> dict:
    return {c.type: (c.status, c.reason) for c in obj.status.conditions or []}


async def _pods(api, selector="app=web"):
    return (await client.CoreV1Api(api).list_namespaced_pod("default", label_selector=selector)).items


async def test_a_deployment_becomes_available_after_a_tick(kube, kube_api):
    apps = client.AppsV1Api(kube_api)
    await _apply_deployment(kube_api, deployment(replicas=2))
    assert (await apps.read_namespaced_deployment("web", "default")).status is None
    kube.cluster.tick()
    ready = await apps.read_namespaced_deployment("web", "default")
    assert (ready.status.ready_replicas, ready.status.available_replicas, ready.status.updated_replicas) == (2, 2, 2)
    assert ready.status.observed_generation == 1
    assert _conditions(ready) == {"Available": ("True", "MinimumReplicasAvailable"),
                                  "Progressing": ("True", "NewReplicaSetAvailable")}
    pods = await _pods(kube_api)
    assert len(pods) == 2
    assert {p.status.phase for p in pods} == {"Running"}
    assert all(p.metadata.owner_references[0].kind == "Deployment" for p in pods)
    assert all(p.status.container_statuses[0].ready for p in pods)


async def test_a_new_template_rolls_out_and_replaces_the_old_pods(kube, kube_api):
    await _apply_deployment(kube_api, deployment(image="app:1"))
    kube.cluster.tick()
    old = {p.metadata.name for p in await _pods(kube_api)}
    rolled = await _apply_deployment(kube_api, deployment(image="app:2"))
    assert rolled.metadata.generation == 2
    kube.cluster.tick()
    pods = await _pods(kube_api)
    assert {p.spec.containers[0].image for p in pods} == {"app:2"}
    assert not old & {p.metadata.name for p in pods}
    status = (await client.AppsV1Api(kube_api).read_namespaced_deployment("web", "default")).status
    assert (status.observed_generation, status.updated_replicas, status.available_replicas) == (2, 2, 2)


async def test_a_crashing_image_keeps_the_previous_pods_serving(kube, kube_api):
    apps = client.AppsV1Api(kube_api)
    await _apply_deployment(kube_api, deployment(image="app:1"))
    kube.cluster.tick()
    await _apply_deployment(kube_api, deployment(image="app:fail"))
    kube.cluster.tick(3)
    pods = await _pods(kube_api)
    serving = [p for p in pods if p.spec.containers[0].image == "app:1"]
    crashing = [p for p in pods if p.spec.containers[0].image == "app:fail"]
    assert len(serving) == 2 and all(p.status.container_statuses[0].ready for p in serving)
    assert len(crashing) == 2
    assert crashing[0].status.container_statuses[0].state.waiting.reason == "CrashLoopBackOff"
    assert crashing[0].status.container_statuses[0].restart_count == 3
    status = await apps.read_namespaced_deployment("web", "default")
    assert _conditions(status)["Available"] == ("True", "MinimumReplicasAvailable")
    assert _conditions(status)["Progressing"] == ("True", "ReplicaSetUpdated")
    assert status.status.updated_replicas == 2 and status.status.unavailable_replicas == 2


async def test_a_held_rollout_stays_unavailable_until_released(kube, kube_api):
    kube.cluster.set_deployment_behaviour("default", "web", "hold")
    await _apply_deployment(kube_api, deployment(replicas=1))
    kube.cluster.tick(2)
    held = await client.AppsV1Api(kube_api).read_namespaced_deployment("web", "default")
    assert _conditions(held)["Available"] == ("False", "MinimumReplicasUnavailable")
    assert [p.status.phase for p in await _pods(kube_api)] == ["Pending"]
    kube.cluster.set_deployment_behaviour("default", "web", "run")
    kube.cluster.tick()
    released = await client.AppsV1Api(kube_api).read_namespaced_deployment("web", "default")
    assert _conditions(released)["Available"] == ("True", "MinimumReplicasAvailable")


async def test_progress_deadline_exceeded_when_a_rollout_stalls(kube, kube_api):
    now = [1000.0]
    kube.cluster.kubelet.seconds = lambda: now[0]
    manifest = deployment(replicas=1, image="app:fail")
    manifest["spec"]["progressDeadlineSeconds"] = 30
    kube.cluster.set_deployment_behaviour("default", "web", "hold")
    await _apply_deployment(kube_api, manifest)
    kube.cluster.tick()
    now[0] += 31
    kube.cluster.tick()
    stalled = await client.AppsV1Api(kube_api).read_namespaced_deployment("web", "default")
    assert _conditions(stalled)["Progressing"] == ("False", "ProgressDeadlineExceeded")


async def test_deleting_a_deployment_deletes_its_pods_and_scaling_down_removes_some(kube, kube_api):
    apps = client.AppsV1Api(kube_api)
    await _apply_deployment(kube_api, deployment(replicas=3))
    kube.cluster.tick()
    await _apply_deployment(kube_api, deployment(replicas=1))
    kube.cluster.tick()
    assert len(await _pods(kube_api)) == 1
    await apps.delete_namespaced_deployment("web", "default")
    assert await _pods(kube_api) == []


async def test_a_job_completes_by_default_and_its_log_is_readable(kube, kube_api):
    batch, core = client.BatchV1Api(kube_api), client.CoreV1Api(kube_api)
    await batch.create_namespaced_job("default", job())
    kube.cluster.tick()
    running = await batch.read_namespaced_job("build", "default")
    assert running.status.active == 1 and running.status.start_time is not None
    kube.cluster.tick()
    done = await batch.read_namespaced_job("build", "default")
    assert done.status.succeeded == 1 and done.status.completion_time is not None
    assert ("Complete", "True") in {(c.type, c.status) for c in done.status.conditions}
    [pod] = (await core.list_namespaced_pod("default", label_selector="job-name=build")).items
    assert pod.status.phase == "Succeeded"
    log = await core.read_namespaced_pod_log(pod.metadata.name, "default")
    assert "started from image gcr.io/kaniko-project/executor" in log
    assert log.endswith("exited with code 0\n")


async def test_jobs_fail_or_complete_on_request_with_the_log_given(kube, kube_api):
    batch, core = client.BatchV1Api(kube_api), client.CoreV1Api(kube_api)
    kube.cluster.set_job_default("hold")
    await batch.create_namespaced_job("default", job("a"))
    await batch.create_namespaced_job("default", job("b"))
    kube.cluster.tick(3)
    assert (await batch.read_namespaced_job("a", "default")).status.active == 1
    kube.cluster.finish_job("default", "a", "fail", log="error: build failed: no Dockerfile")
    kube.cluster.finish_job("default", "b", "complete", log="pushed registry/app:abc")
    kube.cluster.tick()
    failed = await batch.read_namespaced_job("a", "default")
    assert failed.status.failed == 1
    assert ("Failed", "BackoffLimitExceeded") in {(c.type, c.reason) for c in failed.status.conditions}
    [pod] = (await core.list_namespaced_pod("default", label_selector="job-name=a")).items
    assert "error: build failed: no Dockerfile" in await core.read_namespaced_pod_log(pod.metadata.name, "default")
    assert (await batch.read_namespaced_job("b", "default")).status.succeeded == 1


async def test_an_image_named_fail_fails_its_job(kube, kube_api):
    batch = client.BatchV1Api(kube_api)
    await batch.create_namespaced_job("default", job(image="builder:fail"))
    kube.cluster.tick(2)
    assert (await batch.read_namespaced_job("build", "default")).status.failed == 1


async def test_jobs_orphan_their_pods_unless_told_to_propagate(kube, kube_api):
    batch, core = client.BatchV1Api(kube_api), client.CoreV1Api(kube_api)
    await batch.create_namespaced_job("default", job("a"))
    await batch.create_namespaced_job("default", job("b"))
    kube.cluster.tick()
    await batch.delete_namespaced_job("a", "default")
    await batch.delete_namespaced_job("b", "default", propagation_policy="Background")
    remaining = (await core.list_namespaced_pod("default")).items
    assert [p.metadata.labels["job-name"] for p in remaining] == ["a"]
    assert not remaining[0].metadata.owner_references


async def test_pod_metrics_and_restart_counts(kube, kube_api):
    await _apply_deployment(kube_api, deployment(replicas=2))
    kube.cluster.tick()
    [first, second] = await _pods(kube_api)
    kube.cluster.set_usage("default", first.metadata.name, cpu_m=250, memory_bytes=128 * 1024 * 1024)
    kube.cluster.restart("default", second.metadata.name, times=2)
    metrics = client.CustomObjectsApi(kube_api)
    listed = await metrics.list_namespaced_custom_object("metrics.k8s.io", "v1beta1", "default", "pods",
                                                         label_selector="app=web")
    usage = {item["metadata"]["name"]: item["containers"][0]["usage"] for item in listed["items"]}
    assert usage[first.metadata.name] == {"cpu": "250000000n", "memory": "131072Ki"}
    assert usage[second.metadata.name] == {"cpu": "5000000n", "memory": "65536Ki"}
    one = await metrics.get_namespaced_custom_object("metrics.k8s.io", "v1beta1", "default", "pods", first.metadata.name)
    assert one["kind"] == "PodMetrics"
    pod = await client.CoreV1Api(kube_api).read_namespaced_pod(second.metadata.name, "default")
    assert pod.status.container_statuses[0].restart_count == 2
    with pytest.raises(ApiException) as caught:
        await metrics.get_namespaced_custom_object("metrics.k8s.io", "v1beta1", "default", "pods", "nope")
    assert caught.value.status == 404


async def test_pdb_status_counts_healthy_pods(kube, kube_api):
    policy = client.PolicyV1Api(kube_api)
    await _apply_deployment(kube_api, deployment(replicas=3))
    await policy.create_namespaced_pod_disruption_budget("default", {
        "metadata": {"name": "web"}, "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}})
    kube.cluster.tick()
    status = (await policy.read_namespaced_pod_disruption_budget("web", "default")).status
    assert (status.current_healthy, status.desired_healthy, status.disruptions_allowed) == (3, 2, 1)


async def test_logs_of_a_pod_not_started_are_400_and_tail_and_limit_bytes_cut(kube, kube_api):
    core = client.CoreV1Api(kube_api)
    await core.create_namespaced_pod("default", {"metadata": {"name": "p"},
                                                 "spec": {"containers": [{"name": "c", "image": "app:1"}]}})
    with pytest.raises(ApiException) as caught:
        await core.read_namespaced_pod_log("p", "default")
    assert caught.value.status == 400 and "is waiting to start" in caught.value.body
    kube.cluster.tick()
    kube.cluster.append_log("default", "p", "one\ntwo\nthree")
    assert await core.read_namespaced_pod_log("p", "default", tail_lines=2) == "two\nthree\n"
    assert await core.read_namespaced_pod_log("p", "default", limit_bytes=10) == "simulated:"
