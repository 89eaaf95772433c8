"""Deployment records on moto with the rollout simulator: what failed says why, what was
overtaken by a newer spec says so."""

import pytest

from tests.reconcilers.aws.factories import ENVIRONMENT_ID, environment, web_container
from tests.reconcilers.aws.passes import FAMILY, converge, ready_dependencies
from tests.reconcilers.aws.passes import environment_pass as run_pass


@pytest.fixture
async def network(network, database):
    ready_dependencies(database, network)
    return network


def image(tag: str, generation: int, min_capacity: int = 1):
    return environment(
        [web_container(imageReference={"type": "external", "identifier": f"nginx:{tag}"})],
        generation=generation,
        min_capacity=min_capacity,
    )


async def test_a_newer_spec_supersedes_an_in_flight_rollout(aws, aws_config, database, clock, simulator, network):
    database.environments[ENVIRONMENT_ID] = image("1", 1, min_capacity=2)
    await converge(aws, aws_config, database, clock, simulator)

    database.environments[ENVIRONMENT_ID] = image("2", 2, min_capacity=2)
    await run_pass(aws, aws_config, database, clock)
    simulator.tasks_per_step = 1
    simulator.step()  # revision 2's deployment starts: one of its two tasks
    await run_pass(aws, aws_config, database, clock)
    records = database.deployments[ENVIRONMENT_ID]
    [in_flight] = [r for r in records.values() if r.image_tag == "2"]
    assert in_flight.status == "IN_PROGRESS"

    database.environments[ENVIRONMENT_ID] = image("3", 3, min_capacity=2)  # before revision 2 completes
    simulator.tasks_per_step = None
    await converge(aws, aws_config, database, clock, simulator)
    assert records[in_flight.deployment_id].status == "SUPERSEDED"
    [latest] = [r for r in records.values() if r.image_tag == "3"]
    assert latest.status == "COMPLETED"


async def test_a_rolled_back_rollout_is_recorded_with_why_it_failed(
    aws, aws_config, database, clock, simulator, network
):
    database.environments[ENVIRONMENT_ID] = image("1", 1)
    await converge(aws, aws_config, database, clock, simulator)
    database.environments[ENVIRONMENT_ID] = image("broken", 2)
    simulator.fail_next(FAMILY)
    await converge(aws, aws_config, database, clock, simulator, passes=8)
    [failed] = [r for r in database.deployments[ENVIRONMENT_ID].values() if r.image_tag == "broken"]
    assert failed.status == "ROLLED_BACK"
    assert "circuit breaker: tasks failed to start" in failed.reason
    assert "rolled the service back to" in failed.reason
