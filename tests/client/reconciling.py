"""The workload reconciler's status writes, done by hand: what `ecs-environment` writes
into `statuses` (and `deployments`) when it has acted on an environment's spec."""

import asyncio
from datetime import UTC, datetime

KIND = "ecs-environment"


def condition(type_: str, status: bool, reason: str, message: str = "") -> dict:
    return {"type": type_, "status": status, "reason": reason, "message": message,
            "lastTransitionTime": datetime(2024, 5, 1, 12, 0, tzinfo=UTC).isoformat()}


READY = [condition("Degraded", False, "AsExpected"), condition("Progressing", False, "RolloutComplete"),
         condition("Ready", True, "RolloutComplete", "2/2 tasks running")]
FAILED = [condition("Degraded", True, "RolloutFailed", "the circuit breaker rolled the deployment back"),
          condition("Ready", False, "RolloutFailed")]
OUTPUTS = {"serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/berth/shop-production",
           "serviceName": "shop-production", "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/berth",
           "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/shop-production:1",
           "desiredCount": 2, "runningCount": 2, "rolloutState": "COMPLETED"}


async def environment(pool, application: str, name: str = "production"):
    return await pool.fetchrow(
        "SELECT e.id, e.generation FROM environments e JOIN applications a ON a.id = e.application_id "
        "WHERE a.name = $1 AND e.name = $2", application, name)


async def report(pool, application: str, conditions: list[dict], outputs: dict = OUTPUTS, behind: int = 0) -> None:
    """Write the environment's status as observed at its current generation (minus `behind`)."""
    row = await environment(pool, application)
    await pool.execute(
        "INSERT INTO statuses (kind, key, observed_generation, conditions, outputs) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (kind, key) DO UPDATE SET observed_generation = excluded.observed_generation, "
        "conditions = excluded.conditions, outputs = excluded.outputs",
        KIND, str(row["id"]), row["generation"] - behind, conditions, outputs)


async def record_deployment(pool, application: str, status: str = "COMPLETED") -> None:
    row = await environment(pool, application)
    await pool.execute(
        "INSERT INTO deployments (environment_id, deployment_id, task_definition_arn, image_tag, status) "
        "VALUES ($1, 'ecs-svc/1234', $2, '1.27', $3)", row["id"], OUTPUTS["taskDefinitionArn"], status)


async def after_apply(pool, application: str, conditions: list[dict], delay: float = 0.3) -> None:
    """Once the application exists, report it converged (or failed) after `delay` seconds."""
    async with asyncio.timeout(10):
        while await environment(pool, application) is None:
            await asyncio.sleep(0.05)
    await asyncio.sleep(delay)
    await report(pool, application, conditions)
