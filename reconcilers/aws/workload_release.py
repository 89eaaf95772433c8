"""When what the workload uses (its database, its file system) may go.

Deleting: once the workload kind has released the environment (its service is gone).
Dropped from a running environment's spec: once the workload has converged (Ready) on a
generation at least the current one, whose task definition no longer refers to it.
"""

from reconcilers.ports import EnvironmentRecord, StatusUpdate
from schemas.status import ConditionType

WORKLOAD_KIND = "ecs-environment"


def workload_may_use(env: EnvironmentRecord, workload: StatusUpdate | None) -> bool:
    """`workload`: the `ecs-environment` status of the environment, if any."""
    if WORKLOAD_KIND not in env.finalizers:
        return False
    if env.deleting or workload is None:
        return env.deleting
    converged = any(c.type == ConditionType.READY and c.status for c in workload.conditions)
    return not (workload.observed_generation >= env.generation and converged)
