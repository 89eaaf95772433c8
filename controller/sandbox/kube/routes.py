"""The Kubernetes REST paths: discovery, and get/list/create/replace/patch/delete on
`/api/v1/…` and `/apis/{group}/{version}/…` (namespaced and cluster-wide), the status and
scale subresources, pod logs, and metrics.k8s.io PodMetrics."""

import json
from dataclasses import dataclass

import structlog
import yaml
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from controller.sandbox.kube import errors, resources
from controller.sandbox.kube.cluster import Cluster
from controller.sandbox.kube.metrics import pod_metrics, pod_metrics_list
from controller.sandbox.kube.resources import ResourceType
from controller.sandbox.kube.selectors import field_selector, label_selector
from controller.sandbox.kube.store import APPLY_PATCH

log = structlog.get_logger("berth.sandbox.kube")
NO_WATCH = "watch is not supported by the simulated cluster; poll with list instead"
NO_FIELD_MANAGER = "PATCH /apply requires fieldManager"
BAD_JSON = "the body of the request is not valid {what}: {error}"
READ_ONLY = "the server does not allow this method on the requested resource"
NOT_FOUND_PATH = "the server could not find the requested resource"


@dataclass
class Target:
    resource: ResourceType
    namespace: str | None  # None: cluster-scoped, or a list across namespaces
    name: str | None
    subresource: str


def _parse(parts: list[str]) -> Target | None:
    if parts[0] == "api" and len(parts) >= 3:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[0] == "apis" and len(parts) >= 4:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3 and resources.resource_for(group, version, rest[2]):
        namespace, rest = rest[1], rest[2:]
    resource = resources.resource_for(group, version, rest[0])
    if resource is None or len(rest) > 3:
        return None
    if resource.namespaced == (namespace is None) and len(rest) > 1:
        return None  # a namespaced object needs its namespace (cluster-wide is list-only)
    return Target(resource, namespace, rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else "")


def _name_of(target: Target) -> str:
    """The object's name: a subresource or an object's verb always has one (`_parse`)."""
    if target.name is None:
        raise errors.KubeError(404, "NotFound", NOT_FOUND_PATH)
    return target.name


def _discovery(parts: list[str]) -> dict | None:
    if parts == ["version"]:
        return resources.VERSION_INFO
    if parts == ["api"]:
        return resources.api_versions()
    if parts == ["apis"]:
        return resources.api_group_list()
    if parts == ["api", "v1"]:
        return resources.api_resource_list("", "v1")
    if len(parts) == 2 and parts[0] == "apis":
        return resources.api_group(parts[1])
    if len(parts) == 3 and parts[0] == "apis":
        return resources.api_resource_list(parts[1], parts[2])
    return None


def _manager(request: Request) -> str:
    return request.query_params.get("fieldManager") or request.headers.get("user-agent", "unknown").split("/")[0]


async def _body(request: Request, apply: bool = False):
    raw = await request.body()
    try:
        return yaml.safe_load(raw) if apply else json.loads(raw or b"{}")
    except (ValueError, yaml.YAMLError) as error:
        raise errors.bad_request(BAD_JSON.format(what="YAML" if apply else "JSON", error=error)) from error


def _strip_list_item(obj: dict) -> dict:
    obj.pop("kind", None)
    obj.pop("apiVersion", None)
    return obj


def _success(target: Target, uid: str) -> dict:
    details = {"name": target.name, "kind": target.resource.plural, "uid": uid}
    if target.resource.group:
        details["group"] = target.resource.group
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


def _scale(obj: dict) -> dict:
    metadata = obj["metadata"]
    selector = ",".join(f"{k}={v}" for k, v in (obj["spec"].get("selector", {}).get("matchLabels") or {}).items())
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: metadata[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")},
            "spec": {"replicas": obj["spec"].get("replicas", 1)},
            "status": {"replicas": (obj.get("status") or {}).get("replicas", 0), "selector": selector}}


class KubernetesRoutes:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.store = cluster.store

    async def handle(self, request: Request) -> Response:
        try:
            return await self._dispatch(request)
        except errors.KubeError as error:
            return JSONResponse(error.status(), status_code=error.code)
        except Exception as error:  # a bug in the fake: answer as an API server would, and say what
            log.exception("fake kubernetes failed", path=request.url.path)
            return JSONResponse(errors.KubeError(500, "InternalError", repr(error)).status(), status_code=500)

    async def _dispatch(self, request: Request) -> Response:
        parts = [p for p in request.url.path.split("/") if p]
        if not parts:
            return JSONResponse({"paths": ["/api", "/api/v1", "/apis", "/version"]})
        if parts[0] in ("healthz", "livez", "readyz"):
            return PlainTextResponse("ok")
        if request.method == "GET" and (document := _discovery(parts)) is not None:
            return JSONResponse(document)
        target = _parse(parts)
        if target is None:
            raise errors.KubeError(404, "NotFound", NOT_FOUND_PATH)
        if target.resource.read_only:
            return self._metrics(request, target)
        if target.subresource == "log":
            return self._log(request, target)
        if target.subresource and target.subresource not in resources.SUBRESOURCES.get(
                (target.resource.group, target.resource.plural), ()):
            raise errors.KubeError(404, "NotFound", NOT_FOUND_PATH)
        handler = self._collection if target.name is None else self._object
        if request.method != "GET" and request.query_params.get("dryRun") == "All":
            await request.body()  # read now: nothing inside may yield to another request while rolled back
            with self.store.dry_run():
                return await handler(request, target)
        return await handler(request, target)

    async def _collection(self, request: Request, target: Target) -> Response:
        resource, query = target.resource, request.query_params
        if request.method == "GET":
            if query.get("watch") in ("true", "1", "True"):
                raise errors.method_not_allowed(NO_WATCH)
            labels, fields = label_selector(query.get("labelSelector")), field_selector(query.get("fieldSelector"))
            items, version = self.store.select(resource, target.namespace, lambda o: labels(o) and fields(o))
            return JSONResponse({"kind": resource.list_kind, "apiVersion": resource.api_version,
                                 "metadata": {"resourceVersion": version},
                                 "items": [_strip_list_item(i) for i in items]})
        if request.method == "POST":
            body = await _body(request)
            if not isinstance(body, dict):
                raise errors.bad_request("the body must be an object")
            if body.get("metadata", {}).get("namespace") not in (None, target.namespace or None):
                raise errors.bad_request("the namespace of the provided object does not match the namespace sent on the request")
            created = self.store.create(resource, target.namespace or "", body, manager=_manager(request))
            return JSONResponse(created, status_code=201)
        if request.method == "DELETE":
            labels = label_selector(query.get("labelSelector"))
            items, _ = self.store.select(resource, target.namespace, labels)
            for item in items:
                self.store.delete(resource, item["metadata"].get("namespace", ""), item["metadata"]["name"])
            return JSONResponse({"kind": resource.list_kind, "apiVersion": resource.api_version,
                                 "metadata": {}, "items": items})
        raise errors.method_not_allowed(READ_ONLY)

    async def _object(self, request: Request, target: Target) -> Response:
        resource, namespace, name = target.resource, target.namespace or "", _name_of(target)
        sub = target.subresource
        if request.method == "GET":
            obj = self.store.get(resource, namespace, name)
            return JSONResponse(_scale(obj) if sub == "scale" else obj)
        if request.method == "PUT":
            body = await _body(request)
            if sub == "scale":
                return JSONResponse(_scale(self._set_replicas(request, target, body)))
            return JSONResponse(self.store.update(resource, namespace, name, body, manager=_manager(request), subresource=sub))
        if request.method == "PATCH":
            content_type = request.headers.get("content-type", "").split(";")[0].strip()
            apply = content_type == APPLY_PATCH
            if apply and not request.query_params.get("fieldManager"):
                raise errors.bad_request(NO_FIELD_MANAGER)
            body = await _body(request, apply=apply)
            force = request.query_params.get("force", "").lower() in ("true", "1")
            if sub == "scale":
                scale = _scale(self.store.get(resource, namespace, name))
                from controller.sandbox.kube.patches import merge_patch
                return JSONResponse(_scale(self._set_replicas(request, target, merge_patch(scale, body))))
            existed = apply and self.store.find(resource, namespace, name) is not None
            obj = self.store.patch(resource, namespace, name, content_type, body, manager=_manager(request),
                                   force=force, subresource=sub)
            return JSONResponse(obj, status_code=201 if apply and not existed else 200)
        if request.method == "DELETE":
            options = await _body(request) if await request.body() else {}
            propagation = request.query_params.get("propagationPolicy") or options.get("propagationPolicy")
            version = (options.get("preconditions") or {}).get("resourceVersion")
            before = self.store.get(resource, namespace, name)
            pending = self.store.delete(resource, namespace, name, propagation=propagation, resource_version=version)
            return JSONResponse(pending if pending is not None else _success(target, before["metadata"]["uid"]))
        raise errors.method_not_allowed(READ_ONLY)

    def _set_replicas(self, request: Request, target: Target, scale: dict) -> dict:
        replicas = (scale.get("spec") or {}).get("replicas")
        wanted = (scale.get("metadata") or {}).get("resourceVersion")

        name = _name_of(target)

        def change(obj: dict) -> None:
            if wanted and wanted != obj["metadata"]["resourceVersion"]:
                raise errors.conflict(target.resource, name)
            obj["spec"]["replicas"] = replicas

        return self.store.write(target.resource, target.namespace or "", name, change, manager=_manager(request))

    def _log(self, request: Request, target: Target) -> Response:
        if target.resource.plural != "pods" or request.method != "GET":
            raise errors.KubeError(404, "NotFound", NOT_FOUND_PATH)
        tail, limit = request.query_params.get("tailLines"), request.query_params.get("limitBytes")
        try:
            tail_lines, limit_bytes = (int(tail) if tail else None), (int(limit) if limit else None)
        except ValueError as error:
            raise errors.bad_request(f"tailLines and limitBytes are integers: {error}") from error
        text = self.cluster.log(target.namespace or "", _name_of(target), request.query_params.get("container"),
                                tail_lines, limit_bytes)
        return PlainTextResponse(text)

    def _metrics(self, request: Request, target: Target) -> Response:
        if request.method != "GET" or target.subresource:
            raise errors.method_not_allowed(READ_ONLY)
        items = pod_metrics(self.cluster.kubelet, target.namespace, target.name)
        if target.name is None:
            labels = label_selector(request.query_params.get("labelSelector"))
            return JSONResponse(pod_metrics_list([i for i in items if labels(i)]))
        if not items:
            raise errors.KubeError(404, "NotFound", f'podmetrics.metrics.k8s.io "{target.namespace}/{target.name}" not found',
                                   {"name": target.name, "group": "metrics.k8s.io", "kind": "pods"})
        return JSONResponse(items[0])
