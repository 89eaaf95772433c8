"""`KubeMetricsReconciler`: an application's processes sampled every period.

kind `kube-metrics`, key: the application's UUID (queued by `kube-application` once
something runs). Each pass lists the application's pods and the namespace's
`metrics.k8s.io` PodMetrics, and writes one sample per process: CPU in millicores and
memory in bytes summed over its pods' containers, the running pod count and the
containers' restart count; then it comes back after the sampling period. A cluster
without the metrics API still gets pod and restart counts (usage 0).
"""

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from reconcilers.kube.api import KubeApi
from reconcilers.kube.application import utc_now
from reconcilers.kube.config import KubeConfig
from reconcilers.kube.naming import PROCESS_KEY, application_selector, namespace_name
from reconcilers.kube.ports import KubeContext, MetricSample
from reconcilers.results import Forget, RequeueAfter, Result

KIND = "kube-metrics"

QUANTITY = re.compile(r"^([0-9.]+(?:e[0-9]+)?)([a-zA-Z]*)$")
SUFFIXES = {
    "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}


def quantity(value: str | int | float | None) -> float:
    """A Kubernetes quantity ("250m", "1", "64Mi", "123456n") as a number of base units."""
    if value is None:
        return 0.0
    if isinstance(value, (int, float)):
        return float(value)
    match = QUANTITY.match(value.strip())
    if not match or match.group(2) not in SUFFIXES:
        return 0.0
    return float(match.group(1)) * SUFFIXES[match.group(2)]


def samples(
    pods: Iterable[Mapping[str, Any]], usage: Iterable[Mapping[str, Any]], processes: Iterable[str], at: datetime
) -> list[MetricSample]:
    """One sample per wanted process (zeros when none of its pods run). Pure."""
    by_pod = {m.get("metadata", {}).get("name"): m for m in usage}
    totals: dict[str, list[float]] = {p: [0.0, 0.0, 0, 0] for p in processes}
    for pod in pods:
        process = (pod.get("metadata", {}).get("labels") or {}).get(PROCESS_KEY)
        if process not in totals or pod.get("metadata", {}).get("deletionTimestamp"):
            continue
        status = pod.get("status") or {}
        entry = totals[process]
        entry[3] += sum(int(c.get("restartCount") or 0) for c in status.get("containerStatuses") or ())
        if status.get("phase") != "Running":
            continue
        entry[2] += 1
        for container in (by_pod.get(pod["metadata"]["name"]) or {}).get("containers") or ():
            entry[0] += quantity((container.get("usage") or {}).get("cpu")) * 1000
            entry[1] += quantity((container.get("usage") or {}).get("memory"))
    return [
        MetricSample(process, at, round(cpu, 3), int(memory), int(count), int(restarts))
        for process, (cpu, memory, count, restarts) in sorted(totals.items())
    ]


class KubeMetricsReconciler:
    kind = KIND

    def __init__(self, api: KubeApi, config: KubeConfig, clock: Callable[[], datetime] = utc_now):
        self._api = api
        self._config = config
        self._clock = clock

    async def reconcile(self, ctx: KubeContext) -> Result:
        app = await ctx.store.kube_application(UUID(ctx.key))
        if app is None or app.deleting:
            return Forget()
        ctx.bind(organisation=app.organisation, project=app.project, application=app.slug)
        namespace = namespace_name(app)
        pods = await self._api.list("Pod", namespace, application_selector(app))
        usage = await self._api.list("PodMetrics", namespace, application_selector(app))
        processes = set(app.process_counts) or {"web"}
        at = self._clock().replace(microsecond=0)
        await ctx.store.record_metric_samples(app.id, samples(pods, usage, processes, at))
        return RequeueAfter(self._config.metrics_period_seconds, "next sample")
