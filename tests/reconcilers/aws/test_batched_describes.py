"""The shared describes on moto: concurrent passes' asks become one call, and each gets
what the one-id call would have answered."""

import asyncio

from reconcilers.aws.autoscaling_plan import SCALABLE_DIMENSION, SERVICE_NAMESPACE
from reconcilers.aws.batched_describes import DbInstances, ScalableTargets, SecurityGroupsByName
from tests.fakes.aws import RecordingClients


async def test_security_groups_of_many_passes_in_one_call(aws):
    vpc = (await aws.ec2.create_vpc(CidrBlock="10.9.0.0/16"))["Vpc"]["VpcId"]
    other = (await aws.ec2.create_vpc(CidrBlock="10.8.0.0/16"))["Vpc"]["VpcId"]
    ids = {}
    for name in ("a", "b", "c"):
        ids[name] = (await aws.ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc))["GroupId"]
    await aws.ec2.create_security_group(GroupName="a", Description="elsewhere", VpcId=other)
    recording = RecordingClients.around(aws)
    groups = SecurityGroupsByName(recording.ec2)
    first, second, third = await asyncio.gather(
        groups.describe(vpc, ["a", "shared"]), groups.describe(vpc, ["b", "shared"]), groups.describe(vpc, ["nope"])
    )
    assert recording.ec2.calls == ["describe_security_groups"]
    assert {n: g["GroupId"] for n, g in first.items()} == {"a": ids["a"]}
    assert {n: g["GroupId"] for n, g in second.items()} == {"b": ids["b"]}
    assert third == {}
    alone = await aws.ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["a"]}, {"Name": "vpc-id", "Values": [vpc]}]
    )
    assert first["a"] == alone["SecurityGroups"][0]


async def test_scalable_targets_of_many_passes_in_one_call(aws):
    await aws.ecs.create_cluster(clusterName="berth")
    await aws.ecs.register_task_definition(
        family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}]
    )
    for n in range(3):
        await aws.ecs.create_service(cluster="berth", serviceName=f"svc-{n}", taskDefinition="web", desiredCount=0)
    for n in range(3):
        await aws.autoscaling.register_scalable_target(
            ServiceNamespace=SERVICE_NAMESPACE,
            ResourceId=f"service/berth/svc-{n}",
            ScalableDimension=SCALABLE_DIMENSION,
            MinCapacity=n,
            MaxCapacity=n + 2,
        )
    recording = RecordingClients.around(aws)
    targets = ScalableTargets(recording.autoscaling)
    found = await asyncio.gather(
        *(targets.describe(SERVICE_NAMESPACE, f"service/berth/svc-{n}", SCALABLE_DIMENSION) for n in range(4))
    )
    assert recording.autoscaling.calls == ["describe_scalable_targets"]
    assert [t and (t["ResourceId"], t["MinCapacity"]) for t in found] == [
        ("service/berth/svc-0", 0), ("service/berth/svc-1", 1), ("service/berth/svc-2", 2), None
    ]  # fmt: skip


async def test_db_instances_of_many_passes_in_one_call(aws):
    for name in ("db-one", "db-two"):
        await aws.rds.create_db_instance(
            DBInstanceIdentifier=name,
            DBInstanceClass="db.t4g.micro",
            Engine="postgres",
            AllocatedStorage=20,
            MasterUsername="someone",
            MasterUserPassword="a-password-123",
        )
    recording = RecordingClients.around(aws)
    instances = DbInstances(recording.rds)
    one, two, missing = await asyncio.gather(
        instances.describe("db-one"), instances.describe("db-two"), instances.describe("db-three")
    )
    assert recording.rds.calls == ["describe_db_instances"]
    assert (one["DBInstanceIdentifier"], two["DBInstanceIdentifier"], missing) == ("db-one", "db-two", None)
    alone = await aws.rds.describe_db_instances(DBInstanceIdentifier="db-one")
    volatile = {"LatestRestorableTime"}  # moto stamps it per answer
    assert {k: v for k, v in one.items() if k not in volatile} == {
        k: v for k, v in alone["DBInstances"][0].items() if k not in volatile
    }
