"""The Terraform protocol for the workload on moto: converge, observe again → nothing to
do; change the cloud out of band → the next pass puts it back. Desired count, restarts."""

from dataclasses import replace

import pytest

from reconcilers.aws.log_group import LOG_GROUP_CHECK_EVERY
from reconcilers.results import Done
from tests.fakes.aws import RecordingClients
from tests.reconcilers.aws.factories import ENVIRONMENT_ID, environment, web_container
from tests.reconcilers.aws.passes import FAMILY, converge, ready_dependencies, revisions, status
from tests.reconcilers.aws.passes import environment_pass as run_pass

LOG_GROUP = "/berth/acme/shop/production"


@pytest.fixture
async def network(network, database):
    """The shared network, with each test environment's `environment-network` ready on it."""
    ready_dependencies(database, network)
    return network


class Updates:
    """The `aws` clients, with every UpdateService request kept."""

    def __init__(self, aws):
        self._aws, self.requests = aws, []
        self.ecs_once, self.ec2 = aws.ecs_once, aws.ec2
        self.logs, self.ecr, self.secretsmanager = aws.logs, aws.ecr, aws.secretsmanager
        self.ecs = self

    def __getattr__(self, name):
        return getattr(self._aws.ecs, name)

    async def update_service(self, **request):
        self.requests.append(request)
        return await self._aws.ecs.update_service(**request)


def ranged(minimum=1, maximum=3, generation=1, **wire):
    env = environment(generation=generation)
    spec = env.spec.model_validate(
        {**env.spec.to_wire(), "minCapacity": minimum, "maxCapacity": maximum, **wire}
    )
    return replace(env, spec=spec)


async def service(aws, network):
    answer = await aws.ecs.describe_services(cluster=network["clusterArn"], services=[FAMILY])
    return answer["services"][0]


async def all_writes_of(recording):
    return {
        name: getattr(recording, name).writes()
        for name in ("ecs", "logs", "ecr", "secretsmanager")
        if getattr(recording, name).writes()
    }


async def test_converged_means_no_writes_anywhere(aws, aws_config, database, clock, simulator, network):
    internal = web_container(imageReference={"type": "internal", "identifier": "shop-1"})
    database.environments[ENVIRONMENT_ID] = environment([internal])
    await converge(aws, aws_config, database, clock, simulator)
    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == Done()
    assert await all_writes_of(recording) == {}

    [group] = (await aws.logs.describe_log_groups(logGroupNamePrefix=LOG_GROUP))["logGroups"]
    assert (group["logGroupName"], group["retentionInDays"]) == (LOG_GROUP, 30)
    tags = (await aws.logs.list_tags_log_group(logGroupName=LOG_GROUP))["tags"]
    assert tags["berth:environment-id"] == str(ENVIRONMENT_ID)
    assert status(database).outputs["logGroupName"] == LOG_GROUP


async def passes_until_log_group_writes(aws, aws_config, database, clock) -> tuple[int, list[str]]:
    """Converged passes until one writes to the log group: how many, and its writes."""
    for count in range(1, LOG_GROUP_CHECK_EVERY + 1):
        recording = RecordingClients.around(aws)
        await run_pass(recording, aws_config, database, clock)
        if recording.logs.writes():
            return count, recording.logs.writes()
    raise AssertionError(f"the log group was not put back in {LOG_GROUP_CHECK_EVERY} passes")


async def test_a_converged_environment_looks_at_its_log_group_once_every_few_passes(
    aws, aws_config, database, clock, simulator, network
):
    database.environments[ENVIRONMENT_ID] = environment()
    await converge(aws, aws_config, database, clock, simulator)
    looked = []
    for _ in range(2 * LOG_GROUP_CHECK_EVERY):
        recording = RecordingClients.around(aws)
        assert await run_pass(recording, aws_config, database, clock) == Done()
        looked.append("describe_log_groups" in recording.logs.calls)
    assert looked.count(True) == 2
    assert looked.index(True) + LOG_GROUP_CHECK_EVERY == len(looked) - 1 - looked[::-1].index(True)


async def test_a_log_group_deleted_or_changed_out_of_band_is_put_back(
    aws, aws_config, database, clock, simulator, network
):
    """Within `LOG_GROUP_CHECK_EVERY` resyncs of a converged environment."""
    database.environments[ENVIRONMENT_ID] = environment()
    await converge(aws, aws_config, database, clock, simulator)

    await aws.logs.put_retention_policy(logGroupName=LOG_GROUP, retentionInDays=7)
    count, writes = await passes_until_log_group_writes(aws, aws_config, database, clock)
    assert writes == ["put_retention_policy"]
    await converge(aws, aws_config, database, clock, simulator)

    await aws.logs.delete_log_group(logGroupName=LOG_GROUP)
    _, writes = await passes_until_log_group_writes(aws, aws_config, database, clock)
    assert writes == ["create_log_group", "put_retention_policy"]
    [group] = (await aws.logs.describe_log_groups(logGroupNamePrefix=LOG_GROUP))["logGroups"]
    assert group["retentionInDays"] == 30


async def test_an_environment_not_converged_looks_at_its_log_group_on_every_pass(
    aws, aws_config, database, clock, simulator, network
):
    database.environments[ENVIRONMENT_ID] = environment()
    await converge(aws, aws_config, database, clock, simulator)
    await aws.logs.delete_log_group(logGroupName=LOG_GROUP)
    database.environments[ENVIRONMENT_ID] = environment(generation=2)  # a spec change: not a resync
    recording = RecordingClients.around(aws)
    await run_pass(recording, aws_config, database, clock)
    assert recording.logs.writes() == ["create_log_group", "put_retention_policy"]


async def test_desired_count_is_the_autoscalers_within_range_and_clamped_outside(
    aws, aws_config, database, clock, simulator, network
):
    database.environments[ENVIRONMENT_ID] = ranged(1, 3)
    await converge(aws, aws_config, database, clock, simulator)
    assert (await service(aws, network))["desiredCount"] == 1

    # The autoscaler scales out within the range: left alone.
    await aws.ecs.update_service(cluster=network["clusterArn"], service=FAMILY, desiredCount=2)
    recording = RecordingClients.around(aws)
    await run_pass(recording, aws_config, database, clock)
    assert recording.ecs.writes() == []
    assert (await service(aws, network))["desiredCount"] == 2

    # Out of band, above the range: clamped to the maximum.
    await aws.ecs.update_service(cluster=network["clusterArn"], service=FAMILY, desiredCount=9)
    updates = Updates(aws)
    await run_pass(updates, aws_config, database, clock)
    assert [r.get("desiredCount") for r in updates.requests] == [3]
    assert (await service(aws, network))["desiredCount"] == 3

    # The range moves above the count: the new minimum.
    database.environments[ENVIRONMENT_ID] = ranged(4, 6, generation=2)
    await converge(aws, aws_config, database, clock, simulator)
    assert (await service(aws, network))["desiredCount"] == 4


async def test_stop_runs_nothing_and_start_runs_the_minimum(
    aws, aws_config, database, clock, simulator, network
):
    database.environments[ENVIRONMENT_ID] = ranged(2, 4)
    await converge(aws, aws_config, database, clock, simulator)

    database.environments[ENVIRONMENT_ID] = ranged(2, 4, generation=2, state="stopped")
    await converge(aws, aws_config, database, clock, simulator)
    assert (await service(aws, network))["desiredCount"] == 0
    assert len(await revisions(aws)) == 1  # the same revision: stopping is not a deployment

    database.environments[ENVIRONMENT_ID] = ranged(2, 4, generation=3, state="running")
    await converge(aws, aws_config, database, clock, simulator)
    assert (await service(aws, network))["desiredCount"] == 2


async def test_a_restart_forces_one_new_deployment(aws, aws_config, database, clock, simulator, network):
    database.environments[ENVIRONMENT_ID] = ranged(1, 1)
    await converge(aws, aws_config, database, clock, simulator)
    assert status(database).outputs["restartsApplied"] == 0
    deployments_before = set(database.deployments[ENVIRONMENT_ID])

    database.environments[ENVIRONMENT_ID] = ranged(1, 1, generation=2, restarts=1)
    updates = Updates(aws)
    await run_pass(updates, aws_config, database, clock)
    [request] = updates.requests
    assert request["forceNewDeployment"] is True
    assert set(request) == {"cluster", "service", "forceNewDeployment"}  # nothing else changed
    assert status(database).outputs["restartsApplied"] == 1
    assert any("forced a new deployment: restart 1" in e.message for e in database.events)

    # Once only: the next passes force nothing more.
    await converge(aws, aws_config, database, clock, simulator)
    updates = Updates(aws)
    assert await run_pass(updates, aws_config, database, clock) == Done()
    assert updates.requests == []
    assert set(database.deployments[ENVIRONMENT_ID]) - deployments_before  # a new rollout recorded
    assert len(await revisions(aws)) == 1  # of the same revision


async def test_a_restart_after_stop_and_start(aws, aws_config, database, clock, simulator, network):
    database.environments[ENVIRONMENT_ID] = ranged(1, 2)
    await converge(aws, aws_config, database, clock, simulator)
    database.environments[ENVIRONMENT_ID] = ranged(1, 2, generation=2, state="stopped")
    await converge(aws, aws_config, database, clock, simulator)
    database.environments[ENVIRONMENT_ID] = ranged(1, 2, generation=3, state="running")
    await converge(aws, aws_config, database, clock, simulator)

    database.environments[ENVIRONMENT_ID] = ranged(1, 2, generation=4, state="running", restarts=1)
    updates = Updates(aws)
    await run_pass(updates, aws_config, database, clock)
    assert [r.get("forceNewDeployment") for r in updates.requests] == [True]
    await converge(aws, aws_config, database, clock, simulator)
    assert (await service(aws, network))["desiredCount"] == 1


async def test_a_service_moved_to_another_revision_out_of_band_is_put_back(
    aws, aws_config, database, clock, simulator, network
):
    database.environments[ENVIRONMENT_ID] = environment()
    await converge(aws, aws_config, database, clock, simulator)
    ours = status(database).outputs["taskDefinitionArn"]
    other = await aws.ecs.register_task_definition(
        family="intruder",
        containerDefinitions=[{"name": "x", "image": "busybox", "memory": 64}],
    )
    await aws.ecs.update_service(
        cluster=network["clusterArn"],
        service=FAMILY,
        taskDefinition=other["taskDefinition"]["taskDefinitionArn"],
    )
    updates = Updates(aws)
    await run_pass(updates, aws_config, database, clock)
    assert [r.get("taskDefinition") for r in updates.requests] == [ours]
    await converge(aws, aws_config, database, clock, simulator)
    assert (await service(aws, network))["taskDefinition"] == ours


async def test_a_revision_registered_out_of_band_is_superseded_by_the_specs(
    aws, aws_config, database, clock, simulator, network
):
    """Someone registers a changed revision into the family (with its tags) and points
    the service at it: berth registers the spec's content again and rolls it out."""
    database.environments[ENVIRONMENT_ID] = environment()
    await converge(aws, aws_config, database, clock, simulator)
    latest = await aws.ecs.describe_task_definition(taskDefinition=FAMILY, include=["TAGS"])
    definition = latest["taskDefinition"]
    changed = [{**c, "image": "nginx:tampered"} for c in definition["containerDefinitions"]]
    keys = ("family", "networkMode", "requiresCompatibilities", "cpu", "memory", "runtimePlatform")
    tampered = await aws.ecs.register_task_definition(
        **{k: definition[k] for k in keys}, containerDefinitions=changed, tags=latest["tags"]
    )
    await aws.ecs.update_service(
        cluster=network["clusterArn"],
        service=FAMILY,
        taskDefinition=tampered["taskDefinition"]["taskDefinitionArn"],
    )

    recording = RecordingClients.around(aws)
    await run_pass(recording, aws_config, database, clock)
    assert recording.ecs.writes() == ["register_task_definition", "update_service"]
    await converge(aws, aws_config, database, clock, simulator)
    running = await aws.ecs.describe_task_definition(taskDefinition=(await service(aws, network))["taskDefinition"])
    assert running["taskDefinition"]["containerDefinitions"][0]["image"] == "nginx:1.27"
    assert running["taskDefinition"]["revision"] == 3
