"""The autoscaling reconciler against moto in server mode: converge, resync, drift, teardown."""

from dataclasses import replace

import pytest

from reconcilers.aws.autoscaling import SERVICE_WAIT_SECONDS, EcsAutoscalingReconciler
from reconcilers.ports import StatusUpdate
from reconcilers.results import Done, Forget, RequeueAfter
from schemas.desired import EnvironmentSpec
from schemas.kind_graph import watchers
from schemas.kinds import Kind
from schemas.status import ConditionType
from tests.fakes.aws import CrashAfter, RecordingClients
from tests.reconcilers.aws.factories import ENVIRONMENT_ID, environment

KEY = str(ENVIRONMENT_ID)
SERVICE = "acme_shop_production"
RID = f"service/berth/{SERVICE}"
NAMESPACE = {"ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount"}
CPU = {"policyName": "cpu", "metric": "CPUUtilization", "targetValue": 70}
MEMORY = {
    "policyName": "memory",
    "metric": "MemoryUtilization",
    "targetValue": 80,
    "scaleInCooldownSeconds": 120,
    "scaleOutCooldownSeconds": 30,
}


def scaled(policies=(CPU, MEMORY), *, low=1, high=4, state="running", **fields):
    env = environment(**fields)
    changes = {"minCapacity": low, "maxCapacity": high, "state": state, "scalingPolicies": list(policies)}
    return replace(env, spec=EnvironmentSpec.model_validate({**env.spec.to_wire(), **changes}))


@pytest.fixture
async def service(aws, database):
    """An ECS service in cluster `berth`, and the ecs-environment outputs that name it."""
    cluster = (await aws.ecs.create_cluster(clusterName="berth"))["cluster"]["clusterArn"]
    await aws.ecs.register_task_definition(
        family=SERVICE, containerDefinitions=[{"name": "web", "image": "nginx", "memory": 256}]
    )
    created = await aws.ecs.create_service(
        cluster="berth", serviceName=SERVICE, taskDefinition=SERVICE, desiredCount=1
    )
    outputs = {"serviceName": SERVICE, "clusterArn": cluster, "serviceArn": created["service"]["serviceArn"]}
    database.statuses[("ecs-environment", KEY)] = StatusUpdate(observed_generation=1, conditions=[], outputs=outputs)
    return outputs


async def run_pass(clients, aws_config, database, clock):
    return await EcsAutoscalingReconciler(clients, aws_config, clock).reconcile(database.context("ecs-autoscaling", KEY))


def status(database):
    return database.statuses[("ecs-autoscaling", KEY)]


async def target(aws):
    answer = await aws.autoscaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[RID])
    return answer["ScalableTargets"]


async def policies(aws):
    answer = await aws.autoscaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=RID)
    return {p["PolicyName"]: p for p in answer["ScalingPolicies"]}


async def test_a_missing_environment_is_forgotten(aws, aws_config, database, clock):
    assert await run_pass(aws, aws_config, database, clock) == Forget()


async def test_waits_for_the_service(aws, aws_config, database, clock):
    database.environments[ENVIRONMENT_ID] = scaled()
    recording = RecordingClients.around(aws)
    result = await run_pass(recording, aws_config, database, clock)
    assert result == RequeueAfter(SERVICE_WAIT_SECONDS, "waiting for ecs-environment: no outputs yet")
    assert watchers()[Kind.ECS_ENVIRONMENT][Kind.ECS_AUTOSCALING] == ("serviceName", "clusterArn", "serviceArn")
    assert recording.autoscaling.calls == []
    written = status(database)
    assert written.outputs["ready"] is False and written.outputs["resourceId"] is None
    ready = next(c for c in written.conditions if c.type == ConditionType.READY)
    assert (ready.status, ready.reason) == (False, "WaitingForEcsEnvironment")


async def test_converges_then_a_resync_writes_nothing(aws, aws_config, database, clock, service):
    database.environments[ENVIRONMENT_ID] = scaled()
    recording = RecordingClients.around(aws)

    assert await run_pass(recording, aws_config, database, clock) == Done()
    assert recording.autoscaling.writes() == ["register_scalable_target", "put_scaling_policy", "put_scaling_policy"]
    [registered] = await target(aws)
    assert (registered["MinCapacity"], registered["MaxCapacity"]) == (1, 4)
    found = await policies(aws)
    cpu = found["cpu"]["TargetTrackingScalingPolicyConfiguration"]
    assert found["cpu"]["PolicyType"] == "TargetTrackingScaling"
    assert cpu == {
        "TargetValue": 70.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
        "ScaleInCooldown": 300,
        "ScaleOutCooldown": 60,
        "DisableScaleIn": False,
    }
    memory = found["memory"]["TargetTrackingScalingPolicyConfiguration"]
    assert memory["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ECSServiceAverageMemoryUtilization"
    assert (memory["TargetValue"], memory["ScaleInCooldown"], memory["ScaleOutCooldown"]) == (80.0, 120, 30)

    outputs = status(database).outputs
    assert outputs["ready"] is True
    assert (outputs["resourceId"], outputs["minCapacity"], outputs["maxCapacity"]) == (RID, 1, 4)
    assert [(p["policyName"], p["metric"], p["policyArn"]) for p in outputs["policies"]] == [
        ("cpu", "CPUUtilization", found["cpu"]["PolicyARN"]),
        ("memory", "MemoryUtilization", found["memory"]["PolicyARN"]),
    ]
    assert database.event_reasons() == ["ScalableTargetRegistered", "ScalingPolicyPut", "ScalingPolicyPut"]

    recording.autoscaling.calls.clear()
    assert await run_pass(recording, aws_config, database, clock) == Done()
    assert recording.autoscaling.writes() == []
    assert recording.autoscaling.calls == ["describe_scalable_targets", "describe_scaling_policies"]
    assert status(database).outputs == outputs
    ready = next(c for c in status(database).conditions if c.type == ConditionType.READY)
    assert (ready.status, ready.reason) == (True, "AsDesired")


async def test_drift_is_put_back(aws, aws_config, database, clock, service):
    database.environments[ENVIRONMENT_ID] = scaled()
    assert await run_pass(aws, aws_config, database, clock) == Done()
    # Out of band: a policy deleted, the target's minimum changed, a stranger's policy added.
    await aws.autoscaling.delete_scaling_policy(PolicyName="memory", ResourceId=RID, **NAMESPACE)
    await aws.autoscaling.register_scalable_target(ResourceId=RID, MinCapacity=3, MaxCapacity=9, **NAMESPACE)
    await aws.autoscaling.put_scaling_policy(
        PolicyName="by-hand",
        ResourceId=RID,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 10.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
        },
        **NAMESPACE,
    )

    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == Done()
    assert recording.autoscaling.writes() == ["register_scalable_target", "delete_scaling_policy", "put_scaling_policy"]
    [registered] = await target(aws)
    assert (registered["MinCapacity"], registered["MaxCapacity"]) == (1, 4)
    assert set(await policies(aws)) == {"cpu", "memory"}

    recording.autoscaling.calls.clear()
    assert await run_pass(recording, aws_config, database, clock) == Done()
    assert recording.autoscaling.writes() == []


async def test_a_changed_policy_is_put_again_and_a_removed_one_deleted(aws, aws_config, database, clock, service):
    database.environments[ENVIRONMENT_ID] = scaled()
    assert await run_pass(aws, aws_config, database, clock) == Done()
    database.environments[ENVIRONMENT_ID] = scaled([{**CPU, "targetValue": 55}], generation=2)

    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == Done()
    assert recording.autoscaling.writes() == ["delete_scaling_policy", "put_scaling_policy"]
    found = await policies(aws)
    assert list(found) == ["cpu"]
    assert found["cpu"]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 55.0
    assert status(database).observed_generation == 2
    assert [p["targetValue"] for p in status(database).outputs["policies"]] == [55.0]


async def test_a_stopped_environment_scales_between_zero_and_zero(aws, aws_config, database, clock, service):
    database.environments[ENVIRONMENT_ID] = scaled(state="stopped")
    assert await run_pass(aws, aws_config, database, clock) == Done()
    [registered] = await target(aws)
    assert (registered["MinCapacity"], registered["MaxCapacity"]) == (0, 0)
    assert set(await policies(aws)) == {"cpu", "memory"}
    outputs = status(database).outputs
    assert (outputs["minCapacity"], outputs["maxCapacity"]) == (0, 0)


async def test_no_policies_still_registers_the_capacity_range(aws, aws_config, database, clock, service):
    database.environments[ENVIRONMENT_ID] = scaled(policies=(), low=2, high=2)
    assert await run_pass(aws, aws_config, database, clock) == Done()
    [registered] = await target(aws)
    assert (registered["MinCapacity"], registered["MaxCapacity"]) == (2, 2)
    assert await policies(aws) == {}
    assert status(database).outputs["policies"] == []


async def test_teardown_deletes_policies_and_target_then_releases(aws, aws_config, database, clock, service):
    database.environments[ENVIRONMENT_ID] = scaled()
    assert await run_pass(aws, aws_config, database, clock) == Done()
    env = database.environments[ENVIRONMENT_ID]
    database.environments[ENVIRONMENT_ID] = replace(
        env, deleting=True, generation=2, finalizers=("ecs-environment", "ecs-autoscaling")
    )

    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == Forget()
    assert sorted(recording.autoscaling.writes()) == [
        "delete_scaling_policy",
        "delete_scaling_policy",
        "deregister_scalable_target",
    ]
    assert await target(aws) == []
    assert await policies(aws) == {}
    assert database.released == [("ecs-autoscaling", ENVIRONMENT_ID)]
    assert ("ecs-autoscaling", KEY) not in database.statuses
    # The service is still there: the environment waits for the workload's own teardown.
    assert database.environments[ENVIRONMENT_ID].finalizers == ("ecs-environment",)


async def test_teardown_without_anything_made_only_releases(aws, aws_config, database, clock):
    database.environments[ENVIRONMENT_ID] = replace(scaled(), deleting=True, finalizers=("ecs-autoscaling",))
    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == Forget()
    assert recording.autoscaling.writes() == []
    assert database.finalized == [ENVIRONMENT_ID]


async def test_teardown_finds_the_target_by_its_derived_name_when_nothing_was_recorded(
    aws, aws_config, database, clock, service
):
    database.environments[ENVIRONMENT_ID] = scaled()
    assert await run_pass(aws, aws_config, database, clock) == Done()
    database.statuses.clear()  # the status rows went (another kind's release, say)
    database.environments[ENVIRONMENT_ID] = replace(scaled(), deleting=True, finalizers=("ecs-autoscaling",))
    assert await run_pass(aws, aws_config, database, clock) == Forget()
    assert await target(aws) == []
    assert await policies(aws) == {}


async def test_waits_while_the_workload_has_no_service_arn(aws, aws_config, database, clock, service):
    database.environments[ENVIRONMENT_ID] = scaled()
    before = database.statuses[("ecs-environment", KEY)]
    database.statuses[("ecs-environment", KEY)] = replace(before, outputs={**before.outputs, "serviceArn": None})
    result = await run_pass(aws, aws_config, database, clock)
    assert result == RequeueAfter(SERVICE_WAIT_SECONDS, "waiting for ecs-environment: serviceArn")
    assert watchers()[Kind.ECS_ENVIRONMENT][Kind.ECS_AUTOSCALING] == ("serviceName", "clusterArn", "serviceArn")
    assert await target(aws) == []


async def test_a_pass_that_died_midway_is_finished_by_the_next(aws, aws_config, database, clock, service):
    database.environments[ENVIRONMENT_ID] = scaled()
    crashing = RecordingClients.around(aws, crash_after=["put_scaling_policy"])
    with pytest.raises(CrashAfter):
        await run_pass(crashing, aws_config, database, clock)
    assert set(await policies(aws)) == {"cpu"}

    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == Done()
    assert recording.autoscaling.writes() == ["put_scaling_policy"]
    assert set(await policies(aws)) == {"cpu", "memory"}
    assert all(p["policyArn"] for p in status(database).outputs["policies"])


async def test_a_policy_of_a_service_whose_name_is_a_prefix_is_not_this_ones(
    aws, aws_config, database, clock, service
):
    """moto's resource id filter matches by substring: observe filters again, exactly."""
    database.environments[ENVIRONMENT_ID] = scaled(policies=())
    shorter = SERVICE[:-1]
    await aws.ecs.create_service(cluster="berth", serviceName=shorter, taskDefinition=SERVICE, desiredCount=1)
    other = f"service/berth/{shorter}"
    await aws.autoscaling.register_scalable_target(ResourceId=other, MinCapacity=1, MaxCapacity=2, **NAMESPACE)
    await aws.autoscaling.put_scaling_policy(
        PolicyName="theirs",
        ResourceId=other,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 10.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
        },
        **NAMESPACE,
    )
    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == Done()
    assert recording.autoscaling.writes() == ["register_scalable_target"]
    answer = await aws.autoscaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=other)
    assert [p["PolicyName"] for p in answer["ScalingPolicies"]] == ["theirs"]
