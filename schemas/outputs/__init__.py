"""Each kind's outputs model, and the model of a kind by its name."""

from schemas.kinds import Kind
from schemas.outputs.aws import (
    AutoscalingOutputs,
    DatabaseOutputs,
    EnvironmentNetworkOutputs,
    FilesystemOutputs,
    NetworkOutputs,
    WorkloadOutputs,
)
from schemas.outputs.base import Outputs
from schemas.outputs.kube import (
    KubeApplicationOutputs,
    KubeBuildOutputs,
    KubeMetricsOutputs,
    KubePipelineOutputs,
)

OUTPUTS: dict[Kind, type[Outputs]] = {
    model.kind: model
    for model in (
        NetworkOutputs,
        WorkloadOutputs,
        EnvironmentNetworkOutputs,
        AutoscalingOutputs,
        DatabaseOutputs,
        FilesystemOutputs,
        KubeApplicationOutputs,
        KubeBuildOutputs,
        KubePipelineOutputs,
        KubeMetricsOutputs,
    )
}
assert set(OUTPUTS) == set(Kind), "every kind has one outputs model"


def outputs_model(kind: str) -> type[Outputs]:
    return OUTPUTS[Kind(kind)]


__all__ = [
    "OUTPUTS",
    "AutoscalingOutputs",
    "DatabaseOutputs",
    "EnvironmentNetworkOutputs",
    "FilesystemOutputs",
    "KubeApplicationOutputs",
    "KubeBuildOutputs",
    "KubeMetricsOutputs",
    "KubePipelineOutputs",
    "NetworkOutputs",
    "Outputs",
    "WorkloadOutputs",
    "outputs_model",
]
