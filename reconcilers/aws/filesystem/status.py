"""What the file system's status says: conditions and outputs. Pure; the clock is a parameter."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.status import Condition, judged_conditions

WAITING_FOR_NETWORK = "waiting for the shared network's subnets"
WAITING_FOR_WORKLOAD_NETWORK = "waiting for the environment's security groups (environment-network)"
CONVERGING = "making the file system: {actions}"
PROVISIONING = "waiting for EFS: {states}"
READY = "file system {fs}: access point {ap}, {targets} mount targets, NFS from {sources}"
FOREIGN = (
    "not this environment's, so left alone: {resources}; delete or retag them "
    "(berth:environment-id) to let berth make the file system"
)
DELETING = "tearing the file system down: {detail}"
WAITING_FOR_WORKLOAD = "the workload still runs with the file system mounted; waiting for it to go"


@dataclass(frozen=True, slots=True)
class Verdict:
    ready: tuple[bool, str, str]
    progressing: tuple[bool, str, str]
    degraded: tuple[bool, str, str]


AS_DESIRED = (False, "AsDesired", "")


def waiting(reason: str, message: str) -> Verdict:
    return Verdict((False, reason, message), (True, reason, message), AS_DESIRED)


def converging(actions: Sequence[str]) -> Verdict:
    message = CONVERGING.format(actions=", ".join(actions))
    return Verdict((False, "Creating", message), (True, "Creating", message), AS_DESIRED)


def provisioning(states: str) -> Verdict:
    message = PROVISIONING.format(states=states)
    return Verdict((False, "Provisioning", message), (True, "Provisioning", message), AS_DESIRED)


def foreign(resources: Sequence[str]) -> Verdict:
    message = FOREIGN.format(resources=", ".join(resources))
    return Verdict((False, "NotOwned", message), (False, "NotOwned", message), (True, "NotOwned", message))


def ready(fs: str, ap: str, targets: int, sources: Sequence[str]) -> Verdict:
    message = READY.format(fs=fs, ap=ap, targets=targets, sources=", ".join(sources))
    return Verdict((True, "FilesystemReady", message), (False, "FilesystemReady", message), AS_DESIRED)


def deleting(detail: str) -> Verdict:
    message = DELETING.format(detail=detail)
    return Verdict((False, "Deleting", message), (True, "Deleting", message), AS_DESIRED)


def conditions(previous: Sequence[Condition], verdict: Verdict, now: datetime) -> list[Condition]:
    return judged_conditions(list(previous), verdict.ready, verdict.progressing, verdict.degraded, now)


def outputs(
    *,
    ready: bool,
    file_system_id: str | None,
    access_point_id: str | None,
    mount_path: str | None,
    security_group_id: str | None,
) -> dict[str, Any]:
    return {
        "ready": ready,
        "filesystemId": file_system_id,
        "accessPointId": access_point_id,
        "mountPath": mount_path,
        "securityGroupId": security_group_id,
    }
