"""`EnvironmentNetworkReconciler`: the security groups and service discovery an environment's tasks use.

kind `environment-network`, key: the environment's UUID. Each pass reads the
environment and the aws-network's outputs (VPC, shared group), plans with
`environment_network_plan`, applies in rounds (a new group's rules and a new
namespace's service need ids the round before made) and writes status:

    ready, scope, scopeKey, securityGroupIds ([membership…, ingress]),
    serviceRegistryArn, namespaceId, namespaceName, retiredScopeKeys

Shared objects (an application's or organisation's group, an organisation's
namespace) are counted through the store: they go when the last environment whose
status names their scope key leaves it. An environment that moves scope first
writes its new scope key (so it counts as a user of the new one before it exists),
then converges, then releases what it left (`retiredScopeKeys`) once unused.
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from reconcilers.aws.environment_network_plan import (
    NAMESPACE_DESCRIPTION,
    SHARED,
    AuthorizeIngress,
    CreateDiscovery,
    CreateGroup,
    CreateNamespace,
    DeleteDiscovery,
    DesiredNetwork,
    NetworkAction,
    ObservedNetwork,
    RevokeIngress,
    UpdateDiscoveryDns,
    desired_network,
    discovery_name,
    ingress_group_name,
    membership_group_name,
    namespace_name_of_key,
    plan_environment_network,
    releasable,
)
from reconcilers.aws.naming import MANAGED_BY, MANAGED_BY_KEY, ownership_tags
from reconcilers.aws.network import NETWORK_KEY, NETWORK_KIND, utc_now
from reconcilers.aws.security_groups import (
    Deletion,
    authorize_ingress,
    create_group,
    delete_group,
    observe_groups,
    revoke_ingress,
)
from reconcilers.aws.service_discovery import (
    DiscoveryNameTaken,
    create_discovery,
    create_namespace,
    delete_discovery,
    delete_namespace,
    find_discovery,
    find_namespace,
    update_discovery_dns,
)
from reconcilers.ports import EnvironmentRecord, ReconcileContext, StatusUpdate
from reconcilers.results import Done, Forget, RequeueAfter, Result, TemporaryError
from schemas.status import Condition, ConditionType, set_condition

KIND = "environment-network"
WORKLOAD_KIND = "ecs-environment"
NETWORK_WAIT_SECONDS = 2.0
NAMESPACE_WAIT_SECONDS = 3.0
RELEASE_WAIT_SECONDS = 30.0
TEARDOWN_WAIT_SECONDS = 5.0
MAX_ROUNDS = 4

WAITING_FOR_NETWORK = "waiting for the aws-network's VPC and security group"
WAITING_FOR_WORKLOAD = "waiting for the ECS service to go before its network does"
NAMESPACE_PENDING = "namespace {name} is being created (operation {operation})"
NOT_CONVERGING = "the environment's network still needs {actions} after {rounds} rounds"
RELEASING = "still in use, kept for now: {what}"
GROUP_CREATED = "created security group {name} ({id})"
GROUP_DELETED = "deleted security group {name} ({id})"
INGRESS_AUTHORIZED = "security group {name}: allowed {rules}"
INGRESS_REVOKED = "security group {name}: revoked {rules}"
NAMESPACE_CREATED = "created private DNS namespace {name} ({id})"
NAMESPACE_DELETED = "deleted private DNS namespace {name} ({id})"
DISCOVERY_CREATED = "created discovery service {name} ({arn})"
DISCOVERY_UPDATED = "discovery service {id}: A record TTL set to {ttl}"
DISCOVERY_DELETED = "deleted discovery service {id}"
READY = "{scope} scope: security groups {groups}{discovery}"
DISCOVERY_READY = "; discoverable as {name}.{namespace}"
TORN_DOWN = "network released: {what}"


def describe_rules(rules: Sequence[Any]) -> str:
    return ", ".join(
        f"{r.protocol if r.protocol != '-1' else 'all'}"
        f"{'/' + str(r.from_port) if r.from_port is not None else ''} from {r.source}"
        for r in rules
    )


def service_id_of(arn: str | None) -> str | None:
    """`arn:…:servicediscovery:…:service/srv-…` → `srv-…`."""
    return arn.rsplit("/", 1)[-1] if arn else None


class EnvironmentNetworkReconciler:
    kind = KIND

    def __init__(
        self,
        clients: Any,
        clock: Callable[[], datetime] = utc_now,
        edge_cidrs: Sequence[str] = (),
    ):
        """`clients`: an entered `AwsClients` (its `ec2` and `servicediscovery`).
        `edge_cidrs`: where the edge (CDN) reaches origin-protected ports from, besides
        each container's `ipAllow` list."""
        self._ec2 = clients.ec2
        self._sd = clients.servicediscovery
        self._clock = clock
        self._edge = tuple(edge_cidrs)

    async def reconcile(self, ctx: ReconcileContext) -> Result:
        env = await ctx.store.environment(UUID(ctx.key))
        if env is None:
            return Forget()
        ctx.bind(organisation=env.organisation, application=env.application, environment=env.name)
        previous = await ctx.store.status(ctx.kind, ctx.key)
        before = dict(previous.outputs) if previous else {}
        network = await ctx.store.outputs(NETWORK_KIND, NETWORK_KEY) or {}
        if env.deleting:
            return await self._tear_down(ctx, env, previous, network)
        if not (network.get("vpcId") and network.get("securityGroupIds")):
            return RequeueAfter(NETWORK_WAIT_SECONDS, WAITING_FOR_NETWORK)
        vpc_id = network["vpcId"]
        desired = desired_network(env, ownership_tags(env), vpc_id, self._edge)
        retired = releasable([*before.get("retiredScopeKeys", ()), before.get("scopeKey") or SHARED], desired.scope_key)
        if before.get("scopeKey") != desired.scope_key:
            # Counted as a user of the new scope before anything of it is made or found.
            before = {**before, "ready": False, "scope": desired.scope, "scopeKey": desired.scope_key,
                      "retiredScopeKeys": list(retired)}
            await self._write(ctx, env, previous, before, progressing=(True, "ScopeChanged", desired.scope_key))
            previous = await ctx.store.status(ctx.kind, ctx.key)

        try:
            observed, done, pending = await self._converge(ctx, env, desired, vpc_id, before)
        except DiscoveryNameTaken as exc:
            await self._write(ctx, env, previous, {**before, "ready": False},
                              degraded=(True, "DiscoveryNameTaken", str(exc)))
            return RequeueAfter(RELEASE_WAIT_SECONDS, str(exc))
        kept = await self._release(ctx, env, retired, vpc_id) if not pending else list(retired)

        membership = list(network["securityGroupIds"]) if desired.membership is None else [
            g.group_id for g in (observed.groups.get(desired.membership.name),) if g
        ]
        ingress = observed.groups.get(desired.ingress.name)
        groups = [*membership, *([ingress.group_id] if ingress else [])]
        discovery = observed.discovery
        outputs = {
            "ready": not pending,
            "scope": desired.scope,
            "scopeKey": desired.scope_key,
            "securityGroupIds": groups,
            "serviceRegistryArn": discovery.arn if discovery else None,
            "namespaceId": observed.namespace_id if desired.namespace else None,
            "namespaceName": desired.namespace.name if desired.namespace else None,
            "retiredScopeKeys": kept,
        }
        if pending:
            progressing = (True, "Waiting", pending)
        elif kept:
            progressing = (True, "ReleasingScope", RELEASING.format(what=", ".join(kept)))
        elif done:
            progressing = (True, "Converging", "; ".join(done))
        else:
            progressing = (False, "AsDesired", "")
        degraded = (True, "InvalidAllowList", "; ".join(desired.invalid)) if desired.invalid else (False, "AsDesired", "")
        if done:
            ctx.log("environment-network.applied", actions=done)
        await self._write(ctx, env, previous, outputs, progressing=progressing, degraded=degraded)
        if pending:
            return RequeueAfter(NAMESPACE_WAIT_SECONDS, pending)
        if kept:
            return RequeueAfter(RELEASE_WAIT_SECONDS, RELEASING.format(what=", ".join(kept)))
        return Done()

    # -- converging ------------------------------------------------------------------

    async def _observe(
        self, env: EnvironmentRecord, desired: DesiredNetwork, vpc_id: str, known: Mapping[str, str | None]
    ) -> ObservedNetwork:
        names = [g.name for g in (desired.membership, desired.ingress) if g is not None]
        groups = await observe_groups(self._ec2, vpc_id, names)
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

    async def _converge(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        desired: DesiredNetwork,
        vpc_id: str,
        before: Mapping[str, Any],
    ) -> tuple[ObservedNetwork, list[str], str]:
        """(what AWS holds now, what was done, why it is still waiting — "" when not)."""
        known: dict[str, str | None] = {
            "namespace": before.get("namespaceId"),
            "service": service_id_of(before.get("serviceRegistryArn")),
        }
        done: list[str] = []
        for _ in range(MAX_ROUNDS):
            observed = await self._observe(env, desired, vpc_id, known)
            actions = plan_environment_network(desired, observed)
            if not actions:
                return observed, done, ""
            for action in actions:
                pending = await self._apply(ctx, env, action, observed, vpc_id, known, done)
                if pending:
                    return await self._observe(env, desired, vpc_id, known), done, pending
        raise TemporaryError(NOT_CONVERGING.format(actions=actions, rounds=MAX_ROUNDS))

    async def _apply(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        action: NetworkAction,
        observed: ObservedNetwork,
        vpc_id: str,
        known: dict[str, str | None],
        done: list[str],
    ) -> str:
        """Performs one action; returns why the pass must wait ("" when it need not)."""
        match action:
            case CreateGroup(name=name, description=description, tags=tags):
                group_id, made = await create_group(self._ec2, vpc_id, name, description, tags)
                if made:
                    await self._event(ctx, env, "SecurityGroupCreated", GROUP_CREATED.format(name=name, id=group_id))
                done.append(f"create {name}")
            case AuthorizeIngress(group_name=name, rules=rules):
                await authorize_ingress(self._ec2, observed.groups[name].group_id, rules)
                await self._event(ctx, env, "IngressAuthorized", INGRESS_AUTHORIZED.format(name=name, rules=describe_rules(rules)))
                done.append(f"authorize {len(rules)} rules on {name}")
            case RevokeIngress(group_name=name, rules=rules):
                await revoke_ingress(self._ec2, observed.groups[name].group_id, rules)
                await self._event(ctx, env, "IngressRevoked", INGRESS_REVOKED.format(name=name, rules=describe_rules(rules)))
                done.append(f"revoke {len(rules)} rules on {name}")
            case CreateNamespace(name=name, request_id=request_id):
                tags = ((MANAGED_BY_KEY, MANAGED_BY), ("berth:organisation", env.organisation))
                progress = await create_namespace(self._sd, name, vpc_id, request_id, NAMESPACE_DESCRIPTION, tags)
                done.append(f"create namespace {name}")
                if progress.namespace_id is None:
                    return NAMESPACE_PENDING.format(name=name, operation=progress.operation_id)
                known["namespace"] = progress.namespace_id
                await self._event(ctx, env, "NamespaceCreated", NAMESPACE_CREATED.format(name=name, id=progress.namespace_id))
            case CreateDiscovery(name=name, namespace_id=namespace_id, request_id=request_id, ttl=ttl):
                tags = tuple(sorted(ownership_tags(env).items()))
                made = await create_discovery(self._sd, name, namespace_id, request_id, tags, ttl)
                known["service"] = made.service_id
                await self._event(ctx, env, "DiscoveryServiceCreated", DISCOVERY_CREATED.format(name=name, arn=made.arn))
                done.append(f"create discovery service {name}")
            case UpdateDiscoveryDns(service_id=service_id, ttl=ttl):
                await update_discovery_dns(self._sd, service_id, ttl)
                await self._event(ctx, env, "DiscoveryServiceUpdated", DISCOVERY_UPDATED.format(id=service_id, ttl=ttl))
                done.append(f"update discovery service {service_id}")
            case DeleteDiscovery(service_id=service_id):
                deleted = await delete_discovery(self._sd, service_id)
                if deleted is False:
                    return RELEASING.format(what=f"discovery service {service_id}")
                known["service"] = None
                if deleted:
                    await self._event(ctx, env, "DiscoveryServiceDeleted", DISCOVERY_DELETED.format(id=service_id))
                done.append(f"delete discovery service {service_id}")
        return ""

    # -- releasing shared objects ----------------------------------------------------

    async def _release(
        self, ctx: ReconcileContext, env: EnvironmentRecord, keys: Sequence[str], vpc_id: str | None
    ) -> list[str]:
        """Deletes the shared objects of `keys` no other environment uses; returns the
        keys whose objects are still in use by something AWS knows of (try later)."""
        kept = []
        for key in keys:
            if key == SHARED:
                continue
            if await ctx.store.network_scope_users(key, excluding=env.id):
                continue  # theirs now: the last of them releases it
            if not await self._release_key(ctx, env, key, vpc_id):
                kept.append(key)
        return kept

    async def _release_key(self, ctx: ReconcileContext, env: EnvironmentRecord, key: str, vpc_id: str | None) -> bool:
        name = membership_group_name(key)
        if name is not None and not await self._delete_group(ctx, env, vpc_id, name):
            return False
        namespace = namespace_name_of_key(key)
        if namespace is None:
            return True
        namespace_id = await find_namespace(self._sd, namespace)
        if namespace_id is None:
            return True
        deleted = await delete_namespace(self._sd, namespace_id)
        if deleted:
            await self._event(ctx, env, "NamespaceDeleted", NAMESPACE_DELETED.format(name=namespace, id=namespace_id))
        return deleted is not False

    async def _delete_group(self, ctx: ReconcileContext, env: EnvironmentRecord, vpc_id: str | None, name: str) -> bool:
        outcome, group_id = await delete_group(self._ec2, vpc_id, name)
        if outcome is Deletion.DELETED:
            await self._event(ctx, env, "SecurityGroupDeleted", GROUP_DELETED.format(name=name, id=group_id))
        return outcome is not Deletion.IN_USE

    # -- teardown --------------------------------------------------------------------

    async def _tear_down(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        previous: StatusUpdate | None,
        network: Mapping[str, Any],
    ) -> Result:
        before = dict(previous.outputs) if previous else {}
        if WORKLOAD_KIND in env.finalizers:
            await self._write(ctx, env, previous, {**before, "ready": False},
                              ready=(False, "Deleting", WAITING_FOR_WORKLOAD),
                              progressing=(True, "Deleting", WAITING_FOR_WORKLOAD))
            return RequeueAfter(TEARDOWN_WAIT_SECONDS, WAITING_FOR_WORKLOAD)
        vpc_id = network.get("vpcId")
        waiting: list[str] = []
        service_id = service_id_of(before.get("serviceRegistryArn"))
        if service_id:
            deleted = await delete_discovery(self._sd, service_id)
            if deleted is False:
                waiting.append(f"discovery service {service_id}")
            elif deleted:
                await self._event(ctx, env, "DiscoveryServiceDeleted", DISCOVERY_DELETED.format(id=service_id))
        if not waiting and not await self._delete_group(ctx, env, vpc_id, ingress_group_name(env)):
            waiting.append(ingress_group_name(env))
        keys = releasable([before.get("scopeKey") or SHARED, *before.get("retiredScopeKeys", ())], SHARED)
        if not waiting:
            waiting.extend(await self._release(ctx, env, keys, vpc_id))
        if waiting:
            message = RELEASING.format(what=", ".join(waiting))
            await self._write(ctx, env, previous, {**before, "ready": False},
                              ready=(False, "Deleting", message), progressing=(True, "Deleting", message))
            return RequeueAfter(RELEASE_WAIT_SECONDS, message)
        released = [ingress_group_name(env), *(k for k in keys)]
        await self._event(ctx, env, "TornDown", TORN_DOWN.format(what=", ".join(released)))
        await ctx.store.release_environment(env.id)
        ctx.log("environment-network.torn-down")
        return Forget()

    # -- status ----------------------------------------------------------------------

    async def _write(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        previous: StatusUpdate | None,
        outputs: Mapping[str, Any],
        *,
        ready: tuple[bool, str, str] | None = None,
        progressing: tuple[bool, str, str] = (False, "AsDesired", ""),
        degraded: tuple[bool, str, str] = (False, "AsDesired", ""),
    ) -> None:
        if ready is None:
            if outputs.get("ready"):
                groups = ", ".join(outputs.get("securityGroupIds") or ())
                discovery = ""
                if outputs.get("namespaceName") and outputs.get("serviceRegistryArn"):
                    discovery = DISCOVERY_READY.format(name=discovery_name(env), namespace=outputs["namespaceName"])
                ready = (True, "NetworkReady", READY.format(scope=outputs.get("scope"), groups=groups, discovery=discovery))
            else:
                ready = (False, progressing[1], progressing[2])
        now = self._clock()
        conditions = list(previous.conditions) if previous else []
        for kind, (status, reason, message) in (
            (ConditionType.READY, ready),
            (ConditionType.PROGRESSING, progressing),
            (ConditionType.DEGRADED, degraded),
        ):
            conditions = set_condition(
                conditions, Condition(type=kind, status=status, reason=reason, message=message, last_transition_time=now)
            )
        await ctx.store.write_status(
            StatusUpdate(observed_generation=env.generation, conditions=conditions, outputs=dict(outputs))
        )

    async def _event(self, ctx: ReconcileContext, env: EnvironmentRecord, reason: str, message: str) -> None:
        await ctx.store.record_event(reason=reason, message=message, environment_id=env.id)
