"""What the shared network lacks (pure)."""

from dataclasses import dataclass

import pytest

from reconcilers.aws.network.plan import (
    AddFargateProviders,
    CreateCluster,
    CreateSecurityGroup,
    CreateSubnet,
    CreateVpc,
    EnableVpcDns,
    NetworkObservation,
    ObservedSubnet,
    plan_cluster,
    plan_network,
    subnet_ids,
)

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
SUBNETS = (
    ObservedSubnet("subnet-b", "10.42.16.0/20", "us-east-1b"),
    ObservedSubnet("subnet-a", "10.42.0.0/20", "us-east-1a"),
)
COMPLETE = NetworkObservation(
    cluster_arn="arn:cluster/berth",
    cluster_providers=("FARGATE", "FARGATE_SPOT"),
    availability_zones=ZONES,
    vpc_id="vpc-1",
    dns_enabled=frozenset({"EnableDnsSupport", "EnableDnsHostnames"}),
    subnets=SUBNETS,
    security_group_id="sg-1",
)


@dataclass(frozen=True)
class Case:
    reason: str
    observed: NetworkObservation
    want: list


CASES = [
    Case(
        "nothing yet: the VPC first, its dependents next round",
        NetworkObservation(None, availability_zones=ZONES),
        [CreateVpc()],
    ),
    Case(
        "a bare VPC: DNS, two subnets in two zones, the group",
        NetworkObservation(None, availability_zones=ZONES, vpc_id="vpc-1"),
        [
            EnableVpcDns("vpc-1", "EnableDnsSupport"),
            EnableVpcDns("vpc-1", "EnableDnsHostnames"),
            CreateSubnet("vpc-1", "10.42.0.0/20", "us-east-1a", "berth-a"),
            CreateSubnet("vpc-1", "10.42.16.0/20", "us-east-1b", "berth-b"),
            CreateSecurityGroup("vpc-1"),
        ],
    ),
    Case(
        "one subnet missing",
        NetworkObservation(
            None,
            availability_zones=ZONES,
            vpc_id="vpc-1",
            dns_enabled=COMPLETE.dns_enabled,
            subnets=SUBNETS[1:],
            security_group_id="sg-1",
        ),
        [CreateSubnet("vpc-1", "10.42.16.0/20", "us-east-1b", "berth-b")],
    ),
    Case("complete: nothing", COMPLETE, []),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.reason)
def test_plan_network(case: Case):
    assert plan_network(case.observed) == case.want, case.reason


def test_plan_cluster():
    assert plan_cluster("berth", NetworkObservation(None)) == [CreateCluster("berth")]
    assert plan_cluster("berth", COMPLETE) == []
    assert plan_cluster("berth", NetworkObservation("arn", cluster_providers=("FARGATE",))) == [
        AddFargateProviders("berth", ("FARGATE", "FARGATE_SPOT"), (("FARGATE", 1, 0),))
    ]


def test_subnet_ids_follow_the_cidr_order():
    assert subnet_ids(COMPLETE) == ["subnet-a", "subnet-b"]
