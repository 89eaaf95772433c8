"""The sandbox's simulated ECS scheduler (controller/sandbox/ecs_rollout.py) on moto."""

import asyncio

import pytest

from controller.sandbox.ecs_rollout import EcsRolloutSimulator, breaker_threshold
from tests.reconcilers.aws.passes import ready_dependencies

@pytest.fixture
async def network(network, database):
    """The shared network, with each test environment's `environment-network` ready on it."""
    ready_dependencies(database, network)
    return network


FAMILY = "sim"
BREAKER = {
    "deploymentCircuitBreaker": {"enable": True, "rollback": True},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}


@pytest.fixture
async def service(aws, network):
    """A registered family with two revisions and a service on the first; its describer."""
    arns = []
    for image in ("app:1", "app:2"):
        answer = await aws.ecs.register_task_definition(
            family=FAMILY,
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[{"name": "app", "image": image, "memory": 256}],
        )
        arns.append(answer["taskDefinition"]["taskDefinitionArn"])
    await aws.ecs.create_service(
        cluster="berth",
        serviceName=FAMILY,
        taskDefinition=arns[0],
        desiredCount=3,
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": network["subnetIds"],
                "securityGroups": network["securityGroupIds"],
            }
        },
    )

    async def describe():
        return (await aws.ecs.describe_services(cluster="berth", services=[FAMILY]))["services"][0]

    return arns, describe


async def update(aws, **fields):
    await aws.ecs.update_service(cluster="berth", service=FAMILY, **fields)


def states(description):
    return [(d["status"], d["rolloutState"], d["runningCount"]) for d in description["deployments"]]


async def test_a_new_service_comes_up_in_one_step(service, simulator):
    _, describe = service
    first = await describe()
    assert states(first) == [("PRIMARY", "IN_PROGRESS", 0)]
    simulator.step()
    after = await describe()
    assert states(after) == [("PRIMARY", "COMPLETED", 3)]
    assert (after["runningCount"], after["pendingCount"]) == (3, 0)
    assert after["deployments"][0]["id"] == first["deployments"][0]["id"]


async def test_a_new_revision_rolls_out_task_by_task(aws, service):
    arns, describe = service
    simulator = EcsRolloutSimulator(region="us-east-1", tasks_per_step=1)
    for _ in range(3):
        simulator.step()
    assert states(await describe()) == [("PRIMARY", "COMPLETED", 3)]

    await update(aws, taskDefinition=arns[1])
    simulator.step()
    rolling = await describe()
    assert states(rolling) == [("PRIMARY", "IN_PROGRESS", 1), ("ACTIVE", "COMPLETED", 2)]
    assert rolling["deployments"][0]["taskDefinition"] == arns[1]
    simulator.step()
    simulator.step()
    done = await describe()
    assert states(done) == [("PRIMARY", "COMPLETED", 3)]
    assert done["runningCount"] == 3


async def test_a_failed_rollout_trips_the_breaker_and_rolls_back(aws, service, simulator):
    arns, describe = service
    await update(aws, deploymentConfiguration=BREAKER)
    simulator.step()
    completed = (await describe())["deployments"][0]["id"]

    simulator.fail_next(FAMILY)
    await update(aws, taskDefinition=arns[1])
    simulator.step()
    tripped = await describe()
    assert states(tripped) == [("PRIMARY", "IN_PROGRESS", 3), ("ACTIVE", "FAILED", 0)]
    failed = tripped["deployments"][1]
    assert failed["taskDefinition"] == arns[1]
    assert failed["failedTasks"] >= breaker_threshold(3)
    assert "circuit breaker" in failed["rolloutStateReason"]
    assert tripped["deployments"][0]["taskDefinition"] == arns[0]
    assert tripped["taskDefinition"] == arns[0]
    assert completed in tripped["deployments"][0]["rolloutStateReason"]

    simulator.step()
    assert states(await describe()) == [("PRIMARY", "COMPLETED", 3)]

    await update(aws, taskDefinition=arns[1])  # fail_next was used up: this one succeeds
    simulator.step()
    assert states(await describe()) == [("PRIMARY", "COMPLETED", 3)]


async def test_without_a_breaker_a_failing_rollout_never_ends(aws, service, simulator):
    arns, describe = service
    simulator.step()
    simulator.fail_always([FAMILY])
    await update(aws, taskDefinition=arns[1])
    for _ in range(3):
        simulator.step()
    stuck = await describe()
    assert states(stuck) == [("PRIMARY", "IN_PROGRESS", 0), ("ACTIVE", "COMPLETED", 3)]
    assert stuck["deployments"][0]["failedTasks"] >= 9


async def test_scaling_to_zero_and_deleting(aws, service, simulator):
    _, describe = service
    simulator.step()
    await update(aws, desiredCount=0)
    simulator.step()
    assert (await describe())["runningCount"] == 0
    await aws.ecs.delete_service(cluster="berth", service=FAMILY, force=True)
    simulator.step()  # an INACTIVE service is left alone
    assert (await describe())["status"] == "INACTIVE"


@pytest.mark.parametrize(("desired", "threshold"), [(1, 3), (10, 5), (1000, 200)])
def test_breaker_threshold(desired, threshold):
    assert breaker_threshold(desired) == threshold


async def test_run_steps_until_stopped():
    stop = asyncio.Event()

    class Counting(EcsRolloutSimulator):
        steps = 0

        def step(self):
            self.steps += 1
            if self.steps == 3:
                stop.set()

    simulator = Counting()
    await asyncio.wait_for(simulator.run(0, stop), timeout=5)
    assert simulator.steps == 3


async def test_a_forced_deployment_rolls_the_same_revision_out_again(aws, service):
    arns, describe = service
    simulator = EcsRolloutSimulator(region="us-east-1", tasks_per_step=1)
    for _ in range(3):
        simulator.step()
    before = await describe()
    assert states(before) == [("PRIMARY", "COMPLETED", 3)]

    await update(aws, forceNewDeployment=True)
    simulator.step()
    rolling = await describe()
    assert states(rolling) == [("PRIMARY", "IN_PROGRESS", 1), ("ACTIVE", "COMPLETED", 2)]
    assert rolling["deployments"][0]["id"] != before["deployments"][0]["id"]
    assert rolling["deployments"][1]["id"] == before["deployments"][0]["id"]
    assert {d["taskDefinition"] for d in rolling["deployments"]} == {arns[0]}
    simulator.step()
    simulator.step()
    assert states(await describe()) == [("PRIMARY", "COMPLETED", 3)]
