"""The network reconciler against moto in server mode."""

from dataclasses import replace

import pytest

from reconcilers.aws.network import NetworkReconciler
from schemas.outputs import NetworkOutputs
from reconcilers.results import Done, Forget, PermanentError
from schemas.status import ConditionType
from tests.fakes.aws import RecordingClients

MANAGED = [{"Name": "tag:berth:managed-by", "Values": ["berth"]}]


async def run_pass(clients, config, database, clock, key="default"):
    return await NetworkReconciler(clients, config, clock).reconcile(database.context("aws-network", key))


async def test_two_passes_make_one_network(aws, aws_config, database, clock):
    assert await run_pass(aws, aws_config, database, clock) == Done()
    first = database.statuses[("aws-network", "default")]
    recording = RecordingClients.around(aws)
    clock.advance(60)
    assert await run_pass(recording, aws_config, database, clock) == Done()
    assert recording.ec2.writes() == [] and recording.ecs.writes() == []

    vpcs = (await aws.ec2.describe_vpcs(Filters=MANAGED))["Vpcs"]
    assert len(vpcs) == 1
    vpc = vpcs[0]["VpcId"]
    subnets = (await aws.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}]))["Subnets"]
    assert len(subnets) == 2 and len({s["AvailabilityZone"] for s in subnets}) == 2
    groups = (await aws.ec2.describe_security_groups(Filters=MANAGED))["SecurityGroups"]
    assert len(groups) == 1
    for attribute in ("enableDnsHostnames", "enableDnsSupport"):
        answer = await aws.ec2.describe_vpc_attribute(VpcId=vpc, Attribute=attribute)
        assert answer[attribute[0].upper() + attribute[1:]]["Value"] is True
    names = {t["Value"] for s in subnets for t in s["Tags"] if t["Key"] == "Name"}
    assert names == {"berth-a", "berth-b"}

    outputs = database.statuses[("aws-network", "default")].outputs
    assert NetworkOutputs.stored(outputs).ready
    assert outputs["vpcId"] == vpc
    assert sorted(outputs["subnetIds"]) == sorted(s["SubnetId"] for s in subnets)
    assert outputs["securityGroupIds"] == [groups[0]["GroupId"]]
    assert outputs["clusterName"] == "berth"
    cluster = (await aws.ecs.describe_clusters(clusters=["berth"]))["clusters"][0]
    assert outputs["clusterArn"] == cluster["clusterArn"]
    assert set(cluster["capacityProviders"]) == {"FARGATE", "FARGATE_SPOT"}

    ready = next(
        c for c in database.statuses[("aws-network", "default")].conditions if c.type == ConditionType.READY
    )
    assert ready.status is True
    assert (
        ready.last_transition_time
        == next(c for c in first.conditions if c.type == ConditionType.READY).last_transition_time
    )


async def test_a_half_made_network_is_completed_not_duplicated(aws, aws_config, database, clock):
    vpc = await aws.ec2.create_vpc(
        CidrBlock="10.42.0.0/16",
        TagSpecifications=[
            {
                "ResourceType": "vpc",
                "Tags": [{"Key": "berth:managed-by", "Value": "berth"}, {"Key": "Name", "Value": "berth"}],
            }
        ],
    )
    assert await run_pass(aws, aws_config, database, clock) == Done()
    assert len((await aws.ec2.describe_vpcs(Filters=MANAGED))["Vpcs"]) == 1
    assert database.statuses[("aws-network", "default")].outputs["vpcId"] == vpc["Vpc"]["VpcId"]
    assert "VpcCreated" not in database.event_reasons()


async def test_an_existing_cluster_gains_the_fargate_providers(aws, aws_config, database, clock):
    await aws.ecs.create_cluster(clusterName="berth")
    assert await run_pass(aws, aws_config, database, clock) == Done()
    cluster = (await aws.ecs.describe_clusters(clusters=["berth"]))["clusters"][0]
    assert set(cluster["capacityProviders"]) >= {"FARGATE", "FARGATE_SPOT"}
    assert "ClusterCreated" not in database.event_reasons()


async def test_a_configured_network_is_verified_and_used(aws, aws_config, database, clock):
    vpc = (await aws.ec2.create_vpc(CidrBlock="10.9.0.0/16"))["Vpc"]["VpcId"]
    subnet = (await aws.ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.0.0/24"))["Subnet"]["SubnetId"]
    group = (await aws.ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc))["GroupId"]
    config = replace(aws_config, subnet_ids=(subnet,), security_group_ids=(group,))
    recording = RecordingClients.around(aws)
    assert await run_pass(recording, config, database, clock) == Done()
    assert recording.ec2.writes() == []
    outputs = database.statuses[("aws-network", "default")].outputs
    assert (outputs["vpcId"], outputs["subnetIds"], outputs["securityGroupIds"]) == (vpc, [subnet], [group])


@pytest.mark.parametrize(
    ("subnets", "groups", "reason"),
    [
        (("subnet-0000000000000dead",), None, "SubnetNotFound"),
        (None, ("sg-0000000000000dead",), "SecurityGroupNotFound"),
    ],
)
async def test_a_configured_network_that_does_not_exist_is_a_permanent_error(
    aws, aws_config, database, clock, subnets, groups, reason
):
    vpc = (await aws.ec2.create_vpc(CidrBlock="10.9.0.0/16"))["Vpc"]["VpcId"]
    subnet = (await aws.ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.0.0/24"))["Subnet"]["SubnetId"]
    group = (await aws.ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc))["GroupId"]
    config = replace(aws_config, subnet_ids=subnets or (subnet,), security_group_ids=groups or (group,))
    with pytest.raises(PermanentError) as raised:
        await run_pass(aws, config, database, clock)
    assert raised.value.reason == reason


async def test_other_keys_are_forgotten(aws, aws_config, database, clock):
    assert await run_pass(aws, aws_config, database, clock, key="other") == Forget()
