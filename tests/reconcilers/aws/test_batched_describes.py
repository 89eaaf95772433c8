"""The shared describes on moto: concurrent passes' asks become one call, and each gets
what the one-id call would have answered."""

import asyncio

from reconcilers.aws.autoscaling_plan import SCALABLE_DIMENSION, SERVICE_NAMESPACE
from reconcilers.aws.batched_describes import (
    DbInstances,
    InterfaceGroups,
    LogGroups,
    ScalableTargets,
    ScalingPolicies,
    SecurityGroupsByName,
)
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


async def test_log_groups_of_many_passes_from_one_listing_of_their_common_prefix(aws):
    for name in ("/berth/acme/shop/production", "/berth/acme/shop/production-old", "/berth/acme/blog/staging"):
        await aws.logs.create_log_group(logGroupName=name)
    await aws.logs.put_retention_policy(logGroupName="/berth/acme/shop/production", retentionInDays=30)
    recording = RecordingClients.around(aws)
    groups = LogGroups(recording.logs)
    asked = ("/berth/acme/shop/production", "/berth/acme/blog/staging", "/berth/acme/shop/staging")
    shop, blog, missing = await asyncio.gather(*(groups.describe(name) for name in asked))
    assert recording.logs.calls == ["describe_log_groups"]
    assert (shop["logGroupName"], shop["retentionInDays"]) == ("/berth/acme/shop/production", 30)
    assert blog["logGroupName"] == "/berth/acme/blog/staging"
    assert missing is None


async def test_log_groups_of_a_batch_smaller_than_its_listing_are_described_one_by_one(aws):
    """The prefix holds 3 pages of groups: a batch of 3 names stops listing after 2 pages
    (as many as it may cost) and describes what it has not found; the next batch of 3
    knows the listing is longer and describes the names straight away."""
    names = [f"/berth/big/app-{n:03d}/production" for n in range(120)]
    for name in names:
        await aws.logs.create_log_group(logGroupName=name)
    recording = RecordingClients.around(aws)
    groups = LogGroups(recording.logs)
    first = (names[0], names[119], "/berth/big/app-999/production")
    found = await asyncio.gather(*(groups.describe(name) for name in first))
    assert [g and g["logGroupName"] for g in found] == [names[0], names[119], None]
    assert len(recording.logs.calls) == 2 + 2  # two pages, then the two names they did not hold

    recording.logs.calls.clear()
    second = (names[1], names[60], names[110])  # the same common prefix as the first batch
    again = await asyncio.gather(*(groups.describe(name) for name in second))
    assert [g["logGroupName"] for g in again] == list(second)
    assert len(recording.logs.calls) == 3


async def test_one_log_group_alone_is_described_by_its_name(aws):
    await aws.logs.create_log_group(logGroupName="/berth/acme/shop/production-old")
    recording = RecordingClients.around(aws)
    assert await LogGroups(recording.logs).describe("/berth/acme/shop/production") is None
    assert recording.logs.calls == ["describe_log_groups"]


async def scalable_services(aws, count: int) -> list[str]:
    await aws.ecs.create_cluster(clusterName="berth")
    await aws.ecs.register_task_definition(
        family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}]
    )
    resources = []
    for n in range(count):
        await aws.ecs.create_service(cluster="berth", serviceName=f"svc-{n}", taskDefinition="web", desiredCount=0)
        resources.append(f"service/berth/svc-{n}")
        await aws.autoscaling.register_scalable_target(
            ServiceNamespace=SERVICE_NAMESPACE, ResourceId=resources[-1], ScalableDimension=SCALABLE_DIMENSION,
            MinCapacity=1, MaxCapacity=2,
        )  # fmt: skip
    return resources


async def put_policy(aws, resource_id: str, name: str) -> None:
    await aws.autoscaling.put_scaling_policy(
        PolicyName=name, ServiceNamespace=SERVICE_NAMESPACE, ResourceId=resource_id,
        ScalableDimension=SCALABLE_DIMENSION, PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 50.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
        },
    )  # fmt: skip


def names(policies) -> list[str]:
    return sorted(p["PolicyName"] for p in policies)


async def test_scaling_policies_of_many_passes_from_one_listing_of_the_namespace(aws):
    resources = await scalable_services(aws, 3)
    await put_policy(aws, resources[0], "cpu")
    await put_policy(aws, resources[0], "someone-elses")  # not berth's: still seen, to be removed
    await put_policy(aws, resources[1], "cpu")
    recording = RecordingClients.around(aws)
    policies = ScalingPolicies(recording.autoscaling)
    asked = [*resources, "service/berth/svc-9"]
    found = await asyncio.gather(*(policies.describe(SERVICE_NAMESPACE, r, SCALABLE_DIMENSION) for r in asked))
    assert recording.autoscaling.calls == ["describe_scaling_policies"]
    assert [names(f) for f in found] == [["cpu", "someone-elses"], ["cpu"], [], []]
    alone = await aws.autoscaling.describe_scaling_policies(
        ServiceNamespace=SERVICE_NAMESPACE, ResourceId=resources[1], ScalableDimension=SCALABLE_DIMENSION
    )
    assert found[1] == alone["ScalingPolicies"]


async def test_scaling_policies_of_a_batch_smaller_than_the_listing_are_described_per_resource(aws):
    """60 policies: two pages. A batch of two resources may list one page; a resource's
    policies may go on past it, so the listing's part is dropped and each resource is
    described by itself (the first over two pages)."""
    resources = await scalable_services(aws, 2)
    for n in range(60):
        await put_policy(aws, resources[0], f"policy-{n:02d}")
    recording = RecordingClients.around(aws)
    policies = ScalingPolicies(recording.autoscaling)
    many, none = await asyncio.gather(
        *(policies.describe(SERVICE_NAMESPACE, r, SCALABLE_DIMENSION) for r in resources)
    )
    assert (len(many), none) == (60, [])
    assert len(recording.autoscaling.calls) == 1 + 2 + 1


async def test_one_resource_alone_is_described_by_itself(aws):
    resources = await scalable_services(aws, 2)
    await put_policy(aws, resources[1], "cpu")
    recording = RecordingClients.around(aws)
    found = await ScalingPolicies(recording.autoscaling).describe(SERVICE_NAMESPACE, resources[0], SCALABLE_DIMENSION)
    assert found == []
    assert recording.autoscaling.calls == ["describe_scaling_policies"]


async def test_network_interface_groups_of_many_passes_in_one_call(aws):
    vpc = (await aws.ec2.create_vpc(CidrBlock="10.7.0.0/16"))["Vpc"]["VpcId"]
    subnet = (await aws.ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24"))["Subnet"]["SubnetId"]
    a = (await aws.ec2.create_security_group(GroupName="a", Description="a", VpcId=vpc))["GroupId"]
    b = (await aws.ec2.create_security_group(GroupName="b", Description="b", VpcId=vpc))["GroupId"]
    first = (await aws.ec2.create_network_interface(SubnetId=subnet, Groups=[b, a]))["NetworkInterface"]
    second = (await aws.ec2.create_network_interface(SubnetId=subnet, Groups=[b]))["NetworkInterface"]
    recording = RecordingClients.around(aws)
    interfaces = InterfaceGroups(recording.ec2)
    found = await asyncio.gather(
        interfaces.describe(first["NetworkInterfaceId"]),
        interfaces.describe(second["NetworkInterfaceId"]),
        interfaces.describe("eni-0000000000000000f"),
    )
    assert recording.ec2.calls == ["describe_network_interfaces"]
    assert found == [tuple(sorted([a, b])), (b,), None]
