"""What an environment's workload takes from outside its own spec, and waiting for it.

The task definition and the service are rendered from the spec plus these inputs:
the organisation's ECR repository, the environment's app-secrets store, and the
outputs of the kinds the workload depends on (`environment-network`,
`rds-database`, `efs-filesystem`). `read_dependencies` is pure: given those
outputs (None until their reconciler first wrote them) it says what the workload
still waits for, or what it gets from them.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from schemas.desired import EnvironmentSpec

ENVIRONMENT_NETWORK_KIND = "environment-network"
DATABASE_KIND = "rds-database"
FILESYSTEM_KIND = "efs-filesystem"

FILESYSTEM_VOLUME = "berth-filesystem"

NOT_WRITTEN = "{kind} (no outputs yet)"
NOT_READY = "{kind} (not ready)"
INCOMPLETE = "{kind} (its outputs lack {fields})"


@dataclass(frozen=True, slots=True)
class FilesystemMount:
    """The environment's EFS file system, mounted through its access point in every container."""

    filesystem_id: str
    access_point_id: str
    mount_path: str


@dataclass(frozen=True, slots=True)
class Dependencies:
    """What the workload gets from the kinds it depends on."""

    security_group_ids: tuple[str, ...]
    service_registry_arn: str | None = None
    injected_secrets: tuple[tuple[str, str], ...] = ()  # (name, valueFrom), for every container
    filesystem: FilesystemMount | None = None


@dataclass(frozen=True, slots=True)
class Waiting:
    """The dependencies not ready yet, each as `kind (why)`."""

    on: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WorkloadInputs:
    """Everything but the spec that the task definition and the service are rendered from.
    The defaults render a workload with no dependencies and no app-secrets store."""

    image_repository: str | None = None  # the organisation's ECR repository URI, no tag
    app_secrets_arn: str | None = None  # the environment's app-secrets store, when it exists
    dependencies: Dependencies | None = None


def _unready(kind: str, outputs: Mapping[str, Any] | None, required: tuple[str, ...]) -> str | None:
    if outputs is None:
        return NOT_WRITTEN.format(kind=kind)
    if not outputs.get("ready"):
        return NOT_READY.format(kind=kind)
    missing = [name for name in required if not outputs.get(name)]
    if missing:
        return INCOMPLETE.format(kind=kind, fields=", ".join(missing))
    return None


def needs_database(spec: EnvironmentSpec) -> bool:
    return spec.database is not None


def needs_filesystem(spec: EnvironmentSpec) -> bool:
    return spec.filesystem is not None and spec.filesystem.required


def read_dependencies(
    spec: EnvironmentSpec,
    network: Mapping[str, Any] | None,
    database: Mapping[str, Any] | None = None,
    filesystem: Mapping[str, Any] | None = None,
) -> Dependencies | Waiting:
    """`network`, `database`, `filesystem`: the outputs of `environment-network`,
    `rds-database` and `efs-filesystem` for this environment (None when not written).
    The database and file system count only when the spec asks for them."""
    waiting = [_unready(ENVIRONMENT_NETWORK_KIND, network, ("securityGroupIds",))]
    if needs_database(spec):
        waiting.append(_unready(DATABASE_KIND, database, ("injectedSecrets",)))
    if needs_filesystem(spec):
        waiting.append(_unready(FILESYSTEM_KIND, filesystem, ("filesystemId", "accessPointId")))
    unready = tuple(w for w in waiting if w)
    if unready:
        return Waiting(unready)
    assert network is not None
    injected: tuple[tuple[str, str], ...] = ()
    if needs_database(spec) and database:
        injected = tuple(sorted((s["name"], s["valueFrom"]) for s in database["injectedSecrets"]))
    mount = None
    if needs_filesystem(spec) and filesystem:
        assert spec.filesystem is not None
        mount = FilesystemMount(
            filesystem_id=filesystem["filesystemId"],
            access_point_id=filesystem["accessPointId"],
            mount_path=filesystem.get("mountPath") or spec.filesystem.mount_path,
        )
    return Dependencies(
        security_group_ids=tuple(sorted(network["securityGroupIds"])),
        service_registry_arn=network.get("serviceRegistryArn") or None,
        injected_secrets=injected,
        filesystem=mount,
    )
