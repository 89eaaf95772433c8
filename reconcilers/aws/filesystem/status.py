"""What the file system's status says: its verdicts and outputs. Pure."""

from collections.abc import Sequence

from reconcilers.status import AS_DESIRED, Verdict, same_reason
from schemas.outputs import FilesystemOutputs

CONVERGING = "making the file system: {actions}"
PROVISIONING = "waiting for EFS: {states}"
READY = "file system {fs}: access point {ap}, {targets} mount targets, NFS from {sources}"
DELETING = "tearing the file system down: {detail}"
WAITING_FOR_WORKLOAD = "the workload still runs with the file system mounted; waiting for it to go"


def converging(actions: Sequence[str]) -> Verdict:
    return same_reason("Creating", CONVERGING.format(actions=", ".join(actions)))


def provisioning(states: str) -> Verdict:
    return same_reason("Provisioning", PROVISIONING.format(states=states))


def ready(fs: str, ap: str, targets: int, sources: Sequence[str]) -> Verdict:
    message = READY.format(fs=fs, ap=ap, targets=targets, sources=", ".join(sources))
    return Verdict((True, "FilesystemReady", message), (False, "FilesystemReady", message), AS_DESIRED)


def deleting(detail: str) -> Verdict:
    return same_reason("Deleting", DELETING.format(detail=detail))


def outputs(
    *,
    ready: bool,
    file_system_id: str | None,
    access_point_id: str | None,
    mount_path: str | None,
    security_group_id: str | None,
) -> FilesystemOutputs:
    return FilesystemOutputs(
        ready=ready,
        filesystem_id=file_system_id,
        access_point_id=access_point_id,
        mount_path=mount_path,
        security_group_id=security_group_id,
    )


def not_ready(recorded: FilesystemOutputs | None) -> FilesystemOutputs:
    """What a waiting pass keeps: the last outputs (none yet: all empty), not ready."""
    return (recorded or FilesystemOutputs()).model_copy(update={"ready": False})
