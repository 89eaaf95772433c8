"""What the Kubernetes kinds publish. Builds, pipelines and metric samples have tables
of their own (`builds`, `pipelines`, `metric_samples`), so those kinds' statuses carry
no outputs; only `kube-application` publishes through its status."""

from typing import Any, ClassVar

from schemas.kinds import Kind
from schemas.outputs.base import Outputs, OutputsModel


class ProcessOutput(OutputsModel):
    """One process's Deployment as last observed."""

    replicas: int
    ready_replicas: int
    available_replicas: int
    updated_replicas: int
    release: str | None = None
    conditions: list[dict[str, Any]] = []


class KubeApplicationOutputs(Outputs):
    """`kube-application`: the namespace and service an application runs in, the release
    it serves and the deployment it is rolling out."""

    kind: ClassVar[Kind] = Kind.KUBE_APPLICATION

    namespace: str | None = None
    service: str | None = None
    serving_release: str | None = None
    serving_deployment_id: str | None = None
    target_deployment_id: str | None = None
    processes: dict[str, ProcessOutput] = {}
    problems: list[str] = []
    last_actions: list[str] = []


class KubeBuildOutputs(Outputs):
    kind: ClassVar[Kind] = Kind.KUBE_BUILD


class KubePipelineOutputs(Outputs):
    kind: ClassVar[Kind] = Kind.KUBE_PIPELINE


class KubeMetricsOutputs(Outputs):
    kind: ClassVar[Kind] = Kind.KUBE_METRICS
