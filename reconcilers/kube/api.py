"""`KubeApi`: the few Kubernetes REST calls berth makes, on plain dicts.

Through kubernetes-asyncio's `ApiClient.call_api`, so whatever the client's
configuration says (kubeconfig, in-cluster service account, a bare host for the
simulated cluster) authenticates every call exactly as the typed APIs would; but
objects stay the JSON the server sent, which the pure plans compare directly.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from reconcilers.kube.naming import MANAGED_BY
from reconcilers.results import TemporaryError

APPLY_CONTENT_TYPE = "application/apply-patch+yaml"
JSON = "application/json"
AUTH = ["BearerToken"]

UNREACHABLE = "the Kubernetes API server did not answer {method} {path}: {error}"
SERVER_ERROR = "the Kubernetes API server answered {method} {path} with {status}: {message}"


@dataclass(frozen=True, slots=True)
class KindPath:
    """Where a kind lives: `/api/v1` or `/apis/{group}/{version}`, its plural, and whether
    it is namespaced."""

    prefix: str
    plural: str
    namespaced: bool = True

    def collection(self, namespace: str | None) -> str:
        if self.namespaced and namespace:
            return f"{self.prefix}/namespaces/{quote(namespace)}/{self.plural}"
        return f"{self.prefix}/{self.plural}"

    def item(self, namespace: str | None, name: str) -> str:
        return f"{self.collection(namespace)}/{quote(name)}"


KINDS: dict[str, KindPath] = {
    "Namespace": KindPath("/api/v1", "namespaces", namespaced=False),
    "Secret": KindPath("/api/v1", "secrets"),
    "Service": KindPath("/api/v1", "services"),
    "Pod": KindPath("/api/v1", "pods"),
    "Event": KindPath("/api/v1", "events"),
    "Deployment": KindPath("/apis/apps/v1", "deployments"),
    "Job": KindPath("/apis/batch/v1", "jobs"),
    "PodDisruptionBudget": KindPath("/apis/policy/v1", "poddisruptionbudgets"),
    "PodMetrics": KindPath("/apis/metrics.k8s.io/v1beta1", "pods"),
}


class KubeApiError(Exception):
    """A 4xx answer: `status`, and the Status object's `reason` and `message`."""

    def __init__(self, method: str, path: str, status: int, body: Mapping[str, Any]):
        self.status = status
        self.reason = str(body.get("reason") or "")
        self.message = str(body.get("message") or "")
        super().__init__(f"{method} {path}: {status} {self.reason}: {self.message}")


class KubeApi:
    def __init__(self, api_client: Any, field_manager: str = MANAGED_BY):
        """`api_client`: an entered `kubernetes_asyncio.client.ApiClient`."""
        self._client = api_client
        self._field_manager = field_manager

    async def _call(
        self,
        method: str,
        path: str,
        *,
        query: list[tuple[str, str]] | None = None,
        body: Any = None,
        content_type: str = JSON,
        raw: bool = False,
    ) -> Any:
        try:
            response = await self._client.call_api(
                path,
                method,
                query_params=query or [],
                header_params={"Accept": "text/plain" if raw else JSON, "Content-Type": content_type},
                body=body,
                auth_settings=AUTH,
                _preload_content=False,
            )
            status = response.status
            data = await response.read()
            response.release()
        except (OSError, TimeoutError, aiohttp.ClientError) as error:
            raise TemporaryError(UNREACHABLE.format(method=method, path=path, error=error), delay=5) from error
        if status >= 500 or status == 429:
            message = _status_body(data).get("message") or data[:200].decode(errors="replace")
            raise TemporaryError(SERVER_ERROR.format(method=method, path=path, status=status, message=message))
        if status >= 400:
            raise KubeApiError(method, path, status, _status_body(data))
        if raw:
            return data.decode(errors="replace")
        return json.loads(data) if data else {}

    async def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        try:
            return await self._call("GET", KINDS[kind].item(namespace, name))
        except KubeApiError as error:
            if error.status == 404:
                return None
            raise

    async def list(self, kind: str, namespace: str | None, selector: str = "") -> list[dict[str, Any]]:
        query = [("labelSelector", selector)] if selector else []
        try:
            answer = await self._call("GET", KINDS[kind].collection(namespace), query=query)
        except KubeApiError as error:
            if error.status == 404:  # the namespace, or the metrics API, is not there
                return []
            raise
        return list(answer.get("items") or [])

    async def apply(self, manifest: Mapping[str, Any], *, force: bool = True) -> dict[str, Any]:
        """Server-side apply as field manager `berth`; `force` takes over fields another
        manager changed (berth's desired state wins for the fields berth sets)."""
        metadata = manifest["metadata"]
        path = KINDS[manifest["kind"]].item(metadata.get("namespace"), metadata["name"])
        query = [("fieldManager", self._field_manager)]
        if force:
            query.append(("force", "true"))
        return await self._call("PATCH", path, query=query, body=dict(manifest), content_type=APPLY_CONTENT_TYPE)

    async def delete(self, kind: str, namespace: str | None, name: str) -> bool:
        """True when a delete was accepted, False when the object was already gone.
        Dependents (a Deployment's ReplicaSets and pods, a Job's pods) go in the background."""
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}
        try:
            await self._call("DELETE", KINDS[kind].item(namespace, name), body=body)
        except KubeApiError as error:
            if error.status == 404:
                return False
            raise
        return True

    async def pod_log(self, namespace: str, name: str, *, container: str | None = None, limit_bytes: int = 0) -> str:
        query = [("container", container)] if container else []
        if limit_bytes:
            query.append(("limitBytes", str(limit_bytes)))
        try:
            return await self._call("GET", f"{KINDS['Pod'].item(namespace, name)}/log", query=query, raw=True)
        except KubeApiError as error:
            if error.status in (400, 404):  # not started yet, or gone
                return ""
            raise


def _status_body(data: bytes) -> dict[str, Any]:
    try:
        body = json.loads(data)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
