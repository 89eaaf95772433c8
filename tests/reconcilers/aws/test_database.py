"""The rds-database reconciler against moto: converge, stay converged, put drift back."""

import pytest

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
    secret_arn = (await aws.secretsmanager.describe_secret(SecretId=SECRET_NAME))["ARN"]
    assert outputs == {
        "ready": True,
        "rdsInstanceIdentifier": IDENTIFIER,
        "rdsInstanceEndpoint": instance["Endpoint"]["Address"],
        "rdsInstancePort": 3306,
        "rdsInstanceEngine": "mysql",
        "rdsInstanceStatus": "available",
        "pendingModifications": {},
        "connectionSecretArn": secret_arn,
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
    assert condition(database, ConditionType.PROGRESSING).status is False
