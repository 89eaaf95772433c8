"""Running reconcile passes in tests, and reading back what they did."""

from reconcilers.aws.ecs_environment import EcsEnvironmentReconciler
from reconcilers.results import Done
from schemas.status import ConditionType
from tests.reconcilers.aws.factories import ENVIRONMENT_ID

KEY = str(ENVIRONMENT_ID)
FAMILY = "acme_shop_production"


async def environment_pass(clients, config, database, clock, key: str = KEY):
    return await EcsEnvironmentReconciler(clients, config, clock).reconcile(
        database.context("ecs-environment", key)
    )


async def converge(clients, config, database, clock, simulator, passes: int = 6):
    """Passes (and simulator steps between them) until the reconciler says Done."""
    return await converge_key(clients, config, database, clock, simulator, KEY, passes)


async def converge_key(clients, config, database, clock, simulator, key: str, passes: int = 6):
    for _ in range(passes):
        result = await environment_pass(clients, config, database, clock, key)
        if result == Done():
            return result
        simulator.step()
    raise AssertionError(f"not converged after {passes} passes: {result}")


def status(database):
    return database.statuses[("ecs-environment", KEY)]


def condition(database, kind: ConditionType):
    return next(c for c in status(database).conditions if c.type == kind)


async def revisions(aws, status="ACTIVE"):
    answer = await aws.ecs.list_task_definitions(familyPrefix=FAMILY, status=status)
    return answer["taskDefinitionArns"]
