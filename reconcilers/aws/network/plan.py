"""The shared network, planned: what berth's cluster and sandbox network lack.

Pure. berth's own network (when no subnets are configured) is a VPC with DNS
support and hostnames, one subnet in each of the first two availability zones
and one security group. A VPC is found again by its ownership tag, subnets by
their CIDR block and the group by its name inside that VPC, so a pass that
crashed after a create finds what it made.
"""

from dataclasses import dataclass

VPC_CIDR = "10.42.0.0/16"
SUBNET_CIDRS = ("10.42.0.0/20", "10.42.16.0/20")
VPC_NAME = "berth"
SUBNET_NAMES = ("berth-a", "berth-b")
SECURITY_GROUP_NAME = "berth-tasks"
SECURITY_GROUP_DESCRIPTION = "berth: ECS tasks"
DNS_ATTRIBUTES = ("EnableDnsSupport", "EnableDnsHostnames")
FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")


@dataclass(frozen=True, slots=True)
class ObservedSubnet:
    subnet_id: str
    cidr: str
    availability_zone: str


@dataclass(frozen=True, slots=True)
class NetworkObservation:
    cluster_arn: str | None  # None unless ACTIVE
    cluster_providers: tuple[str, ...] = ()
    cluster_default_strategy: tuple[tuple[str, int, int], ...] = ()  # (provider, weight, base)
    availability_zones: tuple[str, ...] = ()
    vpc_id: str | None = None
    dns_enabled: frozenset[str] = frozenset()  # of DNS_ATTRIBUTES
    subnets: tuple[ObservedSubnet, ...] = ()
    security_group_id: str | None = None


@dataclass(frozen=True, slots=True)
class CreateCluster:
    name: str


@dataclass(frozen=True, slots=True)
class AddFargateProviders:
    name: str
    providers: tuple[str, ...]  # the cluster's providers after the change
    default_strategy: tuple[tuple[str, int, int], ...]  # kept as it was, FARGATE when there was none


@dataclass(frozen=True, slots=True)
class CreateVpc:
    cidr: str = VPC_CIDR
    name: str = VPC_NAME


@dataclass(frozen=True, slots=True)
class EnableVpcDns:
    vpc_id: str
    attribute: str  # one of DNS_ATTRIBUTES: ModifyVpcAttribute takes one at a time


@dataclass(frozen=True, slots=True)
class CreateSubnet:
    vpc_id: str
    cidr: str
    availability_zone: str
    name: str


@dataclass(frozen=True, slots=True)
class CreateSecurityGroup:
    vpc_id: str
    name: str = SECURITY_GROUP_NAME
    description: str = SECURITY_GROUP_DESCRIPTION


NetworkAction = (
    CreateCluster | AddFargateProviders | CreateVpc | EnableVpcDns | CreateSubnet | CreateSecurityGroup
)


def plan_cluster(cluster_name: str, observed: NetworkObservation) -> list[NetworkAction]:
    if observed.cluster_arn is None:
        return [CreateCluster(cluster_name)]
    missing = [p for p in FARGATE_PROVIDERS if p not in observed.cluster_providers]
    if missing:
        strategy = observed.cluster_default_strategy or (("FARGATE", 1, 0),)
        return [AddFargateProviders(cluster_name, (*observed.cluster_providers, *missing), strategy)]
    return []


def plan_network(observed: NetworkObservation) -> list[NetworkAction]:
    """What to create now; the VPC's dependents wait for the next round, once it has an id."""
    if observed.vpc_id is None:
        return [CreateVpc()]
    vpc = observed.vpc_id
    actions: list[NetworkAction] = [
        EnableVpcDns(vpc, a) for a in DNS_ATTRIBUTES if a not in observed.dns_enabled
    ]
    have = {s.cidr for s in observed.subnets}
    zones = observed.availability_zones
    for index, (cidr, name) in enumerate(zip(SUBNET_CIDRS, SUBNET_NAMES, strict=True)):
        if cidr not in have and zones:
            actions.append(CreateSubnet(vpc, cidr, zones[index % len(zones)], name))
    if observed.security_group_id is None:
        actions.append(CreateSecurityGroup(vpc))
    return actions


def subnet_ids(observed: NetworkObservation) -> list[str]:
    """berth's subnets, in the order of SUBNET_CIDRS."""
    by_cidr = {s.cidr: s.subnet_id for s in observed.subnets}
    return [by_cidr[c] for c in SUBNET_CIDRS if c in by_cidr]
