"""`EnvironmentNetworkReconciler`: the security groups and service discovery an environment's tasks use.

kind `environment-network`, key: the environment's UUID. Each pass reads the
environment and the aws-network's outputs (VPC, shared group), plans with
`environment_network_plan`, applies in rounds (a new group's rules and a new
namespace's service need ids the round before made) and writes status
(`environment_network_status`):

    ready, scope, scopeKey, securityGroupIds ([membership…, ingress]),
    serviceRegistryArn, namespaceId, namespaceName, retiredScopeKeys

Shared objects (an application's or organisation's group, an organisation's
namespace) are counted through the store: they go when the last environment whose
status names their scope key leaves it. An environment that moves scope first
writes its new scope key (so it counts as a user of the new scope before anything
of it exists), then converges, then releases what it left (`retiredScopeKeys`)
once no one else uses it and AWS agrees (a group still attached to a task's
network interface or named in another group's rule is kept and tried again).
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from reconcilers.aws.batched_describes import BATCHED_PASSES_IN_FLIGHT, SecurityGroupsByName
from reconcilers.aws.drift import Drift, corrects, is_resync
from reconcilers.aws.environment_network.drift import network_drifts
from reconcilers.aws.environment_network.apply import (
    DISCOVERY_DELETED,
    NetworkTarget,
    apply_network_action,
)
from reconcilers.aws.environment_network.plan import (
    SHARED,
    DesiredNetwork,
    ObservedNetwork,
    desired_network,
    ingress_group_name,
    membership_group_name,
    namespace_name_of_key,
    plan_environment_network,
    releasable,
)
from reconcilers.aws.environment_network.status import RELEASING, NetworkFindings, claimed, judge, outputs
from reconcilers.aws.naming import ownership_tags
from reconcilers.aws.network import utc_now
from reconcilers.aws.security_groups import Deletion, delete_group, observe_groups
from reconcilers.aws.service_discovery import (
    DiscoveryNameTaken,
    delete_discovery,
    delete_namespace,
    find_discovery,
    find_namespace,
)
from reconcilers.ports import EnvironmentRecord, ReconcileContext, StatusUpdate
from reconcilers.results import Done, Forget, RequeueAfter, Result, TemporaryError
from reconcilers.status import Verdict, conditions, same_reason, unmet, waiting_for
from schemas.kind_graph import need
from schemas.kinds import SHARED_KEY, Kind
from schemas.outputs import EnvironmentNetworkOutputs, NetworkOutputs

# A backstop only: the aws-network's pass wakes this one when its outputs change.
WAITING_BACKSTOP_SECONDS = 30.0
NAMESPACE_WAIT_SECONDS = 3.0
RELEASE_WAIT_SECONDS = 30.0
TEARDOWN_WAIT_SECONDS = 5.0
MAX_ROUNDS = 4

WAITING_FOR_WORKLOAD = "waiting for the ECS service to go before its network does"
NOT_CONVERGING = "the environment's network still needs {actions} after {rounds} rounds"
GROUP_DELETED = "deleted security group {name} ({id})"
NAMESPACE_DELETED = "deleted private DNS namespace {name} ({id})"
TORN_DOWN = "network released: {what}"


def service_id_of(arn: str | None) -> str | None:
    """`arn:…:servicediscovery:…:service/srv-…` → `srv-…`."""
    return arn.rsplit("/", 1)[-1] if arn else None


class EnvironmentNetworkReconciler:
    kind = Kind.ENVIRONMENT_NETWORK
    concurrency = BATCHED_PASSES_IN_FLIGHT  # passes in flight: more share each batched describe

    def __init__(
        self,
        clients: Any,
        clock: Callable[[], datetime] = utc_now,
        edge_cidrs: Sequence[str] = (),
    ):
        """`clients`: an entered `AwsClients` (its `ec2` and `servicediscovery`).
        `edge_cidrs`: where the edge (CDN) reaches origin-protected ports from, besides
        each container's `ipAllow` list; none by default."""
        self._clients = clients
        self._ec2 = clients.ec2
        self._sd = clients.servicediscovery
        self._groups = SecurityGroupsByName(clients.ec2)  # one describe for concurrent passes
        self._clock = clock
        self._edge = tuple(edge_cidrs)

    async def reconcile(self, ctx: ReconcileContext) -> Result:
        env = await ctx.store.environment(UUID(ctx.key))
        if env is None:
            return Forget()
        ctx.bind(organisation=env.organisation, application=env.application, environment=env.name)
        previous = await ctx.store.status(EnvironmentNetworkOutputs, ctx.key)
        network = await ctx.store.outputs(NetworkOutputs, SHARED_KEY)
        if env.deleting:
            return await self._tear_down(ctx, env, previous, network)
        missing = unmet(need(Kind.ENVIRONMENT_NETWORK, Kind.AWS_NETWORK), network)
        if missing or network is None:
            return await self._wait(ctx, env, previous, missing)
        return await self._converge(ctx, env, previous, network)

    async def _wait(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        previous: StatusUpdate[EnvironmentNetworkOutputs] | None,
        missing: Sequence[str],
    ) -> Result:
        """Ready=False `WaitingForAwsNetwork`; the outputs stay those of the last pass."""
        verdict = waiting_for(Kind.AWS_NETWORK, missing)
        await self._write(ctx, env, previous, _outputs_of(previous), verdict)
        return RequeueAfter(WAITING_BACKSTOP_SECONDS, verdict.ready[2])

    async def _converge(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        previous: StatusUpdate[EnvironmentNetworkOutputs] | None,
        network: NetworkOutputs,
    ) -> Result:
        vpc_id = network.vpc_id or ""
        before = _outputs_of(previous)
        desired = desired_network(env, ownership_tags(env), vpc_id, self._edge)
        left = [*before.retired_scope_keys, before.scope_key or SHARED]
        retired = releasable(left, desired.scope_key)
        if before.scope_key != desired.scope_key:
            before = claimed(before, desired, retired)
            await self._write(ctx, env, previous, before, same_reason("ScopeChanged", desired.scope_key))
            previous = await ctx.store.status(EnvironmentNetworkOutputs, ctx.key)
        # A plan on a resync (Ready at this generation) is drift; `report` leaves it be.
        drifts: list[Drift] | None = [] if is_resync(previous, env.generation) else None
        try:
            observed, done, pending = await self._rounds(ctx, env, desired, vpc_id, before, drifts)
        except DiscoveryNameTaken as exc:
            taken = (True, "DiscoveryNameTaken", str(exc))
            verdict = Verdict((False, *taken[1:]), taken, taken)
            await self._write(ctx, env, previous, _not_ready(before), verdict)
            return RequeueAfter(RELEASE_WAIT_SECONDS, str(exc))
        for drift in drifts or ():
            await self._event(ctx, env, *drift.event(corrects(env.spec))[:2])
        kept = list(retired) if pending else await self._release(ctx, env, retired, vpc_id)
        findings = NetworkFindings(
            desired, observed, tuple(network.security_group_ids), tuple(done), pending, tuple(kept)
        )
        if done:
            ctx.log("environment-network.applied", actions=done)
        await self._write(ctx, env, previous, outputs(findings), judge(findings))
        if pending:
            return RequeueAfter(NAMESPACE_WAIT_SECONDS, pending)
        if kept:
            return RequeueAfter(RELEASE_WAIT_SECONDS, RELEASING.format(what=", ".join(kept)))
        return Done()

    async def _observe(
        self, env: EnvironmentRecord, desired: DesiredNetwork, vpc_id: str, known: Mapping[str, str | None]
    ) -> ObservedNetwork:
        names = [g.name for g in (desired.membership, desired.ingress) if g is not None]
        groups = await observe_groups(self._ec2, vpc_id, names, self._groups)
        namespace_id = None
        if desired.namespace is not None:
            namespace_id = await find_namespace(self._sd, desired.namespace.name, known.get("namespace"))
        discovery = await find_discovery(
            self._sd,
            owner=str(env.id),
            known_id=known.get("service"),
            name=desired.discovery.name if desired.discovery else None,
            namespace_id=namespace_id,
        )
        return ObservedNetwork(groups=groups, namespace_id=namespace_id, discovery=discovery)

    async def _rounds(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        desired: DesiredNetwork,
        vpc_id: str,
        before: EnvironmentNetworkOutputs,
        drifts: list[Drift] | None = None,
    ) -> tuple[ObservedNetwork, list[str], str]:
        """(what AWS holds now, what was done, why it is still waiting — "" when not).
        `drifts`, on a resync: gets what the first round finds; under the `report` policy
        nothing is applied then."""
        known: dict[str, str | None] = {
            "namespace": before.namespace_id,
            "service": service_id_of(before.service_registry_arn),
        }
        target = NetworkTarget(self._clients, env, vpc_id)
        done: list[str] = []
        for round_number in range(MAX_ROUNDS):
            observed = await self._observe(env, desired, vpc_id, known)
            actions = plan_environment_network(desired, observed)
            if not actions:
                return observed, done, ""
            if round_number == 0 and drifts is not None:
                drifts.extend(network_drifts(actions))
                if not corrects(env.spec):
                    return observed, done, ""
            for action in actions:
                applied = await apply_network_action(target, action, observed)
                if applied.event:
                    await self._event(ctx, env, *applied.event)
                if applied.done:
                    done.append(applied.done)
                known["namespace"] = applied.namespace_id or known["namespace"]
                known["service"] = applied.service_id or known["service"]
                if applied.pending:
                    return await self._observe(env, desired, vpc_id, known), done, applied.pending
        raise TemporaryError(NOT_CONVERGING.format(actions=actions, rounds=MAX_ROUNDS))

    # -- releasing shared objects ----------------------------------------------------

    async def _release(
        self, ctx: ReconcileContext, env: EnvironmentRecord, keys: Sequence[str], vpc_id: str | None
    ) -> list[str]:
        """Deletes the shared objects of `keys` no other environment uses; returns the
        keys whose objects AWS still holds on to (try later)."""
        kept = []
        for key in keys:
            if key == SHARED:
                continue
            if await ctx.store.network_scope_users(key, excluding=env.id):
                continue  # theirs now: the last of them releases it
            if not await self._release_key(ctx, env, key, vpc_id):
                kept.append(key)
        return kept

    async def _release_key(
        self, ctx: ReconcileContext, env: EnvironmentRecord, key: str, vpc_id: str | None
    ) -> bool:
        name = membership_group_name(key)
        if name is not None and not await self._delete_group(ctx, env, vpc_id, name):
            return False
        namespace = namespace_name_of_key(key)
        namespace_id = await find_namespace(self._sd, namespace) if namespace else None
        if namespace_id is None:
            return True
        deleted = await delete_namespace(self._sd, namespace_id)
        if deleted:
            message = NAMESPACE_DELETED.format(name=namespace, id=namespace_id)
            await self._event(ctx, env, "NamespaceDeleted", message)
        return deleted is not False

    async def _delete_group(
        self, ctx: ReconcileContext, env: EnvironmentRecord, vpc_id: str | None, name: str
    ) -> bool:
        """False while AWS says the group is still in use."""
        outcome, group_id = await delete_group(self._ec2, vpc_id, name)
        if outcome is Deletion.DELETED:
            await self._event(ctx, env, "SecurityGroupDeleted", GROUP_DELETED.format(name=name, id=group_id))
        return outcome is not Deletion.IN_USE

    # -- teardown --------------------------------------------------------------------

    async def _tear_down(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        previous: StatusUpdate[EnvironmentNetworkOutputs] | None,
        network: NetworkOutputs | None,
    ) -> Result:
        """Discovery service, ingress group, then the scope's shared objects if no one
        else uses them (never the aws-network's group); then the kind lets go."""
        before = _outputs_of(previous)
        if Kind.ECS_ENVIRONMENT in env.finalizers:
            await self._write_deleting(ctx, env, previous, before, WAITING_FOR_WORKLOAD)
            return RequeueAfter(TEARDOWN_WAIT_SECONDS, WAITING_FOR_WORKLOAD)
        vpc_id = network.vpc_id if network else None
        ingress = ingress_group_name(env)
        waiting: list[str] = []
        service_id = service_id_of(before.service_registry_arn)
        if service_id:
            deleted = await delete_discovery(self._sd, service_id)
            if deleted is False:
                waiting.append(f"discovery service {service_id}")
            elif deleted:
                await self._event(ctx, env, "DiscoveryServiceDeleted", DISCOVERY_DELETED.format(id=service_id))
        if not waiting and not await self._delete_group(ctx, env, vpc_id, ingress):
            waiting.append(ingress)
        keys = releasable([before.scope_key or SHARED, *before.retired_scope_keys], SHARED)
        if not waiting:
            waiting.extend(await self._release(ctx, env, keys, vpc_id))
        if waiting:
            message = RELEASING.format(what=", ".join(waiting))
            await self._write_deleting(ctx, env, previous, before, message)
            return RequeueAfter(RELEASE_WAIT_SECONDS, message)
        await self._event(ctx, env, "TornDown", TORN_DOWN.format(what=", ".join([ingress, *keys])))
        await ctx.store.release_environment(env.id)
        ctx.log("environment-network.torn-down")
        return Forget()

    # -- status ----------------------------------------------------------------------

    async def _write_deleting(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        previous: StatusUpdate[EnvironmentNetworkOutputs] | None,
        before: EnvironmentNetworkOutputs,
        message: str,
    ) -> None:
        await self._write(ctx, env, previous, _not_ready(before), same_reason("Deleting", message))

    async def _write(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        previous: StatusUpdate[EnvironmentNetworkOutputs] | None,
        values: EnvironmentNetworkOutputs,
        verdict: Verdict,
    ) -> None:
        await ctx.store.write_status(
            StatusUpdate(
                observed_generation=env.generation,
                conditions=conditions(previous.conditions if previous else [], verdict, self._clock()),
                outputs=values,
            )
        )

    async def _event(self, ctx: ReconcileContext, env: EnvironmentRecord, reason: str, message: str) -> None:
        await ctx.store.record_event(reason=reason, message=message, environment_id=env.id)


def _outputs_of(previous: StatusUpdate[EnvironmentNetworkOutputs] | None) -> EnvironmentNetworkOutputs:
    """What the last pass wrote (nothing yet: the empty outputs)."""
    recorded = previous.outputs if previous else None
    return recorded if isinstance(recorded, EnvironmentNetworkOutputs) else EnvironmentNetworkOutputs()


def _not_ready(before: EnvironmentNetworkOutputs) -> EnvironmentNetworkOutputs:
    return before.model_copy(update={"ready": False})
