"""Drift on moto: a resync (same generation, last status Ready) that finds the workload or
the environment's network changed outside berth records it field by field; the policy
`correct` puts it back (DriftCorrected), `report` leaves it (DriftDetected) and keeps
reporting it. Plus the pure rules of `drift`."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from reconcilers.aws.drift import DRIFT_CORRECTED, DRIFT_DETECTED, Drift, corrects, is_resync
from reconcilers.aws.environment_network import EnvironmentNetworkReconciler
from reconcilers.ports import StatusUpdate
from reconcilers.results import Done
from schemas.desired import DriftPolicy
from schemas.status import Condition, ConditionType
from tests.fakes.aws import RecordingClients
from tests.reconcilers.aws.factories import ENVIRONMENT_ID, environment
from tests.reconcilers.aws.passes import FAMILY, KEY, converge, ready_dependencies, status
from tests.reconcilers.aws.passes import environment_pass as run_pass

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def ready(status: bool) -> Condition:
    return Condition(type=ConditionType.READY, status=status, reason="R", message="", last_transition_time=NOW)


@pytest.mark.parametrize("previous, generation, expected", [
    (None, 1, False),
    (StatusUpdate(1, [ready(True)]), 1, True),
    (StatusUpdate(1, [ready(True)]), 2, False),  # the spec changed: not drift
    (StatusUpdate(1, [ready(False)]), 1, False),  # still converging
    (StatusUpdate(1, []), 1, False),
])
def test_a_resync_is_a_ready_status_of_this_generation(previous, generation, expected):
    assert is_resync(previous, generation) is expected


def test_policy_and_messages_name_fields_only():
    env = environment()
    assert corrects(env.spec)
    assert not corrects(env.spec.model_copy(update={"drift_policy": DriftPolicy.REPORT}))
    assert corrects(env.spec.model_copy(update={"drift_policy": DriftPolicy.CORRECT}))
    drift = Drift("ECS service shop", ("desiredCount", "networkConfiguration"))
    assert drift.event(True) == (
        DRIFT_CORRECTED, "ECS service shop was changed outside berth (desiredCount, networkConfiguration); "
        "put back as desired", False)
    reason, message, warning = drift.event(False)
    assert (reason, warning) == (DRIFT_DETECTED, True) and "drift policy is report" in message


def reporting(env):
    return replace(env, spec=env.spec.model_copy(update={"drift_policy": DriftPolicy.REPORT}))


@pytest.fixture
async def network(network, database):
    ready_dependencies(database, network)
    return network


async def service(aws, network):
    answer = await aws.ecs.describe_services(cluster=network["clusterArn"], services=[FAMILY])
    return answer["services"][0]


def drift_events(database):
    return [e for e in database.events if e.reason in (DRIFT_CORRECTED, DRIFT_DETECTED)]


async def test_the_workload_drift_is_corrected_and_recorded(aws, aws_config, database, clock, simulator, network):
    database.environments[ENVIRONMENT_ID] = environment()
    await converge(aws, aws_config, database, clock, simulator)
    assert drift_events(database) == []  # converging is not drift

    await aws.ecs.update_service(cluster=network["clusterArn"], service=FAMILY, desiredCount=5)
    assert await run_pass(aws, aws_config, database, clock) is not None
    [event] = drift_events(database)
    assert event.reason == DRIFT_CORRECTED and not event.warning
    assert event.message == f"ECS service {FAMILY} was changed outside berth (desiredCount); put back as desired"
    assert event.environment_id == ENVIRONMENT_ID
    assert (await service(aws, network))["desiredCount"] == 1


async def test_a_task_definition_changed_out_of_band_is_registered_again_once_the_service_runs_it(
    aws, aws_config, database, clock, simulator, network
):
    """A revision registered into berth's family changes nothing while the service runs
    berth's (revisions never change; the pass does not look up the family then). Once the
    service is pointed at it, the spec's definition is registered again and rolled out."""
    database.environments[ENVIRONMENT_ID] = environment()
    await converge(aws, aws_config, database, clock, simulator)
    ours = status(database).outputs["taskDefinitionArn"]
    described = await aws.ecs.describe_task_definition(taskDefinition=FAMILY, include=["TAGS"])
    latest = described["taskDefinition"]
    keep = ("family", "containerDefinitions", "networkMode", "requiresCompatibilities", "executionRoleArn")
    edited = await aws.ecs.register_task_definition(  # someone's edit, in berth's own family and tags
        **{k: latest[k] for k in keep if k in latest}, cpu="1024", memory="2048", tags=described["tags"]
    )
    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == Done()
    assert (recording.ecs.writes(), drift_events(database)) == ([], [])
    assert (await service(aws, network))["taskDefinition"] == ours

    await aws.ecs.update_service(
        cluster=network["clusterArn"], service=FAMILY, taskDefinition=edited["taskDefinition"]["taskDefinitionArn"]
    )
    await run_pass(aws, aws_config, database, clock)
    reasons = [(e.reason, e.message.split(" was changed")[0]) for e in drift_events(database)]
    assert (DRIFT_CORRECTED, f"ECS task definition family {FAMILY}") in reasons
    assert (await aws.ecs.describe_task_definition(taskDefinition=FAMILY))["taskDefinition"]["cpu"] == latest["cpu"]


async def test_with_the_report_policy_drift_is_recorded_and_left_alone(
    aws, aws_config, database, clock, simulator, network
):
    database.environments[ENVIRONMENT_ID] = reporting(environment())
    await converge(aws, aws_config, database, clock, simulator)
    await aws.ecs.update_service(cluster=network["clusterArn"], service=FAMILY, desiredCount=5)

    for _ in range(2):  # every resync says so again, and changes nothing
        recording = RecordingClients.around(aws)
        assert await run_pass(recording, aws_config, database, clock) == Done()
        assert recording.ecs.writes() == [] and recording.ecs_once.writes() == []
    detected = drift_events(database)
    assert [e.reason for e in detected] == [DRIFT_DETECTED, DRIFT_DETECTED]
    assert detected[0].warning and "(desiredCount)" in detected[0].message
    assert (await service(aws, network))["desiredCount"] == 5
    assert status(database).outputs["drift"] == [{"resource": f"ECS service {FAMILY}", "fields": ["desiredCount"]}]
    assert any(c.type == ConditionType.READY and c.status for c in status(database).conditions)

    # Back to correct (a spec change: the generation moves): put back on the next pass.
    env = database.environments[ENVIRONMENT_ID]
    database.environments[ENVIRONMENT_ID] = replace(
        env, spec=env.spec.model_copy(update={"drift_policy": None}), generation=2
    )
    await converge(aws, aws_config, database, clock, simulator)
    assert (await service(aws, network))["desiredCount"] == 1
    assert "drift" not in status(database).outputs


async def network_pass(clients, database, clock):
    return await EnvironmentNetworkReconciler(clients, clock).reconcile(database.context("environment-network", KEY))


async def ingress_group(aws, vpc_id):
    answer = await aws.ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [f"berth-env-{ENVIRONMENT_ID}"]}, {"Name": "vpc-id", "Values": [vpc_id]}]
    )
    return answer["SecurityGroups"][0]


EXTRA_RULE = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


def has_ssh(group) -> bool:
    return any(p.get("FromPort") == 22 for p in group["IpPermissions"])


@pytest.mark.parametrize("policy", [None, DriftPolicy.REPORT])
async def test_an_ingress_rule_added_out_of_band(aws, database, clock, network, policy):
    env = environment()
    database.environments[ENVIRONMENT_ID] = replace(env, spec=env.spec.model_copy(update={"drift_policy": policy}))
    database.statuses.pop(("environment-network", KEY), None)  # made here, not given
    assert await network_pass(aws, database, clock) == Done()
    assert drift_events(database) == []
    group = await ingress_group(aws, network["vpcId"])
    await aws.ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[EXTRA_RULE])

    assert await network_pass(aws, database, clock) == Done()
    [event] = drift_events(database)
    assert f"security group berth-env-{ENVIRONMENT_ID}" in event.message
    assert "ingress rules" in event.message
    if policy is None:
        assert event.reason == DRIFT_CORRECTED
        assert not has_ssh(await ingress_group(aws, network["vpcId"]))
    else:
        assert event.reason == DRIFT_DETECTED
        assert has_ssh(await ingress_group(aws, network["vpcId"]))
