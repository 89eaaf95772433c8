"""The Kubernetes objects an application should have, for one release. Pure.

One Namespace per organisation + project; per process a Deployment (`replicas` from
`process_counts`, resources from its pod class); a Service for `web`; a
PodDisruptionBudget for each process running more than one replica; one Secret with
the release's configuration, which every container reads with `envFrom`. Every object
carries the application's labels and the hash of its own manifest (annotation
`berth.dev/applied`), so a later pass can tell "as applied" from "changed since".
"""

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconcilers.kube.naming import (
    APPLICATION_ID_KEY,
    APPLIED_KEY,
    COMPONENT_KEY,
    PROCESS_KEY,
    RELEASE_KEY,
    application_labels,
    namespace_labels,
    namespace_name,
    process_name,
    release_label,
    secret_name,
    service_name,
)
from reconcilers.kube.ports import KubeApplication, KubeRelease
from schemas.v1.pod_classes import pod_class_for

Manifest = dict[str, Any]

WEB = "web"
HTTP_PORT_NAME = "http"
SERVICE_PORT = 80
REVISION_HISTORY = 5
SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
PROCESS = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

NOT_IN_RELEASE = "process {process} has no command in release v{version}'s Procfile"
BAD_PROCESS_NAME = "process name {process!r} is not a DNS-1123 label"
BAD_CONFIGURATION_NAME = "configuration {name!r} cannot be a Secret key (letters, digits, '-', '_', '.')"


@dataclass(frozen=True, slots=True)
class RenderSettings:
    """`web_port`: the port `web` listens on (given to it as PORT). `image_pull_secret`:
    a Secret in each namespace to pull built images with, when the registry is private."""

    web_port: int = 8000
    image_pull_secret: str | None = None


@dataclass(frozen=True, slots=True)
class Rendering:
    objects: tuple[Manifest, ...]
    processes: Mapping[str, int]  # process → replicas, of the Deployments rendered
    problems: tuple[str, ...] = field(default=())  # what could not be rendered, and why


def manifest_hash(manifest: Mapping[str, Any]) -> str:
    """sha256 (16 hex digits) of the manifest without its own hash annotation."""
    metadata = dict(manifest.get("metadata") or {})
    annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if k != APPLIED_KEY}
    metadata["annotations"] = annotations
    canonical = json.dumps({**manifest, "metadata": metadata}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def stamped(manifest: Manifest) -> Manifest:
    metadata = manifest["metadata"]
    metadata["annotations"] = {**metadata.get("annotations", {}), APPLIED_KEY: manifest_hash(manifest)}
    return manifest


def render_namespace(app: KubeApplication) -> Manifest:
    return stamped(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": namespace_name(app), "labels": namespace_labels(app)},
        }
    )


def render_secret(app: KubeApplication, configuration: Mapping[str, str]) -> Manifest:
    data = {
        name: base64.b64encode(value.encode()).decode()
        for name, value in sorted(configuration.items())
        if SECRET_KEY.match(name)
    }
    return stamped(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": secret_name(app),
                "namespace": namespace_name(app),
                "labels": application_labels(app),
            },
            "type": "Opaque",
            "data": data,
        }
    )


def _probes(app: KubeApplication) -> dict[str, Any]:
    http_get: dict[str, Any] = {"path": app.health_check_path or "/", "port": HTTP_PORT_NAME, "scheme": "HTTP"}
    if app.health_check_host:
        http_get["httpHeaders"] = [{"name": "Host", "value": app.health_check_host}]
    return {
        "readinessProbe": {
            "httpGet": http_get,
            "periodSeconds": 5,
            "timeoutSeconds": 2,
            "failureThreshold": 3,
            "successThreshold": 1,
        },
        # Generous: a slow start must not be killed before it could ever be ready.
        "livenessProbe": {
            "httpGet": http_get,
            "initialDelaySeconds": 30,
            "periodSeconds": 10,
            "timeoutSeconds": 5,
            "failureThreshold": 6,
            "successThreshold": 1,
        },
    }


def _selector(app: KubeApplication, process: str) -> dict[str, str]:
    # Immutable once created: only the application id and the process, never the release.
    return {APPLICATION_ID_KEY: str(app.id), PROCESS_KEY: process}


def render_deployment(
    app: KubeApplication, release: KubeRelease, process: str, replicas: int, settings: RenderSettings
) -> Manifest:
    labels = {**application_labels(app), PROCESS_KEY: process, COMPONENT_KEY: process}
    container: dict[str, Any] = {
        "name": process,
        "image": release.image_reference,
        "imagePullPolicy": "IfNotPresent",
        "envFrom": [{"secretRef": {"name": secret_name(app)}}],
        "resources": pod_class_for(process, dict(app.process_pod_classes)).resources(),
    }
    command = release.processes.get(process)
    if command:
        container["command"] = ["/bin/sh", "-c"]
        container["args"] = [command]
    if process == WEB:
        container["env"] = [{"name": "PORT", "value": str(settings.web_port)}]
        container["ports"] = [{"name": HTTP_PORT_NAME, "containerPort": settings.web_port, "protocol": "TCP"}]
        container.update(_probes(app))
    pod_spec: dict[str, Any] = {"containers": [container], "enableServiceLinks": False}
    if settings.image_pull_secret:
        pod_spec["imagePullSecrets"] = [{"name": settings.image_pull_secret}]
    return stamped(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": process_name(app, process),
                "namespace": namespace_name(app),
                "labels": {**labels, RELEASE_KEY: release_label(release.version)},
            },
            "spec": {
                "replicas": replicas,
                "revisionHistoryLimit": REVISION_HISTORY,
                # Kubernetes reports ProgressDeadlineExceeded about when berth gives up.
                "progressDeadlineSeconds": max(app.deployment_timeout, 1),
                "selector": {"matchLabels": _selector(app, process)},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
                "template": {
                    "metadata": {"labels": {**labels, RELEASE_KEY: release_label(release.version)}},
                    "spec": pod_spec,
                },
            },
        }
    )


def render_service(app: KubeApplication) -> Manifest:
    return stamped(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": service_name(app),
                "namespace": namespace_name(app),
                "labels": {**application_labels(app), PROCESS_KEY: WEB},
            },
            "spec": {
                "type": "ClusterIP",
                "selector": _selector(app, WEB),
                "ports": [{"name": HTTP_PORT_NAME, "port": SERVICE_PORT, "targetPort": HTTP_PORT_NAME, "protocol": "TCP"}],
            },
        }
    )


def render_disruption_budget(app: KubeApplication, process: str) -> Manifest:
    return stamped(
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {
                "name": process_name(app, process),
                "namespace": namespace_name(app),
                "labels": {**application_labels(app), PROCESS_KEY: process},
            },
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": _selector(app, process)}},
        }
    )


def wanted_processes(app: KubeApplication) -> Mapping[str, int]:
    """`process_counts`; an application never scaled runs one `web`."""
    return app.process_counts or {WEB: 1}


def render_application(
    app: KubeApplication, release: KubeRelease | None, settings: RenderSettings = RenderSettings()
) -> Rendering:
    """Everything the application should have while `release` serves. Without a release
    (nothing deployed yet) only the namespace: there is nothing to run."""
    objects: list[Manifest] = [render_namespace(app)]
    if release is None:
        return Rendering(tuple(objects), {})
    problems = [BAD_CONFIGURATION_NAME.format(name=n) for n in sorted(release.configuration) if not SECRET_KEY.match(n)]
    objects.append(render_secret(app, release.configuration))
    processes: dict[str, int] = {}
    for process, count in sorted(wanted_processes(app).items()):
        if not PROCESS.match(process):
            problems.append(BAD_PROCESS_NAME.format(process=process))
            continue
        if release.processes and process not in release.processes:
            problems.append(NOT_IN_RELEASE.format(process=process, version=release.version))
            continue
        replicas = max(int(count), 0)
        processes[process] = replicas
        objects.append(render_deployment(app, release, process, replicas, settings))
        if process == WEB:
            objects.append(render_service(app))
        if replicas > 1:
            objects.append(render_disruption_budget(app, process))
    return Rendering(tuple(objects), processes, tuple(problems))
