"""A kubeconfig for the simulated cluster: kubernetes_asyncio.config.load_kube_config and
kubectl reach it by configuration alone (plain HTTP on loopback, no credentials)."""

from pathlib import Path

import yaml

CONTEXT = "berth-simulated"


def kubeconfig(url: str, *, name: str = CONTEXT, namespace: str = "default") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": url}}],
        "users": [{"name": name, "user": {"token": "simulated"}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name, "namespace": namespace}}],
        "current-context": name,
        "preferences": {},
    }


def write_kubeconfig(path: Path, url: str, *, name: str = CONTEXT) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(kubeconfig(url, name=name), sort_keys=False))
    return path
