"""The task definition of an environment: rendered from its spec, compared after normalising.

Pure: no IO, no clock. `render_task_definition` builds the RegisterTaskDefinition
request; `normalise` reduces a request or a DescribeTaskDefinition answer to the
fields berth manages, with AWS's defaults filled in and order-free lists sorted, so
that a revision AWS registered from our request compares equal to that request.
Tags are left out of the comparison: they are fixed per family (its name is
derived from the same ids the tags carry).

Every level is an allow-list of the keys berth renders: whatever else ECS reports
(`configuredAtLaunch: false` and `host: {}` on volumes, `volumesFrom: []` on
containers, `compatibilities` on the task, …) is its own addition or default and
must not count as a difference, or every pass would register a new revision. A key
berth starts rendering must be added here too (a test checks that none is dropped).
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconcilers.aws.app_secrets import is_arn, store_value_from
from reconcilers.aws.config import AwsConfig
from reconcilers.aws.log_group import log_group_name
from reconcilers.aws.naming import ecs_tags, ownership_tags, workload_name
from reconcilers.aws.workload_inputs import FILESYSTEM_VOLUME, FilesystemMount, WorkloadInputs
from reconcilers.ports import EnvironmentRecord
from schemas.desired import EnvironmentSpec
from schemas.log_names import LOG_STREAM_PREFIX
from schemas.v3.compose import Container, HealthCheck, ImageType

NO_REGISTRY = (
    "container {name!r} uses an internal image, but neither the organisation's ECR repository "
    "nor a registry (BERTH_ECR_REGISTRY) is known"
)
NO_SECRET_STORE = (
    "container {name!r} refers to key {key!r} of the app-secrets store, which does not exist"
)
ECR_REPOSITORY = "berth/{organisation}"

HEALTH_CHECK_FORMS = frozenset({"CMD", "CMD-SHELL", "NONE"})
HEALTH_CHECK_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3}


class RenderError(ValueError):
    """The spec cannot become a task definition with this configuration."""


@dataclass(frozen=True, slots=True)
class RegisterTaskDefinition:
    """The one action on task definitions: register `request` as the family's next revision."""

    family: str
    request: Mapping[str, Any]
    changed: tuple[str, ...]  # what differs from the latest ACTIVE revision, for the event


def ecr_repository_name(organisation: str) -> str:
    """The organisation's ECR repository, shared by all its applications' environments."""
    return ECR_REPOSITORY.format(organisation=organisation)


def internal_image_tag(identifier: str, spec: EnvironmentSpec) -> str:
    """`spec.image_tag` (from `PUT …/state`) or the container's identifier, then
    `-{image_suffix}` when set; a digest (`sha256:…`) is used as it is."""
    tag = spec.image_tag or identifier
    if tag.startswith("sha256:"):
        return tag
    return f"{tag}-{spec.image_suffix}" if spec.image_suffix else tag


def image_uri(
    container: Container, env: EnvironmentRecord, repository: str | None, ecr_registry: str | None = None
) -> str:
    """`repository`: the organisation's ECR repository URI; without it, the one in
    `ecr_registry` (`{registry}/berth/{organisation}`)."""
    reference = container.image_reference
    if reference.type == ImageType.EXTERNAL:
        return reference.identifier
    if not repository and ecr_registry:
        repository = f"{ecr_registry}/{ecr_repository_name(env.organisation)}"
    if not repository:
        raise RenderError(NO_REGISTRY.format(name=container.name))
    tag = internal_image_tag(reference.identifier, env.spec)
    separator = "@" if tag.startswith("sha256:") else ":"
    return f"{repository}{separator}{tag}"


def uses_internal_images(env: EnvironmentRecord) -> bool:
    return any(c.image_reference.type == ImageType.INTERNAL for c in env.spec.compose.containers)


def image_tag(image: str) -> str:
    """`repo:tag` → tag, `repo@sha256:…` → the digest, `repo` → `latest`."""
    if "@" in image:
        return image.rsplit("@", 1)[1]
    last = image.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else "latest"


def deployed_image_tag(task_definition: Mapping[str, Any]) -> str:
    """The image tag of the first essential container: what a deployment record shows."""
    containers = task_definition.get("containerDefinitions") or []
    chosen = next((c for c in containers if c.get("essential", True)), None)
    return image_tag(chosen["image"]) if chosen else ""


def _health_check(check: HealthCheck | None) -> dict[str, Any] | None:
    if check is None or not check.command:
        return None
    # A bare argv is exec form; ECS wants the form named first.
    command = check.command if check.command[0] in HEALTH_CHECK_FORMS else ["CMD", *check.command]
    rendered: dict[str, Any] = {
        "command": list(command),
        "interval": check.interval,
        "timeout": check.timeout,
        "retries": check.retries,
    }
    if check.start_period is not None:
        rendered["startPeriod"] = check.start_period
    return rendered


def _environment(container: Container, variables: Sequence[Any]) -> list[dict[str, str]]:
    merged = {v.name: v.value for v in variables}
    merged.update({v.name: v.value for v in container.environment or ()})
    return [{"name": name, "value": merged[name]} for name in sorted(merged)]


def _secrets(container: Container, inputs: WorkloadInputs) -> list[dict[str, str]]:
    """The container's own secrets (an ARN as given, else a key of the app-secrets store),
    then the injected ones (the database's) it does not name itself."""
    secrets: dict[str, str] = {}
    for secret in container.secrets or ():
        if is_arn(secret.value_from):
            secrets[secret.name] = secret.value_from
        elif inputs.app_secrets_arn:
            secrets[secret.name] = store_value_from(inputs.app_secrets_arn, secret.value_from)
        else:
            raise RenderError(NO_SECRET_STORE.format(name=container.name, key=secret.value_from))
    for name, value_from in inputs.dependencies.injected_secrets if inputs.dependencies else ():
        secrets.setdefault(name, value_from)
    return [{"name": name, "valueFrom": secrets[name]} for name in sorted(secrets)]


def _mount_points(container: Container, filesystem: FilesystemMount | None) -> list[dict[str, Any]]:
    mounts = {
        m.container_path: {"sourceVolume": m.source_volume, "containerPath": m.container_path, "readOnly": m.read_only}
        for m in container.mount_points or ()
    }
    if filesystem is not None:  # the environment's file system, in every container
        mounts[filesystem.mount_path] = {
            "sourceVolume": FILESYSTEM_VOLUME,
            "containerPath": filesystem.mount_path,
            "readOnly": False,
        }
    return sorted(mounts.values(), key=lambda m: (m["containerPath"], m["sourceVolume"]))


def log_configuration(env: EnvironmentRecord, region: str) -> dict[str, Any]:
    """awslogs to the environment's log group: streams `berth/{container}/{task id}`."""
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": log_group_name(env),
            "awslogs-region": region,
            "awslogs-stream-prefix": LOG_STREAM_PREFIX,
        },
    }


def _container_definition(
    container: Container, env: EnvironmentRecord, config: AwsConfig, inputs: WorkloadInputs
) -> dict[str, Any]:
    filesystem = inputs.dependencies.filesystem if inputs.dependencies else None
    definition: dict[str, Any] = {
        "name": container.name,
        "image": image_uri(container, env, inputs.image_repository, config.ecr_registry),
        "essential": container.essential is not False,
        "readonlyRootFilesystem": bool(container.readonly_root_filesystem),
        "portMappings": [
            {"containerPort": port, "protocol": "tcp"} for port in sorted(set(container.exposed_ports or ()))
        ],
        "environment": _environment(container, env.spec.variables),
        "secrets": _secrets(container, inputs),
        "mountPoints": _mount_points(container, filesystem),
        "dependsOn": [
            {"containerName": d.container_name, "condition": d.condition.value}
            for d in sorted(container.depends_on or (), key=lambda d: d.container_name)
        ],
    }
    optional = {
        "cpu": container.cpu,
        "memory": container.memory,
        "memoryReservation": container.memory_reservation,
        "command": list(container.command) if container.command is not None else None,
        "entryPoint": list(container.entry_point) if container.entry_point is not None else None,
        "workingDirectory": container.working_directory,
        "user": container.user,
        "healthCheck": _health_check(container.health_check),
        "logConfiguration": log_configuration(env, config.region),
    }
    definition.update({key: value for key, value in optional.items() if value is not None})
    return {key: value for key, value in definition.items() if value != []}


def _volumes(env: EnvironmentRecord, filesystem: FilesystemMount | None) -> list[dict[str, Any]]:
    names = {m.source_volume for c in env.spec.compose.containers for m in c.mount_points or ()}
    volumes = {name: {"name": name} for name in names}
    if filesystem is not None:
        volumes[FILESYSTEM_VOLUME] = {
            "name": FILESYSTEM_VOLUME,
            "efsVolumeConfiguration": {
                "fileSystemId": filesystem.filesystem_id,
                "transitEncryption": "ENABLED",
                "authorizationConfig": {"accessPointId": filesystem.access_point_id, "iam": "DISABLED"},
            },
        }
    return [volumes[name] for name in sorted(volumes)]


def render_task_definition(
    env: EnvironmentRecord, config: AwsConfig, inputs: WorkloadInputs = WorkloadInputs()
) -> dict[str, Any]:
    """The RegisterTaskDefinition request for `env`'s compose. Mount points name task
    volumes of the same name (Fargate task storage, shared between the containers);
    the environment's file system, when it has one, is the EFS volume `berth-filesystem`."""
    compose = env.spec.compose
    filesystem = inputs.dependencies.filesystem if inputs.dependencies else None
    volumes = _volumes(env, filesystem)
    request: dict[str, Any] = {
        "family": workload_name(env),
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": str(compose.task_cpu),
        "memory": str(compose.task_memory),
        "runtimePlatform": {"cpuArchitecture": compose.architecture, "operatingSystemFamily": "LINUX"},
        "containerDefinitions": [_container_definition(c, env, config, inputs) for c in compose.containers],
        "tags": ecs_tags(ownership_tags(env)),
    }
    if volumes:
        request["volumes"] = volumes
    if config.execution_role_arn:
        request["executionRoleArn"] = config.execution_role_arn
    if config.task_role_arn:
        request["taskRoleArn"] = config.task_role_arn
    return request


def _compact(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v is not None and v != [] and v != {}}


def _normalise_health_check(check: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not check:
        return None
    normalised = {key: check.get(key, default) for key, default in HEALTH_CHECK_DEFAULTS.items()}
    normalised["command"] = list(check.get("command") or ())
    if check.get("startPeriod"):
        normalised["startPeriod"] = check["startPeriod"]
    return normalised


def _normalise_port(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Rendered: containerPort, protocol. ECS adds hostPort (= containerPort under awsvpc);
    only a different one is a difference."""
    port = {"containerPort": mapping["containerPort"], "protocol": mapping.get("protocol") or "tcp"}
    if mapping.get("hostPort") not in (None, mapping["containerPort"]):
        port["hostPort"] = mapping["hostPort"]
    return port


def _normalise_container(c: Mapping[str, Any]) -> dict[str, Any]:
    return _compact(
        {
            "name": c["name"],
            "image": c["image"],
            "cpu": c.get("cpu") or None,
            "memory": c.get("memory"),
            "memoryReservation": c.get("memoryReservation"),
            "portMappings": sorted(
                (_normalise_port(p) for p in c.get("portMappings") or ()),
                key=lambda p: (p["containerPort"], p["protocol"]),
            ),
            "environment": sorted(
                ({"name": e["name"], "value": e.get("value", "")} for e in c.get("environment") or ()),
                key=lambda e: e["name"],
            ),
            "secrets": sorted(
                ({"name": s["name"], "valueFrom": s["valueFrom"]} for s in c.get("secrets") or ()),
                key=lambda s: s["name"],
            ),
            "mountPoints": sorted(
                (
                    {
                        "sourceVolume": m["sourceVolume"],
                        "containerPath": m["containerPath"],
                        "readOnly": bool(m.get("readOnly", False)),
                    }
                    for m in c.get("mountPoints") or ()
                ),
                key=lambda m: (m["containerPath"], m["sourceVolume"]),
            ),
            "dependsOn": sorted(
                (
                    {"containerName": d["containerName"], "condition": d["condition"]}
                    for d in c.get("dependsOn") or ()
                ),
                key=lambda d: d["containerName"],
            ),
            "command": list(c["command"]) if c.get("command") else None,
            "entryPoint": list(c["entryPoint"]) if c.get("entryPoint") else None,
            "workingDirectory": c.get("workingDirectory") or None,
            "user": c.get("user") or None,
            "essential": c.get("essential", True),
            "readonlyRootFilesystem": bool(c.get("readonlyRootFilesystem", False)),
            "healthCheck": _normalise_health_check(c.get("healthCheck")),
            "logConfiguration": _normalise_log_configuration(c.get("logConfiguration")),
        }
    )


def _normalise_log_configuration(configuration: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not configuration:
        return None
    return {
        "logDriver": configuration.get("logDriver"),
        "options": dict(sorted((configuration.get("options") or {}).items())),
    }


def _normalise_volume(volume: Mapping[str, Any]) -> dict[str, Any]:
    """Rendered: the name alone (Fargate task storage), or the name and an EFS
    configuration. ECS adds `host: {}` and `configuredAtLaunch: false`, and fills in
    the EFS defaults (root directory `/`, IAM authorisation off)."""
    efs = volume.get("efsVolumeConfiguration")
    if not efs:
        return {"name": volume["name"]}
    authorization = efs.get("authorizationConfig") or {}
    return {
        "name": volume["name"],
        "efsVolumeConfiguration": _compact(
            {
                "fileSystemId": efs.get("fileSystemId"),
                "rootDirectory": None if efs.get("rootDirectory") in (None, "", "/") else efs["rootDirectory"],
                "transitEncryption": efs.get("transitEncryption") or "DISABLED",
                "authorizationConfig": _compact(
                    {
                        "accessPointId": authorization.get("accessPointId"),
                        "iam": authorization.get("iam") or "DISABLED",
                    }
                ),
            }
        ),
    }


def normalise(task_definition: Mapping[str, Any]) -> dict[str, Any]:
    """The fields berth manages, comparable between a request and a described revision."""
    platform = task_definition.get("runtimePlatform") or {}
    return _compact(
        {
            "family": task_definition["family"],
            "requiresCompatibilities": sorted(task_definition.get("requiresCompatibilities") or ()),
            "networkMode": task_definition.get("networkMode", "bridge"),
            "cpu": str(task_definition["cpu"]) if task_definition.get("cpu") else None,
            "memory": str(task_definition["memory"]) if task_definition.get("memory") else None,
            "runtimePlatform": {
                "cpuArchitecture": platform.get("cpuArchitecture", "X86_64"),
                "operatingSystemFamily": platform.get("operatingSystemFamily", "LINUX"),
            },
            "executionRoleArn": task_definition.get("executionRoleArn"),
            "taskRoleArn": task_definition.get("taskRoleArn"),
            "volumes": sorted(
                (_normalise_volume(v) for v in task_definition.get("volumes") or ()),
                key=lambda v: v["name"],
            ),
            "containerDefinitions": sorted(
                (_normalise_container(c) for c in task_definition.get("containerDefinitions") or ()),
                key=lambda c: c["name"],
            ),
        }
    )


def fingerprint(task_definition: Mapping[str, Any]) -> str:
    """A stable hash of what berth manages in a task definition (`normalise`): equal for a
    request and the revision ECS registered from it, different once anything berth
    renders differs. Recorded with the ARN a pass settled on, so that a later pass that
    renders the same definition, and finds the service on that ARN, need not look up
    the family's revisions: a revision never changes once registered."""
    canonical = json.dumps(normalise(task_definition), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def differences(desired: Mapping[str, Any], latest: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Dotted names of what differs (`web.image`, `cpu`); `("family",)` when nothing is registered."""
    if latest is None:
        return ("family",)
    want, have = normalise(desired), normalise(latest)
    changed = [
        key
        for key in sorted(want.keys() | have.keys())
        if key != "containerDefinitions" and want.get(key) != have.get(key)
    ]
    wanted_containers = {c["name"]: c for c in want.get("containerDefinitions", ())}
    had_containers = {c["name"]: c for c in have.get("containerDefinitions", ())}
    for name in sorted(wanted_containers.keys() | had_containers.keys()):
        mine, theirs = wanted_containers.get(name), had_containers.get(name)
        if mine is None or theirs is None:
            changed.append(name)
            continue
        changed.extend(
            f"{name}.{k}" for k in sorted(mine.keys() | theirs.keys()) if mine.get(k) != theirs.get(k)
        )
    return tuple(changed)


def plan_task_definition(
    desired: Mapping[str, Any], latest: Mapping[str, Any] | None
) -> RegisterTaskDefinition | None:
    """Register only when the latest ACTIVE revision differs from the rendered request."""
    changed = differences(desired, latest)
    if not changed:
        return None
    return RegisterTaskDefinition(family=desired["family"], request=desired, changed=changed)
