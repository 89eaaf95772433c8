"""Read what the cluster holds for an application: each object berth would apply, by
name, and every object carrying the application's labels (candidates for deletion)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconcilers.kube.api import KubeApi
from reconcilers.kube.naming import application_selector, namespace_name
from reconcilers.kube.plan import ObjectRef
from reconcilers.kube.ports import KubeApplication

# The kinds berth makes per application (the Namespace is the project's, never pruned).
OWNED_KINDS = ("Deployment", "Service", "PodDisruptionBudget", "Secret")


@dataclass(frozen=True, slots=True)
class ClusterObservation:
    objects: Mapping[ObjectRef, Mapping[str, Any]]
    owned: frozenset[ObjectRef]


async def observe_application(
    api: KubeApi, app: KubeApplication, desired: Iterable[Mapping[str, Any]]
) -> ClusterObservation:
    namespace = namespace_name(app)
    objects: dict[ObjectRef, Mapping[str, Any]] = {}
    owned: set[ObjectRef] = set()
    namespace_live = await api.get("Namespace", None, namespace)
    if namespace_live is not None:
        objects[ObjectRef("Namespace", None, namespace)] = namespace_live
        for kind in OWNED_KINDS:
            for item in await api.list(kind, namespace, application_selector(app)):
                ref = ObjectRef(kind, namespace, item["metadata"]["name"])
                objects[ref] = {"kind": kind, **item}
                owned.add(ref)
    for manifest in desired:
        ref = ObjectRef.of(manifest)
        if ref in objects or ref.kind == "Namespace" or namespace_live is None:
            continue
        live = await api.get(ref.kind, ref.namespace, ref.name)
        if live is not None:
            objects[ref] = {"kind": ref.kind, **live}
    return ClusterObservation(objects, frozenset(owned))
