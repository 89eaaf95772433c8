"""The fake Kubernetes API server for tests: one real HTTP server for the session, reset
before each test, and a kubernetes_asyncio ApiClient configured for it.

Use in a conftest.py:  from tests.fakes.kube import kube, kube_api, kube_server  # noqa: F401
Then `kube.url`, `kube.cluster.tick()` (the simulated kubelet takes one step; nothing moves
unless a test ticks), `kube.cluster.finish_job(ns, name, "complete")`, … and `kube_api`, an
ApiClient for AppsV1Api(kube_api), CoreV1Api(kube_api), …"""

from pathlib import Path

import pytest
from kubernetes_asyncio import client

from controller.sandbox.kube import FakeKubernetes, write_kubeconfig


@pytest.fixture(scope="session")
def kube_server():
    """The server, for the whole session; tests take `kube`, which resets it."""
    server = FakeKubernetes().start()
    yield server
    server.stop()


@pytest.fixture
def kube(kube_server) -> FakeKubernetes:
    """The fake API server, empty (namespaces default and kube-system only); ticks by hand."""
    kube_server.cluster.reset()
    return kube_server


def api_configuration(url: str) -> client.Configuration:
    return client.Configuration(host=url)


@pytest.fixture
async def kube_api(kube):
    async with client.ApiClient(api_configuration(kube.url)) as api:
        yield api


@pytest.fixture
def kubeconfig_path(kube, tmp_path) -> Path:
    """A kubeconfig file for the fake server (kubernetes_asyncio.config.load_kube_config, kubectl)."""
    return write_kubeconfig(tmp_path / "kubeconfig", kube.url)
