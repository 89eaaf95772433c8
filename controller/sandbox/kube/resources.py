"""The resource types the fake API server serves, and the discovery documents built from
them (what `/api`, `/apis` and each group version answer, so kubectl and clients find them)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ResourceType:
    group: str  # "" for the core group
    version: str
    kind: str
    plural: str
    namespaced: bool = True
    # Whether writes to the main resource ignore `status` (a status subresource exists).
    status_subresource: bool = True
    # Whether metadata.generation tracks spec changes (kinds with status.observedGeneration).
    tracks_generation: bool = False
    short_names: tuple[str, ...] = ()
    # Served read-only from what the kubelet measures (metrics.k8s.io).
    read_only: bool = False

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`deployments.apps`, `pods`: how Kubernetes names the resource in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"


RESOURCES: tuple[ResourceType, ...] = (
    ResourceType("", "v1", "Namespace", "namespaces", namespaced=False, short_names=("ns",)),
    ResourceType("", "v1", "Pod", "pods", short_names=("po",)),
    ResourceType("", "v1", "Service", "services", short_names=("svc",)),
    ResourceType("", "v1", "Secret", "secrets", status_subresource=False),
    ResourceType("", "v1", "ConfigMap", "configmaps", status_subresource=False, short_names=("cm",)),
    ResourceType("", "v1", "Event", "events", status_subresource=False, short_names=("ev",)),
    ResourceType("apps", "v1", "Deployment", "deployments", tracks_generation=True, short_names=("deploy",)),
    ResourceType("batch", "v1", "Job", "jobs", tracks_generation=True),
    ResourceType("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", tracks_generation=True, short_names=("pdb",)),
    ResourceType("metrics.k8s.io", "v1beta1", "PodMetrics", "pods", status_subresource=False, read_only=True),
)

SUBRESOURCES = {
    ("", "pods"): ("status", "log"),
    ("", "services"): ("status",),
    ("", "namespaces"): ("status",),
    ("apps", "deployments"): ("status", "scale"),
    ("batch", "jobs"): ("status",),
    ("policy", "poddisruptionbudgets"): ("status",),
}

_BY_PATH = {(r.group, r.version, r.plural): r for r in RESOURCES}
_BY_KIND = {(r.api_version, r.kind): r for r in RESOURCES}
VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update"]


def resource_for(group: str, version: str, plural: str) -> ResourceType | None:
    return _BY_PATH.get((group, version, plural))


def resource_of_kind(api_version: str, kind: str) -> ResourceType | None:
    return _BY_KIND.get((api_version, kind))


def groups() -> list[tuple[str, str]]:
    """(group, version) pairs served under /apis, in a stable order."""
    seen: list[tuple[str, str]] = []
    for r in RESOURCES:
        if r.group and (r.group, r.version) not in seen:
            seen.append((r.group, r.version))
    return seen


def api_versions() -> dict:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
    }


def api_group_list() -> dict:
    items = []
    for group, version in groups():
        gv = {"groupVersion": f"{group}/{version}", "version": version}
        items.append({"name": group, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": items}


def api_group(group: str) -> dict | None:
    for g, version in groups():
        if g == group:
            gv = {"groupVersion": f"{group}/{version}", "version": version}
            return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": [gv], "preferredVersion": gv}
    return None


def api_resource_list(group: str, version: str) -> dict | None:
    members = [r for r in RESOURCES if r.group == group and r.version == version]
    if not members:
        return None
    resources = []
    for r in members:
        verbs = ["get", "list"] if r.read_only else VERBS
        entry = {"name": r.plural, "singularName": r.kind.lower(), "namespaced": r.namespaced,
                 "kind": r.kind, "verbs": verbs}
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        resources.append(entry)
        for sub in SUBRESOURCES.get((r.group, r.plural), ()):
            resources.append({"name": f"{r.plural}/{sub}", "singularName": "", "namespaced": r.namespaced,
                              "kind": "Scale" if sub == "scale" else r.kind, "verbs": ["get", "patch", "update"]})
    return {"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version, "resources": resources}


VERSION_INFO = {
    "major": "1", "minor": "32", "gitVersion": "v1.32.0-berth-simulated", "gitCommit": "simulated",
    "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23",
    "compiler": "gc", "platform": "linux/amd64",
}
