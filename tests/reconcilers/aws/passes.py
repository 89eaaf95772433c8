"""Running reconcile passes in tests, and reading back what they did."""

from uuid import UUID

from reconcilers.aws.ecs_environment import EcsEnvironmentReconciler
from reconcilers.ports import StatusUpdate
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


# The environment ids the tests use; each gets `environment-network` outputs from `ready_dependencies`.
KNOWN_ENVIRONMENTS = (
    ENVIRONMENT_ID,
    UUID("00000000-0000-4000-8000-0000000000e2"),
    UUID("00000000-0000-4000-8000-0000000000e5"),
    UUID("00000000-0000-4000-8000-0000000000e9"),
)


def environment_network_outputs(network, **overrides):
    """What `environment-network` writes once ready: here the shared network's groups."""
    return {
        "ready": True,
        "scope": "shared",
        "securityGroupIds": list(network["securityGroupIds"]),
        "peerSecurityGroupIds": list(network["securityGroupIds"]),
        "serviceRegistryArn": None,
        "namespaceId": None,
        "namespaceName": None,
        **overrides,
    }


def write_outputs(database, kind: str, outputs, key: str = KEY) -> None:
    database.statuses[(kind, key)] = StatusUpdate(observed_generation=1, conditions=[], outputs=outputs)


def ready_dependencies(database, network) -> None:
    for environment_id in KNOWN_ENVIRONMENTS:
        write_outputs(database, "environment-network", environment_network_outputs(network), str(environment_id))
