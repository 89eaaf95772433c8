"""SIMULATION ONLY: an ECS service scheduler for the sandbox's moto account.

moto records services but never rolls them out: a new task definition leaves
the PRIMARY deployment untouched and counts never move. `EcsRolloutSimulator`
plays ECS's part on moto's in-memory backend (the server runs in this process),
so berth's real reconcilers see deployments start, progress, complete — or fail
and be rolled back by the deployment circuit breaker.

Each `step()`, for every ACTIVE service:
  (a) when the service's task definition differs from its PRIMARY deployment's,
      the PRIMARY becomes ACTIVE and a new PRIMARY (IN_PROGRESS, 0 running) is
      prepended;
  (b) running tasks move toward the desired count (all at once, or
      `tasks_per_step`), older deployments drain;
  (c) once the PRIMARY runs the desired count and the others are drained it is
      COMPLETED and they are dropped; the service's counts follow.
A rollout marked to fail (`fail_next(family)`) starts no task: its failed tasks
reach the breaker's threshold, it turns FAILED and — when the service's breaker
has rollback on and an earlier deployment exists — a new PRIMARY rolls the
service back to the previous task definition, just as ECS does.

Nothing here is berth's production path; moto is imported only by this module.
"""

import asyncio
import logging
import math
import random
from collections.abc import Iterable
from typing import Any

from moto.core.utils import utcnow
from moto.ecs.models import ecs_backends

DEFAULT_ACCOUNT = "123456789012"
BREAKER_REASON = "ECS deployment circuit breaker: tasks failed to start."
ROLLBACK_REASON = "ECS deployment circuit breaker: rolling back to deploymentId {id}."
IN_PROGRESS_REASON = "ECS deployment {id} in progress."
COMPLETED_REASON = "ECS deployment {id} completed."

log = logging.getLogger(__name__)


def breaker_threshold(desired: int) -> int:
    """ECS fails a rollout after half the desired count of failed tasks, within 3…200."""
    return min(200, max(3, math.ceil(desired / 2)))


def _family(task_definition: str | None) -> str:
    return (task_definition or "").rsplit("/", 1)[-1].rsplit(":", 1)[0]


class EcsRolloutSimulator:
    def __init__(
        self, account_id: str = DEFAULT_ACCOUNT, region: str = "us-east-1", tasks_per_step: int | None = None
    ):
        self.account_id = account_id
        self.region = region
        self.tasks_per_step = tasks_per_step
        self._fail_next: set[str] = set()
        self._fail_always: set[str] = set()
        self._doomed: set[str] = set()  # deployment ids whose tasks never start
        self._seen: set[str] = set()  # deployment ids already judged for failure
        self._primaries: dict[str, str] = {}  # service ARN → the PRIMARY id last published

    def fail_next(self, family: str) -> None:
        """The next rollout of this task-definition family fails."""
        self._fail_next.add(family)

    def fail_always(self, families: Iterable[str]) -> None:
        self._fail_always.update(families)

    def step(self) -> None:
        backend = ecs_backends[self.account_id][self.region]
        for service in list(backend.services.values()):
            if service.status == "ACTIVE" and service.deployment_controller.get("type", "ECS") == "ECS":
                self._step_service(service)

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        """Step every `interval` seconds until `stop` is set (the sandbox's scheduler)."""
        while not stop.is_set():
            try:
                self.step()
            except Exception:  # a simulation hiccup must not take the sandbox down
                log.exception("ECS rollout simulation step failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
            except TimeoutError:
                pass

    def _step_service(self, service: Any) -> None:
        deployments = [dict(d) for d in service.deployments]
        primary = next((d for d in deployments if d["status"] == "PRIMARY"), None)
        published = self._primaries.get(service.arn)
        if primary is not None and published is not None and primary["id"] != published:
            # moto answers forceNewDeployment by renaming the PRIMARY in place; ECS starts
            # a new deployment of the same revision, the old one draining as it comes up.
            old = dict(primary, id=published, status="ACTIVE")
            primary.update(
                rolloutState="IN_PROGRESS",
                rolloutStateReason=IN_PROGRESS_REASON.format(id=primary["id"]),
                runningCount=0,
                pendingCount=service.desired_count,
                failedTasks=0,
            )
            deployments.insert(deployments.index(primary) + 1, old)
        if primary is None or primary["taskDefinition"] != service.task_definition:
            if primary is not None:
                primary["status"] = "ACTIVE"
            primary = self._new_deployment(service, service.task_definition, running=0)
            deployments.insert(0, primary)
        if primary["id"] not in self._seen:
            self._seen.add(primary["id"])
            if primary["rolloutState"] == "IN_PROGRESS" and self._take_failure(
                _family(primary["taskDefinition"])
            ):
                self._doomed.add(primary["id"])
        primary["desiredCount"] = service.desired_count
        if primary["id"] not in self._doomed:
            deployments = self._progress(primary, deployments)
        elif primary["rolloutState"] == "IN_PROGRESS":
            deployments = self._fail_tasks(service, primary, deployments)
        # else: a failed rollout with nothing to roll back to stays as it is, as on ECS.
        self._publish(service, deployments)

    def _take_failure(self, family: str) -> bool:
        if family in self._fail_always:
            return True
        if family in self._fail_next:
            self._fail_next.discard(family)
            return True
        return False

    def _progress(self, primary: dict, deployments: list[dict]) -> list[dict]:
        budget = self.tasks_per_step or math.inf
        for old in deployments[1:]:
            old["runningCount"] = int(max(0, old["runningCount"] - budget))
            old["pendingCount"] = 0
        desired, running = primary["desiredCount"], primary["runningCount"]
        primary["runningCount"] = int(min(desired, running + budget) if running < desired else desired)
        primary["pendingCount"] = desired - primary["runningCount"]
        drained = all(d["runningCount"] == 0 for d in deployments[1:])
        if primary["rolloutState"] == "IN_PROGRESS" and primary["runningCount"] == desired and drained:
            primary["rolloutState"] = "COMPLETED"
            primary["rolloutStateReason"] = COMPLETED_REASON.format(id=primary["id"])
        return [primary, *(d for d in deployments[1:] if d["runningCount"] > 0)]

    def _fail_tasks(self, service: Any, primary: dict, deployments: list[dict]) -> list[dict]:
        desired = primary["desiredCount"]
        threshold = breaker_threshold(desired)
        primary["failedTasks"] += self.tasks_per_step or threshold
        primary["pendingCount"] = desired
        breaker = (getattr(service, "deployment_configuration", None) or {}).get(
            "deploymentCircuitBreaker"
        ) or {}
        if not breaker.get("enable") or primary["failedTasks"] < threshold:
            return deployments
        primary["rolloutState"] = "FAILED"
        primary["rolloutStateReason"] = BREAKER_REASON
        primary["pendingCount"] = 0
        previous = next((d for d in deployments[1:] if d["rolloutState"] == "COMPLETED"), None)
        if not breaker.get("rollback") or previous is None:
            return deployments
        primary["status"] = "ACTIVE"
        rollback = self._new_deployment(service, previous["taskDefinition"], running=previous["runningCount"])
        rollback["rolloutStateReason"] = ROLLBACK_REASON.format(id=previous["id"])
        self._seen.add(rollback["id"])
        service.task_definition = previous["taskDefinition"]
        # The rollback takes over the previous deployment's tasks; the failed one drains.
        return [rollback, primary, *(d for d in deployments[1:] if d is not previous and d is not primary)]

    def _new_deployment(self, service: Any, task_definition: str, running: int) -> dict[str, Any]:
        now = utcnow()
        deployment_id = f"ecs-svc/{random.randint(0, 32**12)}"
        return {
            "createdAt": now,
            "desiredCount": service.desired_count,
            "failedTasks": 0,
            "id": deployment_id,
            "launchType": service.launch_type,
            "pendingCount": max(0, service.desired_count - running),
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": IN_PROGRESS_REASON.format(id=deployment_id),
            "runningCount": running,
            "platformVersion": service.platform_version,
            "networkConfiguration": service.network_configuration or None,
            "platformFamily": "FARGATE",
            "status": "PRIMARY",
            "taskDefinition": task_definition,
            "updatedAt": now,
        }

    def _publish(self, service: Any, deployments: list[dict]) -> None:
        now = utcnow()
        for deployment in deployments:
            deployment["updatedAt"] = now
        # One assignment, so a request served meanwhile sees the old list or the new one.
        service.deployments = deployments
        self._primaries[service.arn] = next(d["id"] for d in deployments if d["status"] == "PRIMARY")
        service.running_count = sum(d["runningCount"] for d in deployments)
        service.pending_count = sum(d["pendingCount"] for d in deployments)
