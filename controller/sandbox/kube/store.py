"""The fake API server's objects: one lock, a global resourceVersion counter, uid, generation,
timestamps, optimistic concurrency, finalizers and garbage collection by ownerReferences."""

import contextlib
import copy
import itertools
import secrets
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from controller.sandbox.kube import errors
from controller.sandbox.kube.apply import ApplyConflicts, apply, record_update
from controller.sandbox.kube.defaults import apply_defaults
from controller.sandbox.kube.resources import RESOURCES, ResourceType
from controller.sandbox.kube.patches import json_patch, merge_patch, strategic_merge_patch
from controller.sandbox.kube.validation import validate

NAMESPACES = next(r for r in RESOURCES if r.plural == "namespaces")
Key = tuple[str, str]  # (namespace or "", name)
DEFAULT_PROPAGATION = {"jobs": "Orphan"}  # batch/v1 Jobs orphan their pods unless told otherwise
STORED = [r for r in RESOURCES if not r.read_only]
APPLY_PATCH = "application/apply-patch+yaml"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY_NOT_OBJECT = "an apply patch must be an object"
APPLY_TYPE = "apply: the body must have apiVersion {api_version} and kind {kind}"
APPLY_NAME = "the name of the object ({name}) does not match the name on the URL ({url})"
METADATA_ORDER = ("name", "generateName", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                  "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
                  "finalizers", "managedFields")
UNCHANGED_METADATA = ("uid", "creationTimestamp", "generation", "deletionTimestamp", "namespace", "name")


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _comparable(obj: dict) -> dict:
    """`obj` without what changes on every write, to tell a no-op write from a change."""
    obj = copy.deepcopy(obj)
    metadata = obj.get("metadata") or {}
    metadata.pop("resourceVersion", None)
    for entry in metadata.get("managedFields") or []:
        entry.pop("time", None)
    return obj


class Store:
    def __init__(self, clock: Callable[[], str] = utc_now) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self._objects: dict[str, dict[Key, dict]] = {r.plural + "." + r.group: {} for r in STORED}
            self._versions = itertools.count(1)
            self.resource_version = 0
            self._addresses = itertools.count(10)
            # Called with (resource, object) after an object is gone: the kubelet drops logs and metrics.
            self.on_removed: list[Callable[[ResourceType, dict], None]] = getattr(self, "on_removed", [])
            self._ensure_default_namespaces()

    def _ensure_default_namespaces(self) -> None:
        for name in ("default", "kube-system"):
            self.create(NAMESPACES, "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
                        manager="kube-apiserver")

    def _table(self, resource: ResourceType) -> dict[Key, dict]:
        return self._objects[resource.plural + "." + resource.group]

    @contextlib.contextmanager
    def dry_run(self) -> Iterator[None]:
        """`?dryRun=All`: the write is checked and answered, then everything is as before."""
        with self.lock:
            saved = (copy.deepcopy(self._objects), self.resource_version, self.on_removed)
            self.on_removed = []
            try:
                yield
            finally:
                self._objects, self.resource_version, self.on_removed = saved
                self._versions = itertools.count(self.resource_version + 1)

    def _cluster_ip(self) -> str:
        number = next(self._addresses)
        return f"10.96.{number // 250}.{number % 250 + 1}"

    def _next_version(self) -> str:
        self.resource_version = next(self._versions)
        return str(self.resource_version)

    # Reads ---------------------------------------------------------------------------

    def get(self, resource: ResourceType, namespace: str, name: str) -> dict:
        with self.lock:
            found = self._table(resource).get((namespace, name))
            if found is None:
                raise errors.not_found(resource, name)
            return copy.deepcopy(found)

    def find(self, resource: ResourceType, namespace: str, name: str) -> dict | None:
        with self.lock:
            found = self._table(resource).get((namespace, name))
            return copy.deepcopy(found) if found is not None else None

    def select(self, resource: ResourceType, namespace: str | None = None,
             predicate: Callable[[dict], bool] = lambda _: True) -> tuple["list[dict]", str]:
        with self.lock:
            items = [copy.deepcopy(obj) for (ns, _), obj in sorted(self._table(resource).items())
                     if (namespace is None or ns == namespace) and predicate(obj)]
            return items, str(self.resource_version)

    # Writes --------------------------------------------------------------------------

    def _check_namespace(self, resource: ResourceType, namespace: str, name: str) -> None:
        if not resource.namespaced:
            return
        found = self._table(NAMESPACES).get(("", namespace))
        if found is None:
            raise errors.not_found(NAMESPACES, namespace)
        if found["metadata"].get("deletionTimestamp"):
            raise errors.terminating(resource, name, namespace)

    def create(self, resource: ResourceType, namespace: str, body: dict, *, manager: str) -> dict:
        with self.lock:
            obj = copy.deepcopy(body)
            metadata = obj.setdefault("metadata", {})
            if not metadata.get("name") and metadata.get("generateName"):
                metadata["name"] = metadata["generateName"] + secrets.token_hex(3)[:5]
            name = metadata.get("name") or ""
            if name:
                self._check_namespace(resource, namespace, name)
            if (namespace, name) in self._table(resource) and name:
                raise errors.already_exists(resource, name)
            for key in ("resourceVersion", "deletionTimestamp", "managedFields", "generation"):
                metadata.pop(key, None)
            metadata["uid"] = str(uuid.uuid4())
            metadata["creationTimestamp"] = self.clock()
            if resource.status_subresource and resource.plural != "namespaces":
                obj.pop("status", None)
            return self._commit(resource, namespace, None, obj, manager=manager)

    def _commit(self, resource: ResourceType, namespace: str, old: dict | None, obj: dict, *,
                manager: str, subresource: str = "", record: bool = True) -> dict:
        """Default, validate, track ownership and generation, and store `obj` (replacing `old`)."""
        obj["apiVersion"], obj["kind"] = resource.api_version, resource.kind
        metadata = obj.setdefault("metadata", {})
        if resource.namespaced:
            metadata["namespace"] = namespace
        else:
            metadata.pop("namespace", None)
        if resource.plural == "secrets":
            _fold_string_data(obj)
        apply_defaults(resource.plural, obj, cluster_ip=self._cluster_ip)
        causes = validate(resource.plural, obj, old)
        if causes:
            raise errors.invalid(resource, metadata.get("name") or "", causes)
        name = metadata["name"]
        if record:
            record_update(old, obj, manager=manager, now=self.clock(), subresource=subresource)
        if old is not None and _comparable(old) == _comparable(obj):
            return copy.deepcopy(old)
        if resource.tracks_generation:
            if old is None:
                metadata["generation"] = 1
            else:
                changed = old.get("spec") != obj.get("spec") or (
                    metadata.get("deletionTimestamp") and not old["metadata"].get("deletionTimestamp"))
                metadata["generation"] = old["metadata"].get("generation", 1) + (1 if changed else 0)
        metadata["resourceVersion"] = self._next_version()
        obj["metadata"] = _ordered(metadata)
        if metadata.get("deletionTimestamp") and not metadata.get("finalizers"):
            self._remove(resource, namespace, name, "Background")
            return copy.deepcopy(obj)
        self._table(resource)[(namespace, name)] = obj
        return copy.deepcopy(obj)

    def update(self, resource: ResourceType, namespace: str, name: str, body: dict, *, manager: str,
               subresource: str = "", record: bool = True) -> dict:
        """Replace (PUT) the object, or its status with subresource="status"."""
        with self.lock:
            old = self._table(resource).get((namespace, name))
            if old is None:
                raise errors.not_found(resource, name)
            wanted = (body.get("metadata") or {}).get("resourceVersion")
            if wanted and wanted != old["metadata"]["resourceVersion"]:
                raise errors.conflict(resource, name)
            if (body.get("metadata") or {}).get("name", name) != name:
                raise errors.bad_request(f'the name of the object ({body["metadata"]["name"]}) does not match '
                                         f"the name on the URL ({name})")
            if subresource == "status":
                obj = copy.deepcopy(old)
                obj["status"] = copy.deepcopy(body.get("status") or {})
            else:
                obj = copy.deepcopy(body)
                metadata = obj.setdefault("metadata", {})
                metadata["managedFields"] = copy.deepcopy(old["metadata"].get("managedFields") or [])
                if resource.status_subresource:
                    obj["status"] = copy.deepcopy(old.get("status"))
                    if obj["status"] is None:
                        obj.pop("status")
            for key in UNCHANGED_METADATA:
                if key in old["metadata"]:
                    obj["metadata"][key] = old["metadata"][key]
                else:
                    obj["metadata"].pop(key, None)
            return self._commit(resource, namespace, copy.deepcopy(old), obj, manager=manager,
                                subresource=subresource, record=record)

    def write(self, resource: ResourceType, namespace: str, name: str, change: Callable[[dict], None], *,
              manager: str, subresource: str = "") -> dict:
        """Read, change in place, write back (optimistic concurrency cannot fail under the lock)."""
        with self.lock:
            obj = self.get(resource, namespace, name)
            change(obj)
            return self.update(resource, namespace, name, obj, manager=manager, subresource=subresource,
                               record=subresource != "status")

    def patch(self, resource: ResourceType, namespace: str, name: str, content_type: str, patch, *,
              manager: str, force: bool = False, subresource: str = "") -> dict:
        with self.lock:
            if content_type == APPLY_PATCH:
                return self._apply(resource, namespace, name, patch, manager=manager, force=force,
                                   subresource=subresource)
            old = self.get(resource, namespace, name)
            if content_type == MERGE_PATCH:
                patched = merge_patch(old, patch)
            elif content_type == STRATEGIC_PATCH:
                patched = strategic_merge_patch(old, patch)
            elif content_type == JSON_PATCH:
                if not isinstance(patch, list):
                    raise errors.bad_request("a JSON patch is a list of operations")
                patched = json_patch(old, patch)
            else:
                raise errors.unsupported_media_type(content_type)
            if not isinstance(patched, dict):
                raise errors.bad_request("the patched object is not an object")
            return self.update(resource, namespace, name, patched, manager=manager, subresource=subresource)

    def _apply(self, resource: ResourceType, namespace: str, name: str, config, *, manager: str, force: bool,
               subresource: str) -> dict:
        if not isinstance(config, dict):
            raise errors.bad_request(APPLY_NOT_OBJECT)
        if (config.get("apiVersion"), config.get("kind")) != (resource.api_version, resource.kind):
            raise errors.bad_request(APPLY_TYPE.format(api_version=resource.api_version, kind=resource.kind))
        metadata = config.get("metadata") or {}
        if metadata.get("name", name) != name:
            raise errors.bad_request(APPLY_NAME.format(name=metadata.get("name"), url=name))
        old = self._table(resource).get((namespace, name))
        wanted = metadata.get("resourceVersion")
        if old is None:
            if subresource or wanted:
                raise errors.not_found(resource, name)
            self._check_namespace(resource, namespace, name)
        elif wanted and wanted != old["metadata"]["resourceVersion"]:
            raise errors.conflict(resource, name)
        try:
            obj = apply(old, config, manager=manager, force=force, now=self.clock(), subresource=subresource)
        except ApplyConflicts as conflicts:
            raise errors.KubeError(409, "Conflict", conflicts.message(),
                                   {"name": name, "kind": resource.plural, "causes": conflicts.causes()}) from None
        obj.setdefault("metadata", {})["name"] = name
        if old is None:
            obj["metadata"]["uid"] = str(uuid.uuid4())
            obj["metadata"]["creationTimestamp"] = self.clock()
        else:
            for key in UNCHANGED_METADATA:
                if key in old["metadata"]:
                    obj["metadata"][key] = old["metadata"][key]
        return self._commit(resource, namespace, copy.deepcopy(old) if old else None, obj, manager=manager,
                            subresource=subresource, record=False)

    # Deletes -------------------------------------------------------------------------

    def delete(self, resource: ResourceType, namespace: str, name: str, *,
               propagation: str | None = None, resource_version: str | None = None) -> dict | None:
        """Delete now (returns None), or mark deleting and return the object (finalizers, namespaces)."""
        with self.lock:
            obj = self._table(resource).get((namespace, name))
            if obj is None:
                raise errors.not_found(resource, name)
            if resource_version and resource_version != obj["metadata"]["resourceVersion"]:
                raise errors.conflict(resource, name)
            propagation = propagation or DEFAULT_PROPAGATION.get(resource.plural, "Background")
            if resource.plural == "namespaces" or obj["metadata"].get("finalizers"):
                if not obj["metadata"].get("deletionTimestamp"):
                    obj["metadata"]["deletionTimestamp"] = self.clock()
                    obj["metadata"]["deletionGracePeriodSeconds"] = 0
                    if resource.plural == "namespaces":
                        obj["status"] = {"phase": "Terminating"}
                    if resource.tracks_generation:
                        obj["metadata"]["generation"] = obj["metadata"].get("generation", 1) + 1
                    obj["metadata"]["resourceVersion"] = self._next_version()
                return copy.deepcopy(obj)
            self._remove(resource, namespace, name, propagation)
            return None

    def _remove(self, resource: ResourceType, namespace: str, name: str, propagation: str) -> None:
        obj = self._table(resource).pop((namespace, name), None)
        if obj is None:
            return
        self._next_version()
        uid = obj["metadata"]["uid"]
        for other in STORED:
            for (ns, other_name), dependent in list(self._table(other).items()):
                owners = dependent["metadata"].get("ownerReferences") or []
                if not any(o.get("uid") == uid for o in owners):
                    continue
                if propagation == "Orphan":
                    dependent["metadata"]["ownerReferences"] = [o for o in owners if o.get("uid") != uid]
                    dependent["metadata"]["resourceVersion"] = self._next_version()
                else:
                    self._remove(other, ns, other_name, "Background")
        for hook in self.on_removed:
            hook(resource, obj)

    def finish_namespace(self, name: str) -> None:
        """The namespace controller's job: remove everything in a terminating namespace, then it."""
        with self.lock:
            for resource in STORED:
                if resource.namespaced:
                    for (ns, obj_name) in list(self._table(resource)):
                        if ns == name:
                            self._remove(resource, ns, obj_name, "Background")
            self._remove(NAMESPACES, "", name, "Background")


def _ordered(metadata: dict) -> dict:
    """Metadata in the order a real API server writes it (kubectl output reads the same)."""
    first = {k: metadata[k] for k in METADATA_ORDER if k in metadata}
    return {**first, **{k: v for k, v in metadata.items() if k not in first}}


def _fold_string_data(obj: dict) -> None:
    """A Secret's stringData is write-only: it lands base64-encoded in data."""
    import base64

    string_data = obj.pop("stringData", None) or {}
    if string_data:
        data = obj.setdefault("data", {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
