"""The workload on moto with its dependencies' outputs: waiting for them, then using them."""

import json
from dataclasses import replace

import pytest

from reconcilers.results import Done, RequeueAfter
from schemas.status import ConditionType
from tests.fakes.aws import RecordingClients
from tests.reconcilers.aws.factories import ENVIRONMENT_ID, environment, web_container
from tests.reconcilers.aws.passes import (
    FAMILY,
    condition,
    converge,
    environment_network_outputs,
    ready_dependencies,
    revisions,
    status,
    write_outputs,
)
from tests.reconcilers.aws.passes import environment_pass as run_pass

REGISTRY = "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-0123456789abcdef"
STORE = "berth/acme/shop/production/app-secrets"
SECRET_VALUE = "s3cr3t-never-shown"


@pytest.fixture
async def network(network, database):
    """The shared network, with each test environment's `environment-network` ready on it."""
    ready_dependencies(database, network)
    return network


async def latest_revision(aws):
    [arn, *_] = sorted(await revisions(aws), key=lambda a: int(a.rsplit(":", 1)[1]), reverse=True)
    return (await aws.ecs.describe_task_definition(taskDefinition=arn))["taskDefinition"]


async def describe(aws, network):
    answer = await aws.ecs.describe_services(cluster=network["clusterArn"], services=[FAMILY])
    return answer["services"][0]


def with_spec(env, **wire):
    """`env` with spec fields changed as the API would (camelCase wire names, validated)."""
    return replace(env, spec=env.spec.model_validate({**env.spec.to_wire(), **wire}))


async def test_waits_for_the_environment_network_saying_so(aws, aws_config, database, clock, network):
    del database.statuses[("environment-network", str(ENVIRONMENT_ID))]
    database.environments[ENVIRONMENT_ID] = environment()
    recording = RecordingClients.around(aws)
    result = await run_pass(recording, aws_config, database, clock)
    assert result == RequeueAfter(2, "waiting for environment-network (no outputs yet)")
    progressing = condition(database, ConditionType.PROGRESSING)
    assert (progressing.status, progressing.reason) == (True, "WaitingForDependencies")
    assert condition(database, ConditionType.READY).status is False
    assert recording.ecs.calls == [] and recording.logs.calls == []

    write_outputs(database, "environment-network", environment_network_outputs(network, ready=False))
    result = await run_pass(recording, aws_config, database, clock)
    assert result == RequeueAfter(2, "waiting for environment-network (not ready)")


async def test_the_environment_networks_groups_and_registry_are_the_services(
    aws, aws_config, database, clock, simulator, network
):
    vpc = network["vpcId"]
    ingress = (await aws.ec2.create_security_group(GroupName="ingress", Description="x", VpcId=vpc))["GroupId"]
    outputs = environment_network_outputs(network, securityGroupIds=[ingress], serviceRegistryArn=REGISTRY)
    write_outputs(database, "environment-network", outputs)
    database.environments[ENVIRONMENT_ID] = environment()
    await converge(aws, aws_config, database, clock, simulator)

    service = await describe(aws, network)
    assert service["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == [ingress]
    assert service["serviceRegistries"] == [{"registryArn": REGISTRY}]

    # Discovery turned off (cross-application networking dropped): the registry goes.
    write_outputs(database, "environment-network", {**outputs, "serviceRegistryArn": None})
    await converge(aws, aws_config, database, clock, simulator)
    assert (await describe(aws, network)).get("serviceRegistries", []) == []


async def test_a_database_is_waited_for_then_injected_into_every_container(
    aws, aws_config, database, clock, simulator, network
):
    two = environment([web_container(), {**web_container(), "name": "worker", "exposedPorts": []}])
    database.environments[ENVIRONMENT_ID] = with_spec(two, database={"engine": "postgres"})

    result = await run_pass(aws, aws_config, database, clock)
    assert result == RequeueAfter(2, "waiting for rds-database (no outputs yet)")
    assert await revisions(aws) == []

    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:berth/acme/shop/production/database-AbCdEf"
    injected = [
        {"name": name, "valueFrom": f"{secret}:{key}::"}
        for name, key in (("DB_HOST", "host"), ("DB_PORT", "port"), ("DB_PASSWORD", "password"))
    ]
    write_outputs(database, "rds-database", {"ready": True, "injectedSecrets": injected})
    await converge(aws, aws_config, database, clock, simulator)
    for definition in (await latest_revision(aws))["containerDefinitions"]:
        assert {s["name"]: s["valueFrom"] for s in definition["secrets"]} == {
            "DB_HOST": f"{secret}:host::",
            "DB_PASSWORD": f"{secret}:password::",
            "DB_PORT": f"{secret}:port::",
        }


async def test_a_required_file_system_is_mounted_in_every_container(
    aws, aws_config, database, clock, simulator, network
):
    filesystem = {"required": True, "mountPath": "/data"}
    database.environments[ENVIRONMENT_ID] = with_spec(environment(), filesystem=filesystem)
    assert await run_pass(aws, aws_config, database, clock) == RequeueAfter(
        2, "waiting for efs-filesystem (no outputs yet)"
    )
    write_outputs(
        database,
        "efs-filesystem",
        {"ready": True, "filesystemId": "fs-1", "accessPointId": "fsap-1", "mountPath": "/data"},
    )
    await converge(aws, aws_config, database, clock, simulator)
    revision = await latest_revision(aws)
    [volume] = revision["volumes"]
    assert volume["name"] == "berth-filesystem"
    assert volume["efsVolumeConfiguration"]["fileSystemId"] == "fs-1"
    assert volume["efsVolumeConfiguration"]["authorizationConfig"]["accessPointId"] == "fsap-1"
    assert volume["efsVolumeConfiguration"]["transitEncryption"] == "ENABLED"
    [definition] = revision["containerDefinitions"]
    assert definition["mountPoints"] == [
        {"sourceVolume": "berth-filesystem", "containerPath": "/data", "readOnly": False}
    ]
    # Converged: observing again registers nothing.
    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == Done()
    assert recording.ecs.writes() == []


# --- secrets from the app-secrets store ----------------------------------------------------------


def everything_said(database, ctx_logs=()) -> str:
    """Every status, event and log line berth produced, as one text."""
    parts = [repr(s) for s in database.statuses.values()]
    parts += [repr(e) for e in database.events]
    parts += [repr(line) for line in ctx_logs]
    return "\n".join(parts)


@pytest.fixture
def with_secret():
    container = web_container(secrets=[{"name": "API_KEY", "valueFrom": "api-key"}])
    return environment([container])


async def test_a_missing_store_is_a_condition_and_nothing_is_rolled_out(
    aws, aws_config, database, clock, network, with_secret
):
    database.environments[ENVIRONMENT_ID] = with_secret
    recording = RecordingClients.around(aws)
    result = await run_pass(recording, aws_config, database, clock)
    assert isinstance(result, RequeueAfter) and result.seconds == 30
    ready = condition(database, ConditionType.READY)
    assert (ready.status, ready.reason) == (False, "SecretNotFound")
    assert f"the app-secrets store {STORE} does not exist" in ready.message
    assert condition(database, ConditionType.DEGRADED).status is True
    assert recording.ecs.writes() == [] and recording.logs.writes() == []


async def test_a_missing_key_names_the_container_and_key_never_a_value(
    aws, aws_config, database, clock, simulator, network, with_secret
):
    created = await aws.secretsmanager.create_secret(
        Name=STORE, SecretString=json.dumps({"other": SECRET_VALUE})
    )
    database.environments[ENVIRONMENT_ID] = with_secret
    await run_pass(aws, aws_config, database, clock)
    ready = condition(database, ConditionType.READY)
    assert ready.reason == "SecretNotFound"
    assert "container 'web': secret API_KEY refers to key 'api-key'" in ready.message
    assert await revisions(aws) == []

    # The user adds the key: the next pass rolls out, referring to it by ARN and key.
    await aws.secretsmanager.put_secret_value(
        SecretId=STORE, SecretString=json.dumps({"other": SECRET_VALUE, "api-key": SECRET_VALUE})
    )
    await converge(aws, aws_config, database, clock, simulator)
    [definition] = (await latest_revision(aws))["containerDefinitions"]
    assert definition["secrets"] == [{"name": "API_KEY", "valueFrom": f"{created['ARN']}:api-key::"}]
    assert condition(database, ConditionType.READY).status is True
    assert SECRET_VALUE not in everything_said(database)


async def test_a_store_that_is_not_json_is_reported_without_quoting_it(
    aws, aws_config, database, clock, network, with_secret
):
    await aws.secretsmanager.create_secret(Name=STORE, SecretString=f"not json {SECRET_VALUE}")
    database.environments[ENVIRONMENT_ID] = with_secret
    await run_pass(aws, aws_config, database, clock)
    assert "does not hold a JSON object" in condition(database, ConditionType.READY).message
    assert SECRET_VALUE not in everything_said(database)


async def test_a_key_removed_later_holds_the_running_revision(
    aws, aws_config, database, clock, simulator, network, with_secret
):
    await aws.secretsmanager.create_secret(Name=STORE, SecretString=json.dumps({"api-key": "v"}))
    database.environments[ENVIRONMENT_ID] = with_secret
    await converge(aws, aws_config, database, clock, simulator)
    running = (await describe(aws, network))["taskDefinition"]

    await aws.secretsmanager.put_secret_value(SecretId=STORE, SecretString=json.dumps({}))
    changed = environment(
        [web_container(secrets=[{"name": "API_KEY", "valueFrom": "api-key"}], command=["new"])], generation=2
    )
    database.environments[ENVIRONMENT_ID] = changed
    recording = RecordingClients.around(aws)
    await run_pass(recording, aws_config, database, clock)
    assert recording.ecs.writes() == []
    assert (await describe(aws, network))["taskDefinition"] == running
    assert condition(database, ConditionType.READY).reason == "SecretNotFound"
    assert status(database).outputs["taskDefinitionArn"] == running  # the last good pass's outputs
