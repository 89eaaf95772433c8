"""The environment's CloudWatch log group: `/berth/{organisation}/{application}/{environment}`.

Every container logs there through awslogs with stream prefix `berth`, so its
streams are `berth/{container}/{task id}`. The group must exist before a task
starts (awslogs does not create it), so the workload reconciler makes it, tagged,
with a 30-day retention, and deletes it when the environment is torn down.
`plan_log_group` is pure: empty when the group is as wanted.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from reconcilers.aws.batched_describes import LogGroups
from reconcilers.aws.calls import call, call_unless_absent
from reconcilers.ports import EnvironmentRecord
from schemas import log_names

RETENTION_DAYS = 30
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
