"""Spot strategies on moto: where an environment's service runs, and a change moving it.

moto's CreateService drops `capacityProviderStrategy` (its UpdateService keeps it), so a
new service gets its strategy in the update of the second pass; that update forces no
deployment (nothing was placed by another strategy). A later change of strategy does.
"""

from uuid import UUID

import pytest

from reconcilers.aws.ecs_environment import EcsEnvironmentReconciler
from reconcilers.results import Done, PermanentError
from tests.fakes.aws import RecordingClients
from tests.reconcilers.aws.factories import ENVIRONMENT_ID, environment
from tests.reconcilers.aws.passes import ready_dependencies

@pytest.fixture
async def network(network, database):
    """The shared network, with each test environment's `environment-network` ready on it."""
    ready_dependencies(database, network)
    return network


STAGING_ID = UUID("00000000-0000-4000-8000-0000000000e5")
ON_DEMAND = [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]
SPOT = [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]
SAFE = [
    {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
    {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0},
]


class ServiceRequests:
    """The `aws` clients, with every CreateService and UpdateService request kept: what
    berth sent, including what moto's create then drops."""

    def __init__(self, aws):
        self._aws, self.requests, self.creates = aws, [], []
        self.ecs_once, self.ec2 = aws.ecs_once, aws.ec2
        self.logs, self.ecr, self.secretsmanager = aws.logs, aws.ecr, aws.secretsmanager
        self.ecs = self

    def __getattr__(self, name):
        return getattr(self._aws.ecs, name)

    async def create_service(self, **request):
        self.creates.append(request)
        return await self._aws.ecs.create_service(**request)

    async def update_service(self, **request):
        self.requests.append(request)
        return await self._aws.ecs.update_service(**request)


def staging(generation: int = 1, min_capacity: int = 1, spot: dict | None = None):
    compose = {"spotConfiguration": spot} if spot is not None else None
    return environment(
        name="staging",
        environment_id=STAGING_ID,
        generation=generation,
        min_capacity=min_capacity,
        compose=compose,
    )


async def run(clients, config, database, clock, key=str(STAGING_ID)):
    return await EcsEnvironmentReconciler(clients, config, clock).reconcile(
        database.context("ecs-environment", key)
    )


async def converge(clients, config, database, clock, simulator, key=str(STAGING_ID)):
    for _ in range(6):
        if await run(clients, config, database, clock, key) == Done():
            return
        simulator.step()
    raise AssertionError("not converged")


async def strategy_of(aws, network, name):
    answer = await aws.ecs.describe_services(cluster=network["clusterArn"], services=[name])
    return sorted(answer["services"][0].get("capacityProviderStrategy") or (), key=str)


async def test_a_non_production_environment_runs_on_spot_and_moves_when_the_strategy_changes(
    aws, aws_config, database, clock, simulator, network
):
    database.environments[STAGING_ID] = staging()  # no spot configuration: spot-only
    first = ServiceRequests(aws)
    await converge(first, aws_config, database, clock, simulator)
    assert await strategy_of(aws, network, "acme_shop_staging") == SPOT
    [create] = first.creates
    assert create["capacityProviderStrategy"] == SPOT and "launchType" not in create
    [completing] = first.requests  # moto's create dropped the strategy; nothing to move yet
    assert completing["capacityProviderStrategy"] == SPOT and "forceNewDeployment" not in completing
    outputs = database.statuses[("ecs-environment", str(STAGING_ID))].outputs
    assert outputs["spotStrategy"]["requested"] is None
    assert outputs["spotStrategy"]["applied"] == "spot-only"

    database.environments[STAGING_ID] = staging(2, min_capacity=2, spot={"strategy": "mixed-safe"})
    clients = ServiceRequests(aws)
    await run(clients, aws_config, database, clock)
    [update] = clients.requests
    assert sorted(update["capacityProviderStrategy"], key=str) == sorted(SAFE, key=str)
    assert update["forceNewDeployment"] is True
    assert update["desiredCount"] == 2
    assert await strategy_of(aws, network, "acme_shop_staging") == sorted(SAFE, key=str)
    [updated] = [e for e in database.events if e.reason == "ServiceUpdated"][-1:]
    assert "capacityProviderStrategy" in updated.message and "forced a new deployment" in updated.message

    simulator.step()
    await converge(aws, aws_config, database, clock, simulator)
    recording = RecordingClients.around(aws)
    assert await run(recording, aws_config, database, clock) == Done()
    assert recording.ecs.writes() == []  # converged: the strategy as ECS reports it is the one asked for


async def test_production_stays_on_demand_and_says_why(aws, aws_config, database, clock, simulator, network):
    spot_only = {"spotConfiguration": {"strategy": "spot-only"}}
    database.environments[ENVIRONMENT_ID] = environment(compose=spot_only)
    await converge(aws, aws_config, database, clock, simulator, str(ENVIRONMENT_ID))
    assert await strategy_of(aws, network, "acme_shop_production") == ON_DEMAND
    spot = database.statuses[("ecs-environment", str(ENVIRONMENT_ID))].outputs["spotStrategy"]
    assert (spot["requested"], spot["applied"]) == ("spot-only", "off")
    assert database.event_reasons().count("SpotStrategyOverridden") == 1  # said once, not every pass


async def test_a_mix_below_two_instances_changes_nothing(aws, aws_config, database, clock, network):
    database.environments[STAGING_ID] = staging(spot={"strategy": "mixed-aggressive"})
    recording = RecordingClients.around(aws)
    with pytest.raises(PermanentError) as raised:
        await run(recording, aws_config, database, clock)
    assert raised.value.reason == "InvalidSpotStrategy"
    assert recording.ecs.writes() == []


async def test_a_strategy_changed_out_of_band_is_put_back(
    aws, aws_config, database, clock, simulator, network
):
    database.environments[STAGING_ID] = staging()
    await converge(aws, aws_config, database, clock, simulator)
    await aws.ecs.update_service(
        cluster=network["clusterArn"],
        service="acme_shop_staging",
        capacityProviderStrategy=ON_DEMAND,
        forceNewDeployment=True,
    )

    clients = ServiceRequests(aws)
    await run(clients, aws_config, database, clock)
    [update] = clients.requests
    assert (update["capacityProviderStrategy"], update["forceNewDeployment"]) == (SPOT, True)
    assert await strategy_of(aws, network, "acme_shop_staging") == SPOT
