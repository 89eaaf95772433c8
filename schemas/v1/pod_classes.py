"""Pod classes: the sizes a process may run at, each with Kubernetes requests and limits.

Memory request = limit, so a pod is never killed for memory it was promised; CPU may
burst to its limit. A process with no class named runs as DEFAULT_POD_CLASS.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PodClass:
    name: str
    cpu_request: str
    cpu_limit: str
    memory_request: str
    memory_limit: str

    def resources(self) -> dict:
        """The container's `resources` in Kubernetes' shape."""
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
            "limits": {"cpu": self.cpu_limit, "memory": self.memory_limit},
        }


POD_CLASSES: dict[str, PodClass] = {
    c.name: c
    for c in (
        PodClass("nano", "50m", "250m", "128Mi", "128Mi"),
        PodClass("micro", "100m", "500m", "256Mi", "256Mi"),
        PodClass("small", "250m", "1", "512Mi", "512Mi"),
        PodClass("medium", "500m", "2", "1Gi", "1Gi"),
        PodClass("large", "1", "4", "2Gi", "2Gi"),
        PodClass("xlarge", "2", "8", "4Gi", "4Gi"),
    )
}
DEFAULT_POD_CLASS = "small"


def pod_class_for(process: str, process_pod_classes: dict[str, str]) -> PodClass:
    """The class a process runs as (an unknown stored name falls back to the default)."""
    return POD_CLASSES.get(process_pod_classes.get(process, DEFAULT_POD_CLASS), POD_CLASSES[DEFAULT_POD_CLASS])
