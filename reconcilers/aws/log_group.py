"""The environment's CloudWatch log group: `/berth/{organisation}/{application}/{environment}`.

Every container logs there through awslogs with stream prefix `berth`, so its
streams are `berth/{container}/{task id}`. The group must exist before a task
starts (awslogs does not create it), so the workload reconciler makes it, tagged,
with a 30-day retention, and deletes it when the environment is torn down.
`plan_log_group` is pure: empty when the group is as wanted.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from reconcilers.aws.batched_describes import LogGroups
from reconcilers.aws.calls import call, call_unless_absent
from reconcilers.ports import EnvironmentRecord
from schemas import log_names

RETENTION_DAYS = 30
# A converged environment's pass looks at its log group on one pass in this many (one
# hour at the 300 s resync), at a phase of its own, so that a resync of all of them
# describes a twelfth of the groups. See `log_group_check_due`.
LOG_GROUP_CHECK_EVERY = 12
PASSES = "passes"  # status output: passes written, the schedule's clock
ABSENT_CODES = ("ResourceNotFoundException",)
EXISTS_CODES = ("ResourceAlreadyExistsException",)


def log_group_name(env: EnvironmentRecord) -> str:
    """Named in one place with the API's logs route, which reads it."""
    return log_names.log_group_name(env.organisation, env.application, env.name)


@dataclass(frozen=True, slots=True)
class ObservedLogGroup:
    name: str
    retention_days: int | None  # None: kept forever


class LogGroupAction(StrEnum):
    CREATE = "create log group"
    SET_RETENTION = "set log retention"


def plan_log_group(observed: ObservedLogGroup | None) -> tuple[LogGroupAction, ...]:
    if observed is None:
        return (LogGroupAction.CREATE, LogGroupAction.SET_RETENTION)
    if observed.retention_days != RETENTION_DAYS:
        return (LogGroupAction.SET_RETENTION,)
    return ()


def log_group_check_due(key: str, passes: int, *, settled: bool) -> bool:
    """Whether this pass describes the log group (and puts it back if needed).

    Every pass does, except a resync of a converged environment (`settled`: its last
    status was Ready at this generation, named this group, and every desired task was
    running). Those look once every `LOG_GROUP_CHECK_EVERY` passes (`passes`: those
    its status has counted), at a phase derived from the key. Drift in the group (deleted,
    retention changed) is then put back within that many resyncs rather than on the
    next; a deleted group shows sooner, in tasks that cannot start (awslogs needs it):
    fewer running than desired unsettles the environment, and its next pass looks."""
    if not settled:
        return True
    phase = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big")
    return (passes + phase) % LOG_GROUP_CHECK_EVERY == 0


async def observe_log_group(logs: Any, name: str, groups: LogGroups | None = None) -> ObservedLogGroup | None:
    """`groups`: a reconciler's batched describe, shared by its concurrent passes."""
    found = await (groups or LogGroups(logs, window=0)).describe(name)
    if found is None:
        return None
    return ObservedLogGroup(name=name, retention_days=found.get("retentionInDays"))


async def ensure_log_group(
    logs: Any, name: str, tags: Mapping[str, str], groups: LogGroups | None = None
) -> tuple[LogGroupAction, ...]:
    """What it had to do: nothing when the group is there with its retention."""
    actions = plan_log_group(await observe_log_group(logs, name, groups))
    for action in actions:
        if action is LogGroupAction.CREATE:
            try:
                await call(logs.create_log_group, logGroupName=name, tags=dict(tags))
            except Exception as exc:  # created meanwhile (a replay): fine
                if getattr(exc, "response", {}).get("Error", {}).get("Code") not in EXISTS_CODES:
                    raise
        else:
            await call(logs.put_retention_policy, logGroupName=name, retentionInDays=RETENTION_DAYS)
    return actions


async def delete_log_group(logs: Any, name: str) -> bool:
    """True when it was there."""
    answer = await call_unless_absent(logs.delete_log_group, absent=ABSENT_CODES, logGroupName=name)
    return answer is not None
