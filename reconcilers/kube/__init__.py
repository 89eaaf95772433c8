"""Kubernetes reconcilers for the v1 (Ancla) platform (kubernetes-asyncio).

async with kube_api_client(config) as api_client:
    reconcilers = kube_reconcilers(api_client, config)

Kinds (key = the row's UUID): `kube-application` (an application's workload and its
deployments), `kube-build` (an image built by a Job), `kube-pipeline` (a full deploy's
stage machine), `kube-metrics` (an application's usage sampled on a period).
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from reconcilers.kube.api import KubeApi
from reconcilers.kube.application import KubeApplicationReconciler, utc_now
from reconcilers.kube.build import KubeBuildReconciler
from reconcilers.kube.config import KubeConfig, kube_api_client
from reconcilers.kube.metrics import KubeMetricsReconciler
from reconcilers.kube.pipeline import KubePipelineReconciler
from reconcilers.kube.ports import KubeContext
from reconcilers.ports import Reconciler

__all__ = ["KubeConfig", "kube_api_client", "kube_reconcilers"]


def kube_reconcilers(
    api_client: Any, config: KubeConfig, clock: Callable[[], datetime] = utc_now
) -> list[Reconciler[KubeContext]]:
    """The kube reconcilers of one controller process, sharing one entered ApiClient."""
    api = KubeApi(api_client)
    return [
        KubeApplicationReconciler(api, config, clock),
        KubeBuildReconciler(api, config, clock),
        KubePipelineReconciler(),
        KubeMetricsReconciler(api, config, clock),
    ]
