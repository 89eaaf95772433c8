"""The shared network's actions as AWS calls, each answered by the event it is worth."""

from typing import Any

from reconcilers.aws.calls import call
from reconcilers.aws.naming import MANAGED_BY, MANAGED_BY_KEY, ec2_tag_specification, ecs_tags
from reconcilers.aws.network.plan import (
    AddFargateProviders,
    CreateCluster,
    CreateSecurityGroup,
    CreateSubnet,
    CreateVpc,
    EnableVpcDns,
    NetworkAction,
)

CLUSTER_CREATED = "created ECS cluster {arn}"
PROVIDERS_ADDED = "added Fargate capacity providers to {name}"
VPC_CREATED = "created VPC {id} ({cidr})"
SUBNET_CREATED = "created subnet {id} ({cidr}, {zone})"
GROUP_CREATED = "created security group {id}"

Event = tuple[str, str]  # (reason, message)


async def _create_cluster(ecs: Any, action: CreateCluster) -> Event:
    answer = await call(
        ecs.create_cluster,
        clusterName=action.name,
        capacityProviders=["FARGATE", "FARGATE_SPOT"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1, "base": 0}],
        tags=ecs_tags({MANAGED_BY_KEY: MANAGED_BY}),
    )
    return "ClusterCreated", CLUSTER_CREATED.format(arn=answer["cluster"]["clusterArn"])


async def _add_providers(ecs: Any, action: AddFargateProviders) -> Event:
    await call(
        ecs.put_cluster_capacity_providers,
        cluster=action.name,
        capacityProviders=list(action.providers),
        defaultCapacityProviderStrategy=[
            {"capacityProvider": p, "weight": w, "base": b} for p, w, b in action.default_strategy
        ],
    )
    return "ClusterProvidersAdded", PROVIDERS_ADDED.format(name=action.name)


async def _create_vpc(ec2: Any, action: CreateVpc) -> Event:
    answer = await call(
        ec2.create_vpc, CidrBlock=action.cidr, TagSpecifications=ec2_tag_specification("vpc", action.name)
    )
    return "VpcCreated", VPC_CREATED.format(id=answer["Vpc"]["VpcId"], cidr=action.cidr)


async def _create_subnet(ec2: Any, action: CreateSubnet) -> Event:
    answer = await call(
        ec2.create_subnet,
        VpcId=action.vpc_id,
        CidrBlock=action.cidr,
        AvailabilityZone=action.availability_zone,
        TagSpecifications=ec2_tag_specification("subnet", action.name),
    )
    subnet = answer["Subnet"]["SubnetId"]
    return "SubnetCreated", SUBNET_CREATED.format(id=subnet, cidr=action.cidr, zone=action.availability_zone)


async def _create_group(ec2: Any, action: CreateSecurityGroup) -> Event:
    answer = await call(
        ec2.create_security_group,
        GroupName=action.name,
        Description=action.description,
        VpcId=action.vpc_id,
        TagSpecifications=ec2_tag_specification("security-group", action.name),
    )
    return "SecurityGroupCreated", GROUP_CREATED.format(id=answer["GroupId"])


async def apply_network_action(ecs: Any, ec2: Any, action: NetworkAction) -> Event | None:
    """Applies `action`; the event to record, if it is worth one."""
    match action:
        case CreateCluster():
            return await _create_cluster(ecs, action)
        case AddFargateProviders():
            return await _add_providers(ecs, action)
        case CreateVpc():
            return await _create_vpc(ec2, action)
        case EnableVpcDns(vpc_id=vpc_id, attribute=attribute):
            await call(ec2.modify_vpc_attribute, VpcId=vpc_id, **{attribute: {"Value": True}})
            return None
        case CreateSubnet():
            return await _create_subnet(ec2, action)
        case CreateSecurityGroup():
            return await _create_group(ec2, action)
