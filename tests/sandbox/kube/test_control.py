"""`/fake/…`: steering the simulated cluster over HTTP, as the sandbox and other processes do."""

import httpx
from kubernetes_asyncio import client

from tests.sandbox.kube.manifests import deployment, job


async def test_control_endpoints_steer_the_cluster(kube, kube_api):
    apps, batch, core = client.AppsV1Api(kube_api), client.BatchV1Api(kube_api), client.CoreV1Api(kube_api)
    async with httpx.AsyncClient(base_url=kube.url) as http:
        assert (await http.put("/fake/jobs/default", json={"outcome": "hold"})).status_code == 200
        assert (await http.post("/fake/deployments/default/web/fail")).status_code == 200
        await apps.create_namespaced_deployment("default", deployment(replicas=1))
        await batch.create_namespaced_job("default", job())
        assert (await http.post("/fake/tick", json={"steps": 2})).status_code == 200
        [pod] = (await core.list_namespaced_pod("default", label_selector="app=web")).items
        assert pod.status.container_statuses[0].restart_count == 2
        await http.post("/fake/deployments/default/web/run")
        answer = await http.post("/fake/jobs/default/build/complete", json={"log": "built"})
        assert answer.status_code == 200
        await http.post("/fake/tick")
        assert (await batch.read_namespaced_job("build", "default")).status.succeeded == 1
        [pod] = (await core.list_namespaced_pod("default", label_selector="app=web")).items
        usage = await http.put(f"/fake/pods/default/{pod.metadata.name}/usage", json={"cpu_m": 7, "memory_bytes": 2048})
        assert usage.status_code == 200
        restarted = await http.post(f"/fake/pods/default/{pod.metadata.name}/restart", json={"times": 4})
        assert restarted.json()["status"]["containerStatuses"][0]["restartCount"] == 6
        missing = await http.post("/fake/jobs/default/nope/complete")
        assert (missing.status_code, missing.json()["reason"]) == (404, "NotFound")
        assert (await http.post("/fake/reset")).status_code == 200
    assert (await apps.list_deployment_for_all_namespaces()).items == []
