"""A faithful fake Kubernetes API server for tests and the sandbox (docs/fake-kubernetes.md)."""

from controller.sandbox.kube.cluster import Cluster
from controller.sandbox.kube.kubeconfig import write_kubeconfig
from controller.sandbox.kube.server import FakeKubernetes

__all__ = ["Cluster", "FakeKubernetes", "write_kubeconfig"]
