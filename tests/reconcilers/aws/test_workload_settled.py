"""A converged workload's pass does not look up its task definition family: the status
records the revision it settled on and the rendered definition's fingerprint, and the
service's description (always made) shows whether it still runs that revision."""

import uuid
from dataclasses import replace

import pytest

from reconcilers.aws.ecs_environment import TASK_DEFINITION_FINGERPRINT
from reconcilers.aws.log_group import LOG_GROUP_CHECK_EVERY, log_group_check_due
from reconcilers.aws.task_definition import fingerprint
from reconcilers.results import Done
from tests.fakes.aws import RecordingClients
from tests.reconcilers.aws.factories import ENVIRONMENT_ID, environment, web_container
from tests.reconcilers.aws.passes import FAMILY, converge, ready_dependencies, revisions, status
from tests.reconcilers.aws.passes import environment_pass as run_pass

FAMILY_LOOKUPS = ("list_task_definitions", "describe_task_definition")


@pytest.fixture
async def network(network, database):
    ready_dependencies(database, network)
    return network


def family_lookups(recording) -> list[str]:
    return [c for c in recording.ecs.calls if c in FAMILY_LOOKUPS]


async def running(aws, network) -> str:
    answer = await aws.ecs.describe_services(cluster=network["clusterArn"], services=[FAMILY])
    return answer["services"][0]["taskDefinition"]


async def test_a_converged_pass_describes_the_service_and_nothing_of_the_family(
    aws, aws_config, database, clock, simulator, network
):
    database.environments[ENVIRONMENT_ID] = environment()
    await converge(aws, aws_config, database, clock, simulator)
    recorded = status(database).outputs
    assert recorded[TASK_DEFINITION_FINGERPRINT]
    assert recorded["taskDefinitionArn"] == await running(aws, network)

    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == Done()
    assert recording.ecs.writes() == []
    assert recording.ecs.calls == ["describe_services"]
    assert status(database).outputs["taskDefinitionArn"] == recorded["taskDefinitionArn"]
    assert status(database).outputs[TASK_DEFINITION_FINGERPRINT] == recorded[TASK_DEFINITION_FINGERPRINT]


async def test_the_fingerprint_is_the_same_for_the_request_and_the_revision_ecs_registered(
    aws, aws_config, database, clock, simulator, network
):
    database.environments[ENVIRONMENT_ID] = environment()
    await converge(aws, aws_config, database, clock, simulator)
    answer = await aws.ecs.describe_task_definition(taskDefinition=FAMILY, include=["TAGS"])
    registered = {**answer["taskDefinition"], "tags": answer["tags"]}
    assert fingerprint(registered) == status(database).outputs[TASK_DEFINITION_FINGERPRINT]


async def test_a_changed_image_registers_and_rolls_out_a_new_revision(
    aws, aws_config, database, clock, simulator, network
):
    database.environments[ENVIRONMENT_ID] = environment()
    await converge(aws, aws_config, database, clock, simulator)
    before = status(database).outputs

    database.environments[ENVIRONMENT_ID] = environment([web_container(imageReference={
        "type": "external", "identifier": "nginx:1.28"})], generation=2)  # fmt: skip
    recording = RecordingClients.around(aws)
    await run_pass(recording, aws_config, database, clock)
    assert family_lookups(recording) == ["list_task_definitions", "describe_task_definition"]
    assert recording.ecs.writes() == ["register_task_definition", "update_service"]
    await converge(aws, aws_config, database, clock, simulator)
    after = status(database).outputs
    assert after[TASK_DEFINITION_FINGERPRINT] != before[TASK_DEFINITION_FINGERPRINT]
    assert after["taskDefinitionArn"] == await running(aws, network) != before["taskDefinitionArn"]

    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == Done()
    assert (family_lookups(recording), recording.ecs.writes()) == ([], [])


async def test_a_changed_image_tag_from_the_state_route_registers_a_new_revision(
    aws, aws_config, database, clock, simulator, network
):
    internal = web_container(imageReference={"type": "internal", "identifier": "shop-1"})
    env = environment([internal])
    database.environments[ENVIRONMENT_ID] = env
    await converge(aws, aws_config, database, clock, simulator)

    spec = env.spec.model_validate({**env.spec.to_wire(), "imageTag": "shop-2"})
    database.environments[ENVIRONMENT_ID] = replace(env, spec=spec, generation=2)
    recording = RecordingClients.around(aws)
    await run_pass(recording, aws_config, database, clock)
    assert recording.ecs.writes() == ["register_task_definition", "update_service"]
    await converge(aws, aws_config, database, clock, simulator)
    answer = await aws.ecs.describe_task_definition(taskDefinition=await running(aws, network))
    assert answer["taskDefinition"]["containerDefinitions"][0]["image"].endswith(":shop-2")


async def test_a_service_moved_to_another_revision_is_seen_and_put_back(
    aws, aws_config, database, clock, simulator, network
):
    database.environments[ENVIRONMENT_ID] = environment()
    await converge(aws, aws_config, database, clock, simulator)
    ours = status(database).outputs["taskDefinitionArn"]
    other = await aws.ecs.register_task_definition(
        family="intruder", containerDefinitions=[{"name": "x", "image": "busybox", "memory": 64}]
    )
    await aws.ecs.update_service(
        cluster=network["clusterArn"], service=FAMILY, taskDefinition=other["taskDefinition"]["taskDefinitionArn"]
    )

    recording = RecordingClients.around(aws)
    await run_pass(recording, aws_config, database, clock)
    assert family_lookups(recording) == ["list_task_definitions", "describe_task_definition"]
    assert recording.ecs.writes() == ["update_service"]
    await converge(aws, aws_config, database, clock, simulator)
    assert await running(aws, network) == ours


async def test_without_a_recorded_fingerprint_the_family_is_looked_up_and_then_recorded(
    aws, aws_config, database, clock, simulator, network
):
    """Statuses written before fingerprints were recorded."""
    database.environments[ENVIRONMENT_ID] = environment()
    await converge(aws, aws_config, database, clock, simulator)
    previous = status(database)
    outputs = {k: v for k, v in previous.outputs.items() if k != TASK_DEFINITION_FINGERPRINT}
    database.statuses[("ecs-environment", str(ENVIRONMENT_ID))] = replace(previous, outputs=outputs)

    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == Done()
    assert family_lookups(recording) == ["list_task_definitions", "describe_task_definition"]
    assert recording.ecs.writes() == []
    assert status(database).outputs[TASK_DEFINITION_FINGERPRINT] == previous.outputs[TASK_DEFINITION_FINGERPRINT]
    assert len(await revisions(aws)) == 1


def test_a_wave_of_converged_environments_looks_at_a_twelfth_of_the_log_groups():
    keys = [str(uuid.UUID(int=n)) for n in range(1200)]
    for passes in (1, 2, 30):
        due = sum(log_group_check_due(key, passes, settled=True) for key in keys)
        assert 60 <= due <= 140  # 1,200 / 12, give or take the phases' spread
    assert all(log_group_check_due(key, 7, settled=False) for key in keys[:50])
    key = keys[0]  # each key: once every 12 passes
    assert [p for p in range(36) if log_group_check_due(key, p, settled=True)][1:] == [
        p + LOG_GROUP_CHECK_EVERY for p in range(36) if log_group_check_due(key, p, settled=True)
    ][:2]
