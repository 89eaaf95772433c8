"""Reaching the fake API server by configuration alone: kubernetes-asyncio from the written
kubeconfig, and kubectl (discovery included) reading what was made."""

import asyncio
import json
import shutil

import pytest
from kubernetes_asyncio import client, config

from tests.sandbox.kube.manifests import deployment, job


async def test_load_kube_config_reaches_the_server(kube, kubeconfig_path):
    configuration = client.Configuration()
    await config.load_kube_config(config_file=str(kubeconfig_path), client_configuration=configuration)
    assert configuration.host == kube.url
    async with client.ApiClient(configuration) as api:
        version = await client.VersionApi(api).get_code()
        assert version.major == "1"
        namespaces = await client.CoreV1Api(api).list_namespace()
        assert {"default", "kube-system"} <= {n.metadata.name for n in namespaces.items}


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
async def test_kubectl_lists_what_was_made(kube, kube_api, kubeconfig_path):
    await client.AppsV1Api(kube_api).create_namespaced_deployment("default", deployment())
    await client.BatchV1Api(kube_api).create_namespaced_job("default", job())
    await client.CoreV1Api(kube_api).create_namespaced_service(
        "default", {"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}})
    process = await asyncio.create_subprocess_exec(
        "kubectl", "--kubeconfig", str(kubeconfig_path), "get", "deployments,services,jobs", "-A", "-o", "json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    kinds = sorted((item["kind"], item["metadata"]["name"]) for item in json.loads(out)["items"])
    assert kinds == [("Deployment", "web"), ("Job", "build"), ("Service", "web")]
