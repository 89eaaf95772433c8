"""What an environment's status says: conditions and outputs, from one pass's findings.

Pure; the clock is a parameter. Ready means "the desired revision runs at the
desired count": the PRIMARY deployment runs the desired task definition, its
rollout COMPLETED, and runningCount >= desiredCount. A service the circuit
breaker rolled back keeps serving the previous revision, but is not Ready: it is
Degraded until the spec changes (or the generation is bumped to retry).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reconcilers.aws.capacity import CapacityChoice
from reconcilers.aws.deployments import (
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    FollowedDeployment,
)
from reconcilers.aws.service import ObservedService
from schemas.status import Condition, ConditionType, judged_conditions, set_condition

DEPLOYING = "deploying: {actions}"
ROLLING_OUT = "deployment {id}: {running} of {desired} tasks running"
SCALING = "{running} of {desired} tasks running"
ROLLED_BACK = "revision {arn} failed to roll out and the service was rolled back; change the spec to retry"
HELD = "revision {arn} failed to roll out; change the spec to retry"
PRIMARY_FAILED = "deployment {id} failed: {reason}"
COMPLETE = "deployment {id} completed; {running} of {desired} tasks running"


@dataclass(frozen=True, slots=True)
class FailedRollout:
    """The desired revision failed at this generation: do not push it again until the
    generation moves on."""

    task_definition_arn: str
    generation: int

    def to_output(self) -> dict[str, Any]:
        return {"taskDefinitionArn": self.task_definition_arn, "generation": self.generation}

    @classmethod
    def from_output(cls, value: Mapping[str, Any] | None) -> "FailedRollout | None":
        if not value:
            return None
        return cls(value["taskDefinitionArn"], int(value["generation"]))


@dataclass(frozen=True, slots=True)
class EnvironmentFindings:
    service: ObservedService | None
    desired_task_definition_arn: str
    desired_count: int
    actions: tuple[str, ...]  # what this pass changed, for the message
    held: FailedRollout | None  # set when the desired revision is being held back
    capacity: CapacityChoice | None = None  # the spot strategy asked for and the one applied


@dataclass(frozen=True, slots=True)
class Verdict:
    ready: tuple[bool, str, str]
    progressing: tuple[bool, str, str]
    degraded: tuple[bool, str, str]

    @property
    def rolling_out(self) -> bool:
        return self.progressing[0]


def judge(f: EnvironmentFindings) -> Verdict:
    service, primary = f.service, f.service.primary if f.service else None
    if f.held is not None:
        rolled_back = service is not None and service.task_definition_arn != f.held.task_definition_arn
        message = (ROLLED_BACK if rolled_back else HELD).format(arn=f.held.task_definition_arn)
        ready = (False, "RolledBack" if rolled_back else "RolloutFailed", message)
        if primary is not None and primary.rollout_state == IN_PROGRESS:
            return Verdict(ready, (True, "RollingBack", message), (True, "RolloutFailed", message))
        return Verdict(ready, (False, "RolloutFailed", message), (True, "RolloutFailed", message))
    if f.actions or service is None or primary is None:
        message = DEPLOYING.format(actions=", ".join(f.actions) or "waiting for the service")
        return Verdict((False, "Deploying", message), (True, "Deploying", message), (False, "AsDesired", ""))
    if primary.rollout_state == FAILED:
        message = PRIMARY_FAILED.format(id=primary.id, reason=primary.rollout_state_reason)
        return Verdict(
            (False, "RolloutFailed", message),
            (False, "RolloutFailed", message),
            (True, "RolloutFailed", message),
        )
    counts = {"running": service.running_count, "desired": f.desired_count}
    if primary.rollout_state != COMPLETED or primary.task_definition_arn != f.desired_task_definition_arn:
        message = ROLLING_OUT.format(id=primary.id, **counts)
        return Verdict(
            (False, "RollingOut", message), (True, "RollingOut", message), (False, "AsDesired", "")
        )
    if service.running_count < f.desired_count:
        message = SCALING.format(**counts)
        return Verdict((False, "TasksPending", message), (True, "Scaling", message), (False, "AsDesired", ""))
    message = COMPLETE.format(id=primary.id, **counts)
    return Verdict(
        (True, "RolloutComplete", message), (False, "RolloutComplete", message), (False, "AsDesired", "")
    )


def conditions(previous: Sequence[Condition], verdict: Verdict, now: datetime) -> list[Condition]:
    return judged_conditions(list(previous), verdict.ready, verdict.progressing, verdict.degraded, now)


def same_reason(
    previous: Sequence[Condition],
    statuses: Mapping[ConditionType, bool],
    reason: str,
    message: str,
    now: datetime,
) -> list[Condition]:
    """`previous` with the conditions of `statuses` set, all for one reason (a pass that
    stops before judging the service: waiting, blocked, deleting)."""
    result = list(previous)
    for kind, status in statuses.items():
        result = set_condition(
            result,
            Condition(type=kind, status=status, reason=reason, message=message, last_transition_time=now),
        )
    return result


def outputs(
    f: EnvironmentFindings,
    followed: Sequence[FollowedDeployment],
    cluster_arn: str,
    service_name: str,
) -> dict[str, Any]:
    """`followedDeployments` and `failedRollout` are berth's own bookkeeping between passes."""
    service, primary = f.service, f.service.primary if f.service else None
    return {
        "serviceArn": service.arn if service else None,
        "serviceName": service_name,
        "clusterArn": cluster_arn,
        "taskDefinitionArn": f.desired_task_definition_arn,
        "desiredCount": service.desired_count if service else f.desired_count,
        "runningCount": service.running_count if service else 0,
        "pendingCount": service.pending_count if service else 0,
        "deploymentId": primary.id if primary else None,
        "rolloutState": primary.rollout_state if primary else None,
        "followedDeployments": [d.to_output() for d in followed],
        "failedRollout": f.held.to_output() if f.held else None,
        "spotStrategy": f.capacity.to_output() if f.capacity else None,
    }
