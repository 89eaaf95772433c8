"""A model of server-side apply for the pure plan tests: the manifest's fields win, the
server's defaults and other managers' fields stay."""

import copy
from collections.abc import Mapping
from typing import Any

from reconcilers.kube.plan import Apply, Delete, ObjectRef

DEFAULTS = {"terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}


def merged(live: Any, applied: Any) -> Any:
    if isinstance(applied, Mapping) and isinstance(live, Mapping):
        result = dict(live)
        for key, value in applied.items():
            result[key] = merged(live.get(key), value)
        return result
    if isinstance(applied, list) and isinstance(live, list) and len(live) == len(applied):
        return [merged(o, d) for o, d in zip(live, applied, strict=True)]
    return copy.deepcopy(applied)


def with_defaults(obj: dict) -> dict:
    obj = copy.deepcopy(obj)
    obj["metadata"].setdefault("uid", f"uid-{obj['metadata']['name']}")
    obj["metadata"]["managedFields"] = [{"manager": "berth", "operation": "Apply"}]
    if obj["kind"] == "Deployment":
        for container in obj["spec"]["template"]["spec"]["containers"]:
            for key, value in DEFAULTS.items():
                container.setdefault(key, value)
        obj["spec"]["strategy"]["rollingUpdate"].setdefault("maxSurge", 1)
    if obj["kind"] == "Service":
        obj["spec"].setdefault("clusterIP", "10.0.0.7")
        obj["spec"].setdefault("sessionAffinity", "None")
    return obj


def apply_actions(cluster: dict[ObjectRef, dict], actions) -> dict[ObjectRef, dict]:
    cluster = dict(cluster)
    for action in actions:
        if isinstance(action, Apply):
            cluster[action.ref] = with_defaults(merged(cluster.get(action.ref, {}), action.manifest))
        elif isinstance(action, Delete):
            cluster.pop(action.ref, None)
    return cluster
