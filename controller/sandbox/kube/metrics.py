"""metrics.k8s.io/v1beta1 PodMetrics, as metrics-server reports them: cpu in nanocores
(`5000000n`), memory in kibibytes (`65536Ki`), for running pods only."""

from controller.sandbox.kube.kubelet import PODS, Kubelet

API_VERSION = "metrics.k8s.io/v1beta1"
WINDOW = "10.5s"


def cpu_quantity(millicores: int) -> str:
    return f"{millicores * 1_000_000}n"


def memory_quantity(size: int) -> str:
    return f"{size // 1024}Ki" if size % 1024 == 0 else str(size)


def pod_metrics(kubelet: Kubelet, namespace: str | None, name: str | None = None) -> list[dict]:
    now = kubelet.store.clock()
    items = []
    for pod in kubelet.store.select(PODS, namespace)[0]:
        metadata = pod["metadata"]
        if (name and metadata["name"] != name) or (pod.get("status") or {}).get("phase") != "Running":
            continue
        usage = kubelet.runtime(metadata["namespace"], metadata["name"]).usage
        if not usage:
            continue
        items.append({
            "kind": "PodMetrics", "apiVersion": API_VERSION,
            "metadata": {"name": metadata["name"], "namespace": metadata["namespace"],
                         "creationTimestamp": now, "labels": dict(metadata.get("labels") or {})},
            "timestamp": now, "window": WINDOW,
            "containers": [{"name": container, "usage": {"cpu": cpu_quantity(cpu), "memory": memory_quantity(memory)}}
                           for container, (cpu, memory) in sorted(usage.items())],
        })
    return items


def pod_metrics_list(items: list[dict]) -> dict:
    return {"kind": "PodMetricsList", "apiVersion": API_VERSION, "metadata": {},
            "items": [{k: v for k, v in item.items() if k not in ("kind", "apiVersion")} for item in items]}
