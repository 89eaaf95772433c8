"""`NetworkReconciler`: the ECS cluster and the network every environment's tasks use.

kind `aws-network`, key `default`. With subnets and security groups configured
(real AWS) it only checks that they exist; otherwise it makes berth's own network
(see `network_plan`). Its outputs are what the environments wait for:
clusterArn, clusterName, vpcId, subnetIds, securityGroupIds.
"""

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from reconcilers.aws.calls import call, error_code
from reconcilers.aws.config import AwsConfig
from reconcilers.aws.naming import MANAGED_BY, MANAGED_BY_KEY, ec2_tag_specification, ecs_tags
from reconcilers.aws.network_plan import (
    SECURITY_GROUP_NAME,
    VPC_CIDR,
    VPC_NAME,
    AddFargateProviders,
    CreateCluster,
    CreateSecurityGroup,
    CreateSubnet,
    CreateVpc,
    EnableVpcDns,
    NetworkAction,
    NetworkObservation,
    ObservedSubnet,
    plan_cluster,
    plan_network,
    subnet_ids,
)
from reconcilers.ports import ReconcileContext, StatusUpdate
from reconcilers.results import Done, Forget, PermanentError, Result, TemporaryError
from schemas.status import Condition, ConditionType, set_condition

NETWORK_KIND = "aws-network"
NETWORK_KEY = "default"
REQUIRED_OUTPUTS = ("clusterArn", "clusterName", "vpcId", "subnetIds", "securityGroupIds")
MAX_ROUNDS = 4

SUBNET_NOT_FOUND = "configured subnets not found: {message}"
GROUP_NOT_FOUND = "configured security groups not found: {message}"
SEVERAL_VPCS = "configured subnets and security groups must share one VPC; found {vpcs}"
NOT_CONVERGING = "the network still lacks {actions} after {rounds} rounds"
CLUSTER_CREATED = "created ECS cluster {arn}"
PROVIDERS_ADDED = "added Fargate capacity providers to {name}"
VPC_CREATED = "created VPC {id} ({cidr})"
SUBNET_CREATED = "created subnet {id} ({cidr}, {zone})"
GROUP_CREATED = "created security group {id}"
READY = "cluster {cluster}, VPC {vpc}, {subnets} subnets, {groups} security groups"


def network_outputs_ready(outputs: Mapping[str, Any] | None) -> bool:
    return bool(outputs) and all(outputs.get(key) for key in REQUIRED_OUTPUTS)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _filter(name: str, value: str) -> dict[str, Any]:
    return {"Name": name, "Values": [value]}


def _missing(exc: ClientError) -> bool:
    return error_code(exc).endswith((".NotFound", ".Malformed"))


class NetworkReconciler:
    kind = NETWORK_KIND

    def __init__(self, clients: Any, config: AwsConfig, clock: Callable[[], datetime] = utc_now):
        self._ecs = clients.ecs
        self._ec2 = clients.ec2
        self._config = config
        self._clock = clock

    async def reconcile(self, ctx: ReconcileContext) -> Result:
        if ctx.key != NETWORK_KEY:
            return Forget()
        cluster_arn = await self._ensure_cluster(ctx)
        if self._config.network_given:
            vpc_id, subnets, groups = await self._verify_given()
        else:
            vpc_id, subnets, groups = await self._ensure_own_network(ctx)
        previous = await ctx.store.status(ctx.kind, ctx.key)
        message = READY.format(
            cluster=self._config.cluster_name, vpc=vpc_id, subnets=len(subnets), groups=len(groups)
        )
        ready = Condition(
            type=ConditionType.READY,
            status=True,
            reason="NetworkReady",
            message=message,
            last_transition_time=self._clock(),
        )
        await ctx.store.write_status(
            StatusUpdate(
                observed_generation=0,
                conditions=set_condition(previous.conditions if previous else [], ready),
                outputs={
                    "clusterArn": cluster_arn,
                    "clusterName": self._config.cluster_name,
                    "vpcId": vpc_id,
                    "subnetIds": subnets,
                    "securityGroupIds": groups,
                },
            )
        )
        return Done()

    async def _observe_cluster(self) -> NetworkObservation:
        answer = await call(self._ecs.describe_clusters, clusters=[self._config.cluster_name])
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

    async def _ensure_cluster(self, ctx: ReconcileContext) -> str:
        observed = await self._observe_cluster()
        for action in plan_cluster(self._config.cluster_name, observed):
            await self._apply(ctx, action)
        if observed.cluster_arn is None:
            observed = await self._observe_cluster()
        if observed.cluster_arn is None:
            raise TemporaryError(NOT_CONVERGING.format(actions="the cluster", rounds=1))
        return observed.cluster_arn

    async def _verify_given(self) -> tuple[str, list[str], list[str]]:
        subnets, groups = list(self._config.subnet_ids), list(self._config.security_group_ids)
        try:
            found = await call(self._ec2.describe_subnets, SubnetIds=subnets)
        except ClientError as exc:
            if not _missing(exc):
                raise
            raise PermanentError("SubnetNotFound", SUBNET_NOT_FOUND.format(message=exc)) from exc
        try:
            found_groups = await call(self._ec2.describe_security_groups, GroupIds=groups)
        except ClientError as exc:
            if not _missing(exc):
                raise
            raise PermanentError("SecurityGroupNotFound", GROUP_NOT_FOUND.format(message=exc)) from exc
        vpcs = {s["VpcId"] for s in found["Subnets"]} | {g["VpcId"] for g in found_groups["SecurityGroups"]}
        if len(vpcs) != 1:
            raise PermanentError("SeveralVpcs", SEVERAL_VPCS.format(vpcs=sorted(vpcs)))
        return vpcs.pop(), subnets, groups

    async def _ensure_own_network(self, ctx: ReconcileContext) -> tuple[str, list[str], list[str]]:
        for _ in range(MAX_ROUNDS):
            observed = await self._observe_network()
            actions = plan_network(observed)
            if not actions:
                return observed.vpc_id, subnet_ids(observed), [observed.security_group_id]
            for action in actions:
                await self._apply(ctx, action)
        raise TemporaryError(NOT_CONVERGING.format(actions=actions, rounds=MAX_ROUNDS))

    async def _observe_network(self) -> NetworkObservation:
        zones = await call(self._ec2.describe_availability_zones, Filters=[_filter("state", "available")])
        availability_zones = tuple(
            sorted(
                z["ZoneName"]
                for z in zones["AvailabilityZones"]
                if z.get("ZoneType", "availability-zone") == "availability-zone"
            )
        )
        vpcs = await call(
            self._ec2.describe_vpcs,
            Filters=[
                _filter("cidr", VPC_CIDR),
                _filter(f"tag:{MANAGED_BY_KEY}", MANAGED_BY),
                _filter("tag:Name", VPC_NAME),
            ],
        )
        found = sorted(v["VpcId"] for v in vpcs["Vpcs"])
        if not found:
            return NetworkObservation(cluster_arn=None, availability_zones=availability_zones)
        vpc_id = found[0]
        enabled = set()
        for attribute in ("enableDnsSupport", "enableDnsHostnames"):
            answer = await call(self._ec2.describe_vpc_attribute, VpcId=vpc_id, Attribute=attribute)
            key = attribute[0].upper() + attribute[1:]
            if answer.get(key, {}).get("Value"):
                enabled.add(key)
        subnets = await call(self._ec2.describe_subnets, Filters=[_filter("vpc-id", vpc_id)])
        groups = await call(
            self._ec2.describe_security_groups,
            Filters=[_filter("vpc-id", vpc_id), _filter("group-name", SECURITY_GROUP_NAME)],
        )
        return NetworkObservation(
            cluster_arn=None,
            availability_zones=availability_zones,
            vpc_id=vpc_id,
            dns_enabled=frozenset(enabled),
            subnets=tuple(
                ObservedSubnet(s["SubnetId"], s["CidrBlock"], s["AvailabilityZone"])
                for s in subnets["Subnets"]
            ),
            security_group_id=groups["SecurityGroups"][0]["GroupId"] if groups["SecurityGroups"] else None,
        )

    async def _apply(self, ctx: ReconcileContext, action: NetworkAction) -> None:
        match action:
            case CreateCluster(name=name):
                answer = await call(
                    self._ecs.create_cluster,
                    clusterName=name,
                    capacityProviders=["FARGATE", "FARGATE_SPOT"],
                    defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1, "base": 0}],
                    tags=ecs_tags({MANAGED_BY_KEY: MANAGED_BY}),
                )
                await self._event(
                    ctx, "ClusterCreated", CLUSTER_CREATED.format(arn=answer["cluster"]["clusterArn"])
                )
            case AddFargateProviders(name=name, providers=providers, default_strategy=strategy):
                await call(
                    self._ecs.put_cluster_capacity_providers,
                    cluster=name,
                    capacityProviders=list(providers),
                    defaultCapacityProviderStrategy=[
                        {"capacityProvider": p, "weight": w, "base": b} for p, w, b in strategy
                    ],
                )
                await self._event(ctx, "ClusterProvidersAdded", PROVIDERS_ADDED.format(name=name))
            case CreateVpc(cidr=cidr, name=name):
                answer = await call(
                    self._ec2.create_vpc, CidrBlock=cidr, TagSpecifications=ec2_tag_specification("vpc", name)
                )
                await self._event(ctx, "VpcCreated", VPC_CREATED.format(id=answer["Vpc"]["VpcId"], cidr=cidr))
            case EnableVpcDns(vpc_id=vpc_id, attribute=attribute):
                await call(self._ec2.modify_vpc_attribute, VpcId=vpc_id, **{attribute: {"Value": True}})
            case CreateSubnet(vpc_id=vpc_id, cidr=cidr, availability_zone=zone, name=name):
                answer = await call(
                    self._ec2.create_subnet,
                    VpcId=vpc_id,
                    CidrBlock=cidr,
                    AvailabilityZone=zone,
                    TagSpecifications=ec2_tag_specification("subnet", name),
                )
                await self._event(
                    ctx,
                    "SubnetCreated",
                    SUBNET_CREATED.format(id=answer["Subnet"]["SubnetId"], cidr=cidr, zone=zone),
                )
            case CreateSecurityGroup(vpc_id=vpc_id, name=name, description=description):
                answer = await call(
                    self._ec2.create_security_group,
                    GroupName=name,
                    Description=description,
                    VpcId=vpc_id,
                    TagSpecifications=ec2_tag_specification("security-group", name),
                )
                await self._event(ctx, "SecurityGroupCreated", GROUP_CREATED.format(id=answer["GroupId"]))

    async def _event(self, ctx: ReconcileContext, reason: str, message: str) -> None:
        ctx.log("aws-network.created", reason=reason, detail=message)
        await ctx.store.record_event(reason=reason, message=message)
