"""The shared network as AWS holds it: berth's cluster, and either the configured subnets
and groups (checked, never changed) or berth's own VPC, subnets and group."""

from typing import Any

from botocore.exceptions import ClientError

from reconcilers.aws.calls import call, error_code
from reconcilers.aws.config import AwsConfig
from reconcilers.aws.naming import MANAGED_BY, MANAGED_BY_KEY
from reconcilers.aws.network.plan import (
    SECURITY_GROUP_NAME,
    VPC_CIDR,
    VPC_NAME,
    NetworkObservation,
    ObservedSubnet,
)
from reconcilers.results import PermanentError

SUBNET_NOT_FOUND = "configured subnets not found: {message}"
GROUP_NOT_FOUND = "configured security groups not found: {message}"
SEVERAL_VPCS = "configured subnets and security groups must share one VPC; found {vpcs}"
DNS_ATTRIBUTES = ("enableDnsSupport", "enableDnsHostnames")


def _filter(name: str, value: str) -> dict[str, Any]:
    return {"Name": name, "Values": [value]}


def _missing(exc: ClientError) -> bool:
    return error_code(exc).endswith((".NotFound", ".Malformed"))


async def observe_cluster(ecs: Any, cluster_name: str) -> NetworkObservation:
    answer = await call(ecs.describe_clusters, clusters=[cluster_name])
    cluster = next((c for c in answer.get("clusters", ()) if c.get("status") == "ACTIVE"), None)
    if cluster is None:
        return NetworkObservation(cluster_arn=None)
    strategy = tuple(
        (i["capacityProvider"], i.get("weight", 0), i.get("base", 0))
        for i in cluster.get("defaultCapacityProviderStrategy") or ()
    )
    return NetworkObservation(
        cluster_arn=cluster["clusterArn"],
        cluster_providers=tuple(cluster.get("capacityProviders") or ()),
        cluster_default_strategy=strategy,
    )


async def _described(describe: Any, reason: str, message: str, **request: Any) -> dict[str, Any]:
    """A describe of configured resources; one not found is the operator's to fix."""
    try:
        return await call(describe, **request)
    except ClientError as exc:
        if not _missing(exc):
            raise
        raise PermanentError(reason, message.format(message=exc)) from exc


async def verify_given(ec2: Any, config: AwsConfig) -> tuple[str, list[str], list[str]]:
    """(VPC, subnets, groups) of the configured network, once all of it is found in one VPC."""
    subnets, groups = list(config.subnet_ids), list(config.security_group_ids)
    found = await _described(ec2.describe_subnets, "SubnetNotFound", SUBNET_NOT_FOUND, SubnetIds=subnets)
    found_groups = await _described(
        ec2.describe_security_groups, "SecurityGroupNotFound", GROUP_NOT_FOUND, GroupIds=groups
    )
    vpcs = {s["VpcId"] for s in found["Subnets"]} | {g["VpcId"] for g in found_groups["SecurityGroups"]}
    if len(vpcs) != 1:
        raise PermanentError("SeveralVpcs", SEVERAL_VPCS.format(vpcs=sorted(vpcs)))
    return vpcs.pop(), subnets, groups


async def _availability_zones(ec2: Any) -> tuple[str, ...]:
    zones = await call(ec2.describe_availability_zones, Filters=[_filter("state", "available")])
    return tuple(
        sorted(
            z["ZoneName"]
            for z in zones["AvailabilityZones"]
            if z.get("ZoneType", "availability-zone") == "availability-zone"
        )
    )


async def _own_vpc(ec2: Any) -> str | None:
    vpcs = await call(
        ec2.describe_vpcs,
        Filters=[
            _filter("cidr", VPC_CIDR),
            _filter(f"tag:{MANAGED_BY_KEY}", MANAGED_BY),
            _filter("tag:Name", VPC_NAME),
        ],
    )
    found = sorted(v["VpcId"] for v in vpcs["Vpcs"])
    return found[0] if found else None


async def _dns_enabled(ec2: Any, vpc_id: str) -> frozenset[str]:
    enabled = set()
    for attribute in DNS_ATTRIBUTES:
        answer = await call(ec2.describe_vpc_attribute, VpcId=vpc_id, Attribute=attribute)
        key = attribute[0].upper() + attribute[1:]
        if answer.get(key, {}).get("Value"):
            enabled.add(key)
    return frozenset(enabled)


async def observe_network(ec2: Any) -> NetworkObservation:
    """berth's own network: its VPC (by tag), that VPC's subnets and berth's group in it."""
    availability_zones = await _availability_zones(ec2)
    vpc_id = await _own_vpc(ec2)
    if vpc_id is None:
        return NetworkObservation(cluster_arn=None, availability_zones=availability_zones)
    enabled = await _dns_enabled(ec2, vpc_id)
    subnets = await call(ec2.describe_subnets, Filters=[_filter("vpc-id", vpc_id)])
    groups = await call(
        ec2.describe_security_groups,
        Filters=[_filter("vpc-id", vpc_id), _filter("group-name", SECURITY_GROUP_NAME)],
    )
    return NetworkObservation(
        cluster_arn=None,
        availability_zones=availability_zones,
        vpc_id=vpc_id,
        dns_enabled=enabled,
        subnets=tuple(
            ObservedSubnet(s["SubnetId"], s["CidrBlock"], s["AvailabilityZone"]) for s in subnets["Subnets"]
        ),
        security_group_id=groups["SecurityGroups"][0]["GroupId"] if groups["SecurityGroups"] else None,
    )
