"""`NetworkReconciler`: the ECS cluster and the network every environment's tasks use.

kind `aws-network`, key `default`. With subnets and security groups configured
(real AWS) it only checks that they exist; otherwise it makes berth's own network
(see `plan`). Its outputs (`NetworkOutputs`) are what the environments wait for.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from reconcilers.aws.config import AwsConfig
from reconcilers.aws.network.apply import apply_network_action
from reconcilers.aws.network.observe import observe_cluster, observe_network, verify_given
from reconcilers.aws.network.plan import NetworkAction, plan_cluster, plan_network, subnet_ids
from reconcilers.ports import ReconcileContext, StatusUpdate
from reconcilers.results import Done, Forget, Result, TemporaryError
from reconcilers.status import Verdict, conditions
from schemas.kinds import SHARED_KEY, Kind
from schemas.outputs import NetworkOutputs

MAX_ROUNDS = 4

NETWORK_READY = "NetworkReady"
NOT_CONVERGING = "the network still lacks {actions} after {rounds} rounds"
READY = "cluster {cluster}, VPC {vpc}, {subnets} subnets, {groups} security groups"


def utc_now() -> datetime:
    return datetime.now(UTC)


def ready_verdict(outputs: NetworkOutputs) -> Verdict:
    message = READY.format(
        cluster=outputs.cluster_name,
        vpc=outputs.vpc_id,
        subnets=len(outputs.subnet_ids),
        groups=len(outputs.security_group_ids),
    )
    return Verdict((True, NETWORK_READY, message), (False, NETWORK_READY, message))


class NetworkReconciler:
    kind = Kind.AWS_NETWORK

    def __init__(self, clients: Any, config: AwsConfig, clock: Callable[[], datetime] = utc_now):
        self._ecs = clients.ecs
        self._ec2 = clients.ec2
        self._config = config
        self._clock = clock

    async def reconcile(self, ctx: ReconcileContext) -> Result:
        if ctx.key != SHARED_KEY:
            return Forget()
        cluster_arn = await self._ensure_cluster(ctx)
        if self._config.network_given:
            vpc_id, subnets, groups = await verify_given(self._ec2, self._config)
        else:
            vpc_id, subnets, groups = await self._ensure_own_network(ctx)
        outputs = NetworkOutputs(
            cluster_arn=cluster_arn,
            cluster_name=self._config.cluster_name,
            vpc_id=vpc_id,
            subnet_ids=subnets,
            security_group_ids=groups,
        )
        previous = await ctx.store.status(NetworkOutputs, ctx.key)
        judged = conditions(previous.conditions if previous else [], ready_verdict(outputs), self._clock())
        await ctx.store.write_status(StatusUpdate(observed_generation=0, conditions=judged, outputs=outputs))
        return Done()

    async def _ensure_cluster(self, ctx: ReconcileContext) -> str:
        observed = await observe_cluster(self._ecs, self._config.cluster_name)
        for action in plan_cluster(self._config.cluster_name, observed):
            await self._apply(ctx, action)
        if observed.cluster_arn is None:
            observed = await observe_cluster(self._ecs, self._config.cluster_name)
        if observed.cluster_arn is None:
            raise TemporaryError(NOT_CONVERGING.format(actions="the cluster", rounds=1))
        return observed.cluster_arn

    async def _ensure_own_network(self, ctx: ReconcileContext) -> tuple[str, list[str], list[str]]:
        for _ in range(MAX_ROUNDS):
            observed = await observe_network(self._ec2)
            actions = plan_network(observed)
            if not actions:
                assert observed.vpc_id is not None and observed.security_group_id is not None
                return observed.vpc_id, subnet_ids(observed), [observed.security_group_id]
            for action in actions:
                await self._apply(ctx, action)
        raise TemporaryError(NOT_CONVERGING.format(actions=actions, rounds=MAX_ROUNDS))

    async def _apply(self, ctx: ReconcileContext, action: NetworkAction) -> None:
        event = await apply_network_action(self._ecs, self._ec2, action)
        if event is not None:
            reason, message = event
            ctx.log("aws-network.created", reason=reason, detail=message)
            await ctx.store.record_event(reason=reason, message=message)
