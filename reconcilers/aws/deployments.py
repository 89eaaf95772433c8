"""Deployment history: following ECS's deployments of a service to an honest final status.

Pure. Each pass compares the service's `deployments` list with the deployments
berth is still following (kept in the status outputs between passes) and says
which deployment records to write.

The rules:

1. A deployment in the list is recorded with the status its `rolloutState`
   gives: IN_PROGRESS, COMPLETED or FAILED (the circuit breaker failed it). The
   PRIMARY one always; older (ACTIVE) ones too, so a rollout that failed between
   two passes is still recorded.
2. A followed deployment that has left the list is decided once, by what the
   service runs now (its PRIMARY deployment):
   - the PRIMARY runs an *older* revision of the family than it did → ROLLED_BACK
     (keeping the failure's own reason when it was seen FAILED first).
     berth only ever moves a service forward (it registers a new revision for
     every change, even a change back), so a step backwards is ECS's circuit
     breaker restoring the last completed deployment;
   - otherwise, if it had FAILED it stays FAILED (no rollback happened);
   - otherwise, if it was still IN_PROGRESS it was replaced by a newer
     deployment before finishing → SUPERSEDED;
   - a COMPLETED deployment that leaves the list was simply replaced; its record stands.
   With no PRIMARY to judge by, it stays followed until there is one.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconcilers.aws.service import PRIMARY, ObservedDeployment
from reconcilers.ports import DeploymentRecord

IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"
FAILED = "FAILED"
ROLLED_BACK = "ROLLED_BACK"
SUPERSEDED = "SUPERSEDED"
UNSUCCESSFUL = frozenset({FAILED, ROLLED_BACK})

ROLLED_BACK_REASON = "the deployment circuit breaker rolled the service back to {arn}"
SUPERSEDED_REASON = "replaced by deployment {id} before it completed"


@dataclass(frozen=True, slots=True)
class FollowedDeployment:
    """What berth last recorded for a deployment still in the service's list."""

    deployment_id: str
    task_definition_arn: str
    image_tag: str
    status: str
    reason: str = ""

    def record(self) -> DeploymentRecord:
        return DeploymentRecord(
            deployment_id=self.deployment_id,
            task_definition_arn=self.task_definition_arn,
            image_tag=self.image_tag,
            status=self.status,
            reason=self.reason,
        )

    def to_output(self) -> dict[str, str]:
        return {
            "deploymentId": self.deployment_id,
            "taskDefinitionArn": self.task_definition_arn,
            "imageTag": self.image_tag,
            "status": self.status,
            "reason": self.reason,
        }

    @classmethod
    def from_output(cls, value: Mapping[str, Any]) -> "FollowedDeployment":
        return cls(
            deployment_id=value["deploymentId"],
            task_definition_arn=value["taskDefinitionArn"],
            image_tag=value.get("imageTag", ""),
            status=value["status"],
            reason=value.get("reason", ""),
        )


@dataclass(frozen=True, slots=True)
class DeploymentTracking:
    followed: tuple[FollowedDeployment, ...]
    changed: tuple[FollowedDeployment, ...] = ()  # records to write, new or with a new status
    previous_status: Mapping[str, str] = field(default_factory=dict)  # id → status before, "" if new


def revision(task_definition_arn: str) -> int:
    """`arn:…:task-definition/family:7` → 7; 0 when the ARN carries no revision."""
    _, _, number = task_definition_arn.rpartition(":")
    return int(number) if number.isdigit() else 0


def _observed_status(deployment: ObservedDeployment) -> str:
    return (
        deployment.rollout_state
        if deployment.rollout_state in (IN_PROGRESS, COMPLETED, FAILED)
        else IN_PROGRESS
    )


def _decide_departed(gone: FollowedDeployment, primary: ObservedDeployment) -> FollowedDeployment:
    if revision(primary.task_definition_arn) < revision(gone.task_definition_arn):
        reason = ROLLED_BACK_REASON.format(arn=primary.task_definition_arn)
        if gone.status == FAILED and gone.reason:  # why it failed, then what ECS did about it
            reason = f"{gone.reason} {reason[0].upper()}{reason[1:]}"
        return FollowedDeployment(
            gone.deployment_id, gone.task_definition_arn, gone.image_tag, ROLLED_BACK, reason
        )
    if gone.status == IN_PROGRESS:
        reason = SUPERSEDED_REASON.format(id=primary.id)
        return FollowedDeployment(
            gone.deployment_id, gone.task_definition_arn, gone.image_tag, SUPERSEDED, reason
        )
    return gone


def track_deployments(
    observed: Sequence[ObservedDeployment],
    followed: Sequence[FollowedDeployment],
    image_tags: Mapping[str, str],
) -> DeploymentTracking:
    """`image_tags` maps task-definition ARNs to image tags for deployments not yet followed."""
    known = {f.deployment_id: f for f in followed}
    primary = next((d for d in observed if d.status == PRIMARY), None)
    still: list[FollowedDeployment] = []
    changed: list[FollowedDeployment] = []
    before: dict[str, str] = {}

    for deployment in observed:
        previous = known.get(deployment.id)
        current = FollowedDeployment(
            deployment_id=deployment.id,
            task_definition_arn=deployment.task_definition_arn,
            image_tag=previous.image_tag if previous else image_tags.get(deployment.task_definition_arn, ""),
            status=_observed_status(deployment),
            reason=deployment.rollout_state_reason,
        )
        still.append(current)
        if previous is None or (previous.status, previous.reason) != (current.status, current.reason):
            changed.append(current)
            before[current.deployment_id] = previous.status if previous else ""

    present = {d.id for d in observed}
    for gone in followed:
        if gone.deployment_id in present:
            continue
        if primary is None:
            still.append(gone)
            continue
        decided = _decide_departed(gone, primary)
        if decided != gone:
            changed.append(decided)
            before[decided.deployment_id] = gone.status

    return DeploymentTracking(followed=tuple(still), changed=tuple(changed), previous_status=before)


def newly_failed(tracking: DeploymentTracking) -> frozenset[str]:
    """Task definitions whose rollout this pass saw fail or roll back for the first time."""
    return frozenset(
        f.task_definition_arn
        for f in tracking.changed
        if f.status in UNSUCCESSFUL and tracking.previous_status.get(f.deployment_id) not in UNSUCCESSFUL
    )


def followed_by(first: DeploymentTracking, second: DeploymentTracking) -> DeploymentTracking:
    """Two trackings of one pass (before and after its own create/update) as one."""
    changed = {f.deployment_id: f for f in (*first.changed, *second.changed)}
    before = {**second.previous_status, **first.previous_status}
    return DeploymentTracking(
        followed=second.followed, changed=tuple(changed.values()), previous_status=before
    )
