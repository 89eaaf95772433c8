"""docker-compose YAML → Quant Cloud's compose definition, for `POST …/compose/validate`.

A small, pure translation of the common service keys; the result is validated as a
`Compose` like every other compose definition.
"""

import shlex
from typing import Any

import yaml

from schemas.wire import CamelModel

INVALID_YAML = "Invalid YAML"
NO_SERVICES = "the document has no services"
BUILD_WARNING = "Service {name!r} uses 'build' directive, image will be internal with a generated tag."
IGNORED_WARNING = "Service {name!r}: {key!r} is not supported and was ignored."
CONDITIONS: dict[str | None, str] = {"service_started": "START", "service_healthy": "HEALTHY", "service_completed_successfully": "SUCCESS"}
KNOWN = {
    "image", "build", "ports", "expose", "environment", "command", "entrypoint", "working_dir", "user",
    "depends_on", "healthcheck", "read_only", "volumes", "container_name",
}


class TranslationError(ValueError):
    pass


class ValidateComposeRequest(CamelModel):
    """`validateCompose_request`; raw YAML as the whole body is accepted too."""

    compose: str
    image_suffix: str | None = None
    application: str | None = None


class ComposeValidated(CamelModel):
    """`validateCompose_200_response`."""

    message: str
    translated_compose_definition: dict[str, Any]
    translation_warnings: list[str] | None = None


class ComposeInvalid(CamelModel):
    """`validateCompose_422_response`, plus berth's `errors` naming every bad field."""

    error: str
    errors: list[dict[str, str]] | None = None


def _words(value: Any) -> list[str]:
    return shlex.split(value) if isinstance(value, str) else [str(v) for v in value]


def _seconds(value: Any) -> Any:
    if isinstance(value, str) and value.endswith("s") and value[:-1].isdigit():
        return int(value[:-1])
    return value


def _port(value: Any) -> Any:
    text = str(value).split("/")[0]
    return int(text.rsplit(":", 1)[-1]) if text.rsplit(":", 1)[-1].isdigit() else value


def _environment(value: Any) -> list[dict]:
    if isinstance(value, dict):
        return [{"name": str(k), "value": "" if v is None else str(v)} for k, v in value.items()]
    return [dict(zip(("name", "value"), (*str(item).split("=", 1), "")[:2], strict=True)) for item in value]


def _container(name: str, service: dict, suffix: str | None, warnings: list[str]) -> dict:
    container: dict[str, Any] = {"name": name}
    if "image" in service and "build" not in service:
        container["imageReference"] = {"type": "external", "identifier": str(service["image"])}
    else:
        if "build" in service:
            warnings.append(BUILD_WARNING.format(name=name))
        container["imageReference"] = {"type": "internal", "identifier": f"{name}-{suffix}" if suffix else name}
    ports = [_port(p) for p in [*service.get("ports", []), *service.get("expose", [])]]
    if ports:
        container["exposedPorts"] = list(dict.fromkeys(ports))
    if "environment" in service:
        container["environment"] = _environment(service["environment"] or [])
    for key, field in (("command", "command"), ("entrypoint", "entryPoint")):
        if key in service:
            container[field] = _words(service[key])
    for key, field in (("working_dir", "workingDirectory"), ("user", "user"), ("read_only", "readonlyRootFilesystem")):
        if key in service:
            container[field] = service[key]
    depends = service.get("depends_on")
    if isinstance(depends, dict):
        container["dependsOn"] = [
            {"containerName": n, "condition": CONDITIONS.get((c or {}).get("condition"), "START")}
            for n, c in depends.items()
        ]
    elif depends:
        container["dependsOn"] = [{"containerName": n} for n in depends]
    if isinstance(check := service.get("healthcheck"), dict) and "test" in check:
        container["healthCheck"] = {
            "command": _words(check["test"]),
            **{field: _seconds(check[key]) for key, field in
               (("interval", "interval"), ("timeout", "timeout"), ("retries", "retries"),
                ("start_period", "startPeriod")) if key in check},
        }
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str) and ":" in volume:
            source, path, *mode = volume.split(":")
            mounts.append({"sourceVolume": source, "containerPath": path, "readOnly": mode == ["ro"]})
    if mounts:
        container["mountPoints"] = mounts
    warnings.extend(IGNORED_WARNING.format(name=name, key=key) for key in service if key not in KNOWN)
    return container


def translate(text: str, suffix: str | None = None) -> tuple[dict, list[str]]:
    """The compose definition (wire form, not yet validated) and the translation's warnings."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        raise TranslationError(INVALID_YAML) from None
    if not isinstance(document, dict):
        raise TranslationError(INVALID_YAML)
    services = document.get("services")
    if not isinstance(services, dict) or not services:
        raise TranslationError(NO_SERVICES)
    warnings: list[str] = []
    containers = [_container(str(n), s if isinstance(s, dict) else {}, suffix, warnings) for n, s in services.items()]
    return {"containers": containers}, warnings
