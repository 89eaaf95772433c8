"""The rds-database reconciler against moto: converge, stay converged, put drift back."""

import json

import pytest

from reconcilers.aws.database.plan import fields_digest
from reconcilers.results import Done, RequeueAfter
from schemas.status import ConditionType
from tests.fakes.aws import RecordingClients
from tests.reconcilers.aws.database_passes import (
    IDENTIFIER,
    KEY,
    SECRET_NAME,
    condition,
    converge,
    database_environment,
    database_pass,
    describe_instance,
    publish_environment_network,
    secret_value,
    status,
    with_database,
    workload_group,
)
from tests.reconcilers.aws.factories import ENVIRONMENT_ID


@pytest.fixture
async def ready(aws, network, database):
    """An environment asking for the default database, its network published."""
    database.environments[ENVIRONMENT_ID] = database_environment()
    group = await workload_group(aws, network)
    publish_environment_network(database, [group])
    return group


async def test_converges_then_a_second_pass_writes_nothing(aws, aws_config, database, clock, network, ready):
    assert await converge(aws, aws_config, database, clock) == Done()
    instance = await describe_instance(aws)
    assert instance["Engine"] == "mysql" and instance["EngineVersion"].startswith("8.4")
    assert (instance["DBInstanceClass"], instance["AllocatedStorage"], instance["MultiAZ"]) == (
        "db.t4g.micro",
        20,
        False,
    )
    assert instance["StorageEncrypted"] is True
    assert instance["PubliclyAccessible"] is False and instance["DeletionProtection"] is False
    tags = {t["Key"]: t["Value"] for t in instance["TagList"]}
    assert tags["berth:environment-id"] == KEY and tags["berth:managed-by"] == "berth"
    assert instance["DBSubnetGroup"]["DBSubnetGroupName"] == IDENTIFIER
    assert {s["SubnetIdentifier"] for s in instance["DBSubnetGroup"]["Subnets"]} == set(network["subnetIds"])
    group_id = instance["VpcSecurityGroups"][0]["VpcSecurityGroupId"]
    group = (await aws.ec2.describe_security_groups(GroupIds=[group_id]))["SecurityGroups"][0]
    assert group["GroupName"] == IDENTIFIER
    rules = [
        (p["IpProtocol"], p["FromPort"], p["ToPort"], pair["GroupId"])
        for p in group["IpPermissions"]
        for pair in p["UserIdGroupPairs"]
    ]
    assert rules == [("tcp", 3306, 3306, ready)]
    assert not any(p.get("IpRanges") for p in group["IpPermissions"])

    value = await secret_value(aws)
    assert value["host"] == instance["Endpoint"]["Address"] and value["port"] == 3306
    assert (value["engine"], value["username"], value["dbname"]) == ("mysql", "berth", "app")
    assert len(value["password"]) == 32

    outputs = status(database).outputs
    described = await aws.secretsmanager.describe_secret(SecretId=SECRET_NAME)
    secret_arn = described["ARN"]
    [current_version] = [v for v, stages in described["VersionIdsToStages"].items() if "AWSCURRENT" in stages]
    assert outputs == {
        "ready": True,
        "rdsInstanceIdentifier": IDENTIFIER,
        "rdsInstanceEndpoint": instance["Endpoint"]["Address"],
        "rdsInstancePort": 3306,
        "rdsInstanceEngine": "mysql",
        "rdsInstanceStatus": "available",
        "pendingModifications": {},
        "connectionSecretArn": secret_arn,
        "connectionSecretVersion": current_version,
        "connectionSecretDigest": fields_digest({k: v for k, v in value.items() if k != "password"}),
        "injectedSecrets": [
            {"name": "DB_HOST", "valueFrom": f"{secret_arn}:host::"},
            {"name": "DB_PORT", "valueFrom": f"{secret_arn}:port::"},
            {"name": "DB_DATABASE", "valueFrom": f"{secret_arn}:dbname::"},
            {"name": "DB_USERNAME", "valueFrom": f"{secret_arn}:username::"},
            {"name": "DB_PASSWORD", "valueFrom": f"{secret_arn}:password::"},
        ],
    }
    assert condition(database, ConditionType.READY).status is True
    assert condition(database, ConditionType.DEGRADED).status is False
    assert "DatabaseCreated" in database.event_reasons()

    recording = RecordingClients.around(aws)
    clock.advance(600)
    assert await database_pass(recording, aws_config, database, clock) == Done()
    assert recording.rds.writes() == [] and recording.ec2.writes() == []
    assert recording.secretsmanager.writes() == []
    assert recording.secretsmanager.calls == ["describe_secret"]  # the value's version is the one read before
    assert condition(database, ConditionType.PROGRESSING).status is False


async def test_waits_for_the_environment_network(aws, aws_config, database, clock, network):
    database.environments[ENVIRONMENT_ID] = database_environment()
    result = await database_pass(aws, aws_config, database, clock)
    assert isinstance(result, RequeueAfter) and "environment-network" in result.reason
    publish_environment_network(database, ["sg-0123456789abcdef0"], ready=False)
    assert isinstance(await database_pass(aws, aws_config, database, clock), RequeueAfter)
    assert condition(database, ConditionType.READY).reason == "WaitingForEnvironmentNetwork"
    assert status(database).outputs["ready"] is False
    assert (await aws.rds.describe_db_instances())["DBInstances"] == []


async def test_waits_for_the_shared_network(aws, aws_config, database, clock):
    database.environments[ENVIRONMENT_ID] = database_environment()
    result = await database_pass(aws, aws_config, database, clock)
    assert isinstance(result, RequeueAfter) and "aws-network" in result.reason


async def test_spec_changes_modify_the_instance(aws, aws_config, database, clock, network, ready):
    await converge(aws, aws_config, database, clock)
    env = database.environments[ENVIRONMENT_ID]
    database.environments[ENVIRONMENT_ID] = with_database(
        env, instanceClass="db.t4g.small", storageGb=50, multiAz=True
    )
    recording = RecordingClients.around(aws)
    await converge(recording, aws_config, database, clock)
    assert recording.rds.writes().count("modify_db_instance") == 2  # at once, and in the window
    instance = await describe_instance(aws)
    assert (instance["DBInstanceClass"], instance["AllocatedStorage"], instance["MultiAZ"]) == (
        "db.t4g.small",
        50,
        True,
    )
    assert "DatabaseModified" in database.event_reasons()
    assert status(database).outputs["ready"] is True


async def test_shrinking_storage_is_refused_not_a_crash(aws, aws_config, database, clock, network, ready):
    database.environments[ENVIRONMENT_ID] = database_environment(storageGb=40)
    await converge(aws, aws_config, database, clock)
    env = database.environments[ENVIRONMENT_ID]
    database.environments[ENVIRONMENT_ID] = with_database(env, storageGb=30, instanceClass="db.t4g.small")
    await converge(aws, aws_config, database, clock)  # the class changes; the shrink does not crash the pass
    degraded = condition(database, ConditionType.DEGRADED)
    assert (degraded.status, degraded.reason) == (True, "StorageShrinkRefused")
    instance = await describe_instance(aws)
    assert instance["AllocatedStorage"] == 40 and instance["DBInstanceClass"] == "db.t4g.small"
    assert status(database).outputs["ready"] is True


async def test_an_engine_change_is_refused(aws, aws_config, database, clock, network, ready):
    await converge(aws, aws_config, database, clock)
    env = database.environments[ENVIRONMENT_ID]
    database.environments[ENVIRONMENT_ID] = with_database(env, engine="postgres")
    recording = RecordingClients.around(aws)
    await database_pass(recording, aws_config, database, clock)
    assert recording.rds.writes() == [] and recording.ec2.writes() == []  # port 3306 stays open
    degraded = condition(database, ConditionType.DEGRADED)
    assert (degraded.status, degraded.reason) == (True, "EngineChangeRefused")
    assert "new instance" in degraded.message
    assert status(database).outputs["rdsInstanceEngine"] == "mysql"


async def test_drift_on_the_instance_and_its_group_is_put_back(
    aws, aws_config, database, clock, network, ready
):
    await converge(aws, aws_config, database, clock)
    await aws.rds.modify_db_instance(
        DBInstanceIdentifier=IDENTIFIER,
        DBInstanceClass="db.m5.large",
        PubliclyAccessible=True,
        DeletionProtection=True,
        ApplyImmediately=True,
    )
    group_id = (await describe_instance(aws))["VpcSecurityGroups"][0]["VpcSecurityGroupId"]
    await aws.ec2.authorize_security_group_ingress(
        GroupId=group_id,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )
    await aws.ec2.revoke_security_group_ingress(
        GroupId=group_id,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "UserIdGroupPairs": [{"GroupId": ready}]}
        ],
    )
    await converge(aws, aws_config, database, clock)
    instance = await describe_instance(aws)
    assert instance["DBInstanceClass"] == "db.t4g.micro"
    assert instance["PubliclyAccessible"] is False and instance["DeletionProtection"] is False
    group = (await aws.ec2.describe_security_groups(GroupIds=[group_id]))["SecurityGroups"][0]
    assert [
        (p["IpProtocol"], p["FromPort"], [g["GroupId"] for g in p["UserIdGroupPairs"]], p["IpRanges"])
        for p in group["IpPermissions"]
    ] == [("tcp", 3306, [ready], [])]
    recording = RecordingClients.around(aws)
    assert await database_pass(recording, aws_config, database, clock) == Done()
    assert recording.rds.writes() == [] and recording.ec2.writes() == []


async def test_a_secret_deleted_with_a_recovery_window_is_restored_with_its_password(
    aws, aws_config, database, clock, network, ready
):
    await converge(aws, aws_config, database, clock)
    before = await secret_value(aws)
    await aws.secretsmanager.delete_secret(SecretId=SECRET_NAME, RecoveryWindowInDays=7)
    recording = RecordingClients.around(aws)
    await converge(recording, aws_config, database, clock)
    assert await secret_value(aws) == before
    assert "modify_db_instance" not in recording.rds.writes()
    assert "DatabaseSecretRestored" in database.event_reasons()
    assert status(database).outputs["ready"] is True


async def test_a_secret_gone_for_good_gets_a_new_password_set_on_the_instance(
    aws, aws_config, database, clock, network, ready
):
    await converge(aws, aws_config, database, clock)
    before = await secret_value(aws)
    await aws.secretsmanager.delete_secret(SecretId=SECRET_NAME, ForceDeleteWithoutRecovery=True)
    recording = RecordingClients.around(aws)
    await converge(recording, aws_config, database, clock)
    after = await secret_value(aws)
    assert after["password"] != before["password"]
    assert {k: v for k, v in after.items() if k != "password"} == {
        k: v for k, v in before.items() if k != "password"
    }
    assert "modify_db_instance" in recording.rds.writes()
    tags = (await aws.secretsmanager.describe_secret(SecretId=SECRET_NAME)).get("Tags") or []
    assert "berth:master-password" not in {t["Key"] for t in tags}
    assert "DatabasePasswordSet" in database.event_reasons()
    assert status(database).outputs["ready"] is True


async def test_an_edited_secret_is_rewritten_keeping_the_password(
    aws, aws_config, database, clock, network, ready
):
    await converge(aws, aws_config, database, clock)
    before = await secret_value(aws)
    await aws.secretsmanager.put_secret_value(
        SecretId=SECRET_NAME, SecretString=json.dumps({**before, "host": "elsewhere.example"})
    )
    await converge(aws, aws_config, database, clock)
    assert await secret_value(aws) == before


async def test_a_secret_value_changed_out_of_band_is_read_again_and_put_back(
    aws, aws_config, database, clock, network, ready
):
    """A converged pass reads only the secret's description; a new value is a new version,
    so the next pass reads it and rewrites what differs (fields, or a lost password)."""
    await converge(aws, aws_config, database, clock)
    before = await secret_value(aws)
    await aws.secretsmanager.put_secret_value(
        SecretId=SECRET_NAME, SecretString=json.dumps({**before, "dbname": "other"})
    )
    recording = RecordingClients.around(aws)
    await database_pass(recording, aws_config, database, clock)
    assert recording.secretsmanager.calls[:2] == ["describe_secret", "get_secret_value"]
    assert "put_secret_value" in recording.secretsmanager.writes()
    await converge(aws, aws_config, database, clock)
    assert await secret_value(aws) == before

    await aws.secretsmanager.put_secret_value(
        SecretId=SECRET_NAME, SecretString=json.dumps({k: v for k, v in before.items() if k != "password"})
    )
    await converge(aws, aws_config, database, clock)
    after = await secret_value(aws)
    assert after["password"] != before["password"] and after["dbname"] == before["dbname"]
    assert status(database).outputs["ready"] is True
    recording = RecordingClients.around(aws)
    assert await database_pass(recording, aws_config, database, clock) == Done()
    assert recording.secretsmanager.calls == ["describe_secret"]


async def test_a_crash_after_the_secret_keeps_its_password_for_the_instance(
    aws, aws_config, database, clock, network, ready
):
    crashing = RecordingClients.around(aws, crash_after=["create_secret"])
    with pytest.raises(Exception, match="create_secret"):
        await database_pass(crashing, aws_config, database, clock)
    first = await secret_value(aws)
    await converge(aws, aws_config, database, clock)
    assert (await secret_value(aws))["password"] == first["password"]
    assert len((await aws.rds.describe_db_instances())["DBInstances"]) == 1
    assert len((await aws.secretsmanager.list_secrets())["SecretList"]) == 1


async def test_an_instance_of_that_name_not_ours_is_left_alone(
    aws, aws_config, database, clock, network, ready
):
    await aws.rds.create_db_instance(
        DBInstanceIdentifier=IDENTIFIER,
        DBInstanceClass="db.t4g.large",
        Engine="postgres",
        AllocatedStorage=100,
        MasterUsername="someone",
        MasterUserPassword="not-berths-password",
    )
    recording = RecordingClients.around(aws)
    assert await database_pass(recording, aws_config, database, clock) == Done()
    assert recording.rds.writes() == [] and recording.secretsmanager.writes() == []
    degraded = condition(database, ConditionType.DEGRADED)
    assert (degraded.status, degraded.reason) == (True, "NameOwnedElsewhere")
    assert status(database).outputs["ready"] is False
    assert status(database).outputs["rdsInstanceEndpoint"] is None


async def test_a_postgres_database(aws, aws_config, database, clock, network):
    database.environments[ENVIRONMENT_ID] = database_environment(
        engine="postgres", storageGb=30, multiAz=True
    )
    group = await workload_group(aws, network)
    publish_environment_network(database, [group])
    assert await converge(aws, aws_config, database, clock) == Done()
    instance = await describe_instance(aws)
    assert (instance["Engine"], instance["EngineVersion"], instance["Endpoint"]["Port"]) == (
        "postgres",
        "17",
        5432,
    )
    assert (instance["AllocatedStorage"], instance["MultiAZ"]) == (30, True)
    value = await secret_value(aws)
    assert (value["engine"], value["port"]) == ("postgres", 5432)
    group_id = instance["VpcSecurityGroups"][0]["VpcSecurityGroupId"]
    rules = (await aws.ec2.describe_security_groups(GroupIds=[group_id]))["SecurityGroups"][0][
        "IpPermissions"
    ]
    assert [(p["FromPort"], p["ToPort"]) for p in rules] == [(5432, 5432)]
    assert status(database).outputs["rdsInstanceEngine"] == "postgres"
