"""Deleting an environment: its service and task definitions go, then its rows."""

from dataclasses import replace
from uuid import UUID

import pytest

from reconcilers.aws.task_definition import render_task_definition
from reconcilers.results import Forget
from tests.fakes.aws import CrashAfter, RecordingClients
from tests.reconcilers.aws.factories import ENVIRONMENT_ID, environment
from tests.reconcilers.aws.passes import FAMILY, converge, revisions
from tests.reconcilers.aws.passes import environment_pass as run_pass
from tests.reconcilers.aws.passes import ready_dependencies

@pytest.fixture
async def network(network, database):
    """The shared network, with each test environment's `environment-network` ready on it."""
    ready_dependencies(database, network)
    return network



async def service_status(aws, cluster, name=FAMILY):
    answer = await aws.ecs.describe_services(cluster=cluster, services=[name])
    return answer["services"][0]["status"] if answer["services"] else None


@pytest.fixture
async def running(aws, aws_config, database, clock, simulator, network):
    database.environments[ENVIRONMENT_ID] = environment()
    await converge(aws, aws_config, database, clock, simulator)
    # A second revision, so that more than one is deregistered.
    database.environments[ENVIRONMENT_ID] = environment(
        min_capacity=2, variables=[{"name": "V", "value": "2"}], generation=2
    )
    await converge(aws, aws_config, database, clock, simulator)
    database.environments[ENVIRONMENT_ID] = replace(database.environments[ENVIRONMENT_ID], deleting=True)
    database.events.clear()
    return network["clusterArn"]


async def test_deleting_tears_down_and_finalizes(aws, aws_config, database, clock, running):
    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == Forget()
    # delete_service(force=True) stops the tasks itself: no scaling to 0 first.
    assert recording.ecs.writes() == [
        "delete_service",
        "deregister_task_definition",
        "deregister_task_definition",
    ]
    assert await service_status(aws, running) == "INACTIVE"
    assert await revisions(aws) == []
    assert len(await revisions(aws, status="INACTIVE")) == 2
    assert recording.logs.writes() == ["delete_log_group"]
    groups = await aws.logs.describe_log_groups(logGroupNamePrefix="/berth/acme/shop/production")
    assert groups["logGroups"] == []
    assert database.finalized == [ENVIRONMENT_ID]
    assert ENVIRONMENT_ID not in database.environments
    assert database.event_reasons() == ["ServiceDeleted", "LogGroupDeleted", "TornDown"]

    # The key comes back once more: the environment is gone, nothing is called.
    recording.ecs.calls.clear()
    assert await run_pass(recording, aws_config, database, clock) == Forget()
    assert recording.ecs.calls == []


async def test_a_teardown_that_crashed_half_way_finishes(aws, aws_config, database, clock, running):
    crashing = RecordingClients.around(aws, crash_after=["delete_service"])
    with pytest.raises(CrashAfter):
        await run_pass(crashing, aws_config, database, clock)
    assert database.finalized == []

    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == Forget()
    assert recording.ecs.writes() == ["deregister_task_definition", "deregister_task_definition"]
    assert await revisions(aws) == []
    assert database.finalized == [ENVIRONMENT_ID]


async def test_an_environment_that_never_ran_is_finalized(aws, aws_config, database, clock, network):
    database.environments[ENVIRONMENT_ID] = environment(deleting=True)
    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == Forget()
    assert recording.ecs.writes() == []
    assert database.finalized == [ENVIRONMENT_ID]


# --- the network is not needed to tear down ----------------------------------------------------


def lose_the_network(database):
    """What an `aws-network` stuck on a PermanentError (bad configured subnets) leaves: no outputs."""
    database.statuses.pop(("aws-network", "default"))


async def test_a_teardown_does_not_wait_for_the_network(aws, aws_config, database, clock, running):
    lose_the_network(database)
    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == Forget()
    assert recording.ecs.writes()[0] == "delete_service"
    assert await service_status(aws, running) == "INACTIVE"
    assert await revisions(aws) == []
    assert database.finalized == [ENVIRONMENT_ID]


async def test_without_a_recorded_status_the_configured_cluster_is_torn_down(
    aws, aws_config, database, clock, network
):
    database.environments[ENVIRONMENT_ID] = environment()
    # The pass that created the service died before it wrote the environment's status.
    with pytest.raises(CrashAfter):
        crashing = RecordingClients.around(aws, crash_after=["create_service"])
        await run_pass(crashing, aws_config, database, clock)
    assert ("ecs-environment", str(ENVIRONMENT_ID)) not in database.statuses
    lose_the_network(database)
    database.environments[ENVIRONMENT_ID] = environment(deleting=True)

    assert await run_pass(aws, aws_config, database, clock) == Forget()
    assert await service_status(aws, network["clusterArn"]) == "INACTIVE"
    assert await revisions(aws) == []
    assert database.finalized == [ENVIRONMENT_ID]


async def test_with_no_network_ever_made_there_is_nothing_to_delete(aws, aws_config, database, clock):
    database.environments[ENVIRONMENT_ID] = environment(deleting=True)
    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == Forget()
    assert recording.ecs.writes() == []
    assert database.finalized == [ENVIRONMENT_ID]


# --- names from before the `_` separator -------------------------------------------------------

LEGACY = "acme-shop-production"


async def test_an_environment_named_the_old_way_is_torn_down_by_its_recorded_names(
    aws, aws_config, database, clock, simulator, network
):
    """Converged by a berth that joined names with `-`, then upgraded and deleted: its
    status recorded the old names, and they are what gets deleted (with the new ones)."""
    database.environments[ENVIRONMENT_ID] = environment()
    await converge(aws, aws_config, database, clock, simulator)
    request = render_task_definition(environment(), aws_config)
    legacy = (await aws.ecs.register_task_definition(**{**request, "family": LEGACY}))["taskDefinition"]
    await aws.ecs.create_service(
        cluster=network["clusterArn"],
        serviceName=LEGACY,
        taskDefinition=legacy["taskDefinitionArn"],
        desiredCount=1,
        tags=request["tags"],
    )
    key = ("ecs-environment", str(ENVIRONMENT_ID))
    database.statuses[key] = replace(
        database.statuses[key],
        outputs={
            **database.statuses[key].outputs,
            "serviceName": LEGACY,
            "taskDefinitionArn": legacy["taskDefinitionArn"],
        },
    )
    database.environments[ENVIRONMENT_ID] = environment(deleting=True)

    assert await run_pass(aws, aws_config, database, clock) == Forget()
    for name in (LEGACY, FAMILY):
        assert await service_status(aws, network["clusterArn"], name) == "INACTIVE"
        listed = await aws.ecs.list_task_definitions(familyPrefix=name, status="ACTIVE")
        assert listed["taskDefinitionArns"] == []
    assert database.finalized == [ENVIRONMENT_ID]


# --- ownership: what is not this environment's is left alone ----------------------------------

OTHER = environment(environment_id=UUID("00000000-0000-4000-8000-0000000000e9"))


async def test_a_same_named_service_owned_elsewhere_is_left_alone(aws, aws_config, database, clock, network):
    """The environment never ran; its names belong to another environment's resources."""
    tags = render_task_definition(OTHER, aws_config)["tags"]
    theirs = await aws.ecs.register_task_definition(**render_task_definition(OTHER, aws_config))
    arn = theirs["taskDefinition"]["taskDefinitionArn"]
    await aws.ecs.create_service(
        cluster=network["clusterArn"], serviceName=FAMILY, taskDefinition=arn, desiredCount=2, tags=tags
    )
    database.environments[ENVIRONMENT_ID] = environment(deleting=True)
    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == Forget()
    assert recording.ecs.writes() == []
    assert await service_status(aws, network["clusterArn"]) == "ACTIVE"
    assert await revisions(aws) == [arn]
    assert database.finalized == [ENVIRONMENT_ID]
    [left] = [e for e in database.events if e.reason == "NameOwnedElsewhere"]
    assert left.warning and FAMILY in left.message and arn in left.message


async def test_only_its_own_revisions_of_a_shared_family_are_deregistered(
    aws, aws_config, database, clock, running
):
    """A family two environments wrote into (as the old `-` names allowed) keeps the other's."""
    request = {**render_task_definition(OTHER, aws_config), "family": FAMILY}
    theirs = (await aws.ecs.register_task_definition(**request))["taskDefinition"]["taskDefinitionArn"]
    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == Forget()
    assert recording.ecs.writes() == [
        "delete_service",
        "deregister_task_definition",
        "deregister_task_definition",
    ]
    assert await revisions(aws) == [theirs]
    assert database.event_reasons() == ["ServiceDeleted", "NameOwnedElsewhere", "LogGroupDeleted", "TornDown"]
