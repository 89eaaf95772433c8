"""`FilesystemReconciler`: an environment's EFS file system, access point, mount targets
and NFS security group.

kind `efs-filesystem`, key: the environment's UUID. While the spec asks for a file
system (`filesystem.required`), each pass waits for the shared network's subnets
(`aws-network`) and the environment's workload security groups
(`environment-network`), then observes, plans (`filesystem_plan`) and applies in a
few rounds until the plan is empty, and writes status: `ready`, filesystemId,
accessPointId, mountPath, securityGroupId.

When the environment is deleted, or its spec stops asking for a file system, the
file system is torn down once the workload no longer mounts it; then the kind
releases the environment and forgets the key. The data goes with it: berth keeps
no copy (EFS automatic backups are off).
"""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from botocore.exceptions import ClientError

from reconcilers.aws.filesystem import status
from reconcilers.aws.batched_describes import InterfaceGroups, SecurityGroupsByName
from reconcilers.aws.calls import error_code
from reconcilers.aws.filesystem.apply import apply_action
from reconcilers.aws.filesystem.observe import observe_filesystem
from reconcilers.aws.filesystem.plan import (
    AVAILABLE,
    DesiredFilesystem,
    FilesystemObservation,
    chosen_access_point,
    is_ready,
    plan_filesystem,
    plan_teardown,
)
from reconcilers.aws.naming import ownership_tags, workload_name
from reconcilers.aws.network import utc_now
from reconcilers.aws.workload_release import workload_may_use
from reconcilers.ports import EnvironmentRecord, ReconcileContext, StatusUpdate
from reconcilers.results import Done, Forget, RequeueAfter, Result
from reconcilers.status import (
    NAME_OWNED_ELSEWHERE,
    Verdict,
    conditions,
    owned_elsewhere,
    unmet,
    waiting_for,
)
from schemas.kind_graph import need
from schemas.kinds import SHARED_KEY, Kind
from schemas.outputs import EnvironmentNetworkOutputs, FilesystemOutputs, NetworkOutputs, WorkloadOutputs

MAX_ROUNDS = 4
WAIT_SECONDS = 5.0
# A backstop only: the passes of the kinds it waits for wake this one when their outputs change.
WAITING_BACKSTOP_SECONDS = 30.0
# AWS still working on something the next step needs (a mount target's interface
# holding the security group, a file system still in use): look again shortly.
BUSY_CODES = frozenset(
    {
        "DependencyViolation",
        "FileSystemInUse",
        "IncorrectFileSystemLifeCycleState",
        "IncorrectMountTargetState",
        "MountTargetConflict",
    }
)

NOT_CONVERGING = "still to do after {rounds} rounds: {actions}"
BUSY = "AWS is not ready for {action} yet: {error}"
TORN_DOWN = "file system torn down; its data is gone (berth keeps no backup)"
LEFT_ALONE = "same-named but not this environment's, so left alone: {resources}"


def wants_filesystem(env: EnvironmentRecord) -> bool:
    return not env.deleting and env.spec.filesystem is not None and env.spec.filesystem.required


def desired_filesystem(
    env: EnvironmentRecord, network: NetworkOutputs, workload_network: EnvironmentNetworkOutputs
) -> DesiredFilesystem:
    name = workload_name(env)
    tags = {**ownership_tags(env), "Name": name}
    return DesiredFilesystem(
        environment_id=str(env.id),
        name=name,
        tags=tuple(sorted(tags.items())),
        vpc_id=network.vpc_id or "",
        subnet_ids=tuple(network.subnet_ids),
        source_group_ids=tuple(sorted(set(workload_network.peer_security_group_ids))),
        mount_path=env.spec.filesystem.mount_path,
    )


def _describe(action: Any) -> str:
    return type(action).__name__


class FilesystemReconciler:
    kind = Kind.EFS_FILESYSTEM

    def __init__(
        self, clients: Any, clock: Callable[[], datetime] = utc_now, wait_seconds: float = WAIT_SECONDS
    ):
        """`clients`: an entered `AwsClients` (anything with aioboto3 `efs` and `ec2` clients)."""
        self._efs = clients.efs
        self._ec2 = clients.ec2
        self._groups = SecurityGroupsByName(clients.ec2)  # one describe for concurrent passes
        self._interfaces = InterfaceGroups(clients.ec2)  # mount targets' groups, many a call
        self._clock = clock
        self._wait = wait_seconds

    async def reconcile(self, ctx: ReconcileContext) -> Result:
        env = await ctx.store.environment(UUID(ctx.key))
        if env is None:
            return Forget()
        ctx.bind(organisation=env.organisation, application=env.application, environment=env.name)
        previous = await ctx.store.status(FilesystemOutputs, ctx.key)
        if not wants_filesystem(env):
            return await self._tear_down(ctx, env, previous)
        network = await ctx.store.outputs(NetworkOutputs, SHARED_KEY)
        missing = unmet(need(Kind.EFS_FILESYSTEM, Kind.AWS_NETWORK), network)
        if missing or network is None:
            return await self._wait_for(ctx, env, previous, Kind.AWS_NETWORK, missing)
        workload_network = await ctx.store.outputs(EnvironmentNetworkOutputs, ctx.key)
        missing = unmet(need(Kind.EFS_FILESYSTEM, Kind.ENVIRONMENT_NETWORK), workload_network)
        if missing or workload_network is None:
            return await self._wait_for(ctx, env, previous, Kind.ENVIRONMENT_NETWORK, missing)
        return await self._converge(ctx, env, previous, desired_filesystem(env, network, workload_network))

    async def _wait_for(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        previous: StatusUpdate[FilesystemOutputs] | None,
        kind: Kind,
        missing: Sequence[str],
    ) -> Result:
        """Ready=False `WaitingFor<Kind>` until `kind`'s pass wakes this one."""
        verdict = waiting_for(kind, missing)
        await self._write_status(ctx, env, previous, verdict, status.not_ready(_recorded(previous)))
        return RequeueAfter(WAITING_BACKSTOP_SECONDS, verdict.progressing[2])

    async def _converge(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        previous: StatusUpdate[FilesystemOutputs] | None,
        desired: DesiredFilesystem,
    ) -> Result:
        recorded = _recorded(previous)
        replaces = (recorded.access_point_id if recorded else None) or ""
        done: list[str] = []
        for _ in range(MAX_ROUNDS):
            observed = await observe_filesystem(
                self._efs, self._ec2, desired.environment_id, desired.vpc_id,
                groups=self._groups, interfaces=self._interfaces,
            )  # fmt: skip
            plan = plan_filesystem(desired, observed, replaces)
            if plan.foreign:
                await self._write(ctx, env, previous, owned_elsewhere(plan.foreign), desired, observed)
                return Done()
            if not plan.actions:
                break
            for action in plan.actions:
                busy = await self._apply(ctx, env, desired, action)
                if busy:
                    verdict = status.provisioning(busy)
                    await self._write(ctx, env, previous, verdict, desired, observed)
                    return RequeueAfter(self._wait, busy)
                done.append(_describe(action))
        else:
            left = ", ".join(_describe(a) for a in plan.actions)
            detail = NOT_CONVERGING.format(rounds=MAX_ROUNDS, actions=left)
            await self._write(ctx, env, previous, status.converging([detail]), desired, observed)
            return RequeueAfter(self._wait, detail)
        if done:
            ctx.log("efs-filesystem.applied", actions=done)
        if is_ready(desired, observed):
            ap = chosen_access_point(desired, observed.access_points)
            verdict = status.ready(
                observed.file_system.file_system_id,
                ap.access_point_id,
                len(desired.subnet_ids),
                desired.source_group_ids,
            )
            await self._write(ctx, env, previous, verdict, desired, observed)
            return Done()
        verdict = status.provisioning(_pending_states(observed))
        await self._write(ctx, env, previous, verdict, desired, observed)
        return RequeueAfter(self._wait, verdict.progressing[2])

    async def _apply(
        self, ctx: ReconcileContext, env: EnvironmentRecord, desired: DesiredFilesystem | None, action: Any
    ) -> str:
        """"" when done; else why AWS could not do it yet."""
        try:
            event = await apply_action(self._efs, self._ec2, desired, action)
        except ClientError as exc:
            if error_code(exc) in BUSY_CODES:
                return BUSY.format(action=_describe(action), error=error_code(exc))
            raise
        if event is not None:
            await ctx.store.record_event(reason=event[0], message=event[1], environment_id=env.id)
        return ""

    async def _tear_down(
        self, ctx: ReconcileContext, env: EnvironmentRecord, previous: StatusUpdate[FilesystemOutputs] | None
    ) -> Result:
        workload = await ctx.store.status(WorkloadOutputs, ctx.key)
        if workload_may_use(env, workload):
            verdict = status.deleting(status.WAITING_FOR_WORKLOAD)
            return await self._wait_with(ctx, env, previous, verdict)
        recorded = _recorded(previous)
        network = await ctx.store.outputs(NetworkOutputs, SHARED_KEY)
        environment_id = str(env.id)
        vpc_id = network.vpc_id if network else None
        known_group = recorded.security_group_id if recorded else None
        for _ in range(MAX_ROUNDS):
            observed = await observe_filesystem(self._efs, self._ec2, environment_id, vpc_id, known_group)
            plan = plan_teardown(environment_id, observed)
            if plan.done:
                break
            if not plan.actions:  # AWS is still deleting what the rest waits for
                return await self._wait_with(ctx, env, previous, status.deleting(plan.waiting))
            for action in plan.actions:
                busy = await self._apply(ctx, env, None, action)
                if busy:
                    return await self._wait_with(ctx, env, previous, status.deleting(busy))
        else:
            return await self._wait_with(ctx, env, previous, status.deleting("still deleting"))
        left = [f"file system {observed.file_system.file_system_id}"] if observed.file_system else []
        if observed.security_group:
            left.append(f"security group {observed.security_group.group_id}")
        if left:
            message = LEFT_ALONE.format(resources=", ".join(left))
            await ctx.store.record_event(
                reason=NAME_OWNED_ELSEWHERE, message=message, warning=True, environment_id=env.id
            )
        await ctx.store.record_event(reason="FilesystemTornDown", message=TORN_DOWN, environment_id=env.id)
        await ctx.store.release_environment(env.id)
        ctx.log("efs-filesystem.torn-down")
        return Forget()

    async def _wait_with(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        previous: StatusUpdate[FilesystemOutputs] | None,
        verdict: Verdict,
    ) -> Result:
        await self._write_status(ctx, env, previous, verdict, status.not_ready(_recorded(previous)))
        return RequeueAfter(self._wait, verdict.progressing[2])

    async def _write(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        previous: StatusUpdate[FilesystemOutputs] | None,
        verdict: Verdict,
        desired: DesiredFilesystem,
        observed: FilesystemObservation,
    ) -> None:
        ap = chosen_access_point(desired, observed.access_points)
        fs, group = observed.file_system, observed.security_group
        ours = not verdict.degraded[0]
        outputs = status.outputs(
            ready=verdict.ready[0],
            file_system_id=fs.file_system_id if fs and ours else None,
            access_point_id=ap.access_point_id if ap and ours else None,
            mount_path=desired.mount_path,
            security_group_id=group.group_id if group and ours else None,
        )
        await self._write_status(ctx, env, previous, verdict, outputs)

    async def _write_status(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        previous: StatusUpdate[FilesystemOutputs] | None,
        verdict: Verdict,
        outputs: FilesystemOutputs,
    ) -> None:
        judged = conditions(previous.conditions if previous else [], verdict, self._clock())
        await ctx.store.write_status(StatusUpdate(env.generation, judged, outputs))


def _recorded(previous: StatusUpdate[FilesystemOutputs] | None) -> FilesystemOutputs | None:
    recorded = previous.outputs if previous else None
    return recorded if isinstance(recorded, FilesystemOutputs) else None


def _pending_states(observed: FilesystemObservation) -> str:
    pending = []
    if observed.file_system and observed.file_system.state != AVAILABLE:
        pending.append(f"file system {observed.file_system.state}")
    pending += [f"access point {a.state}" for a in observed.access_points if a.state != AVAILABLE]
    pending += [
        f"mount target in {t.subnet_id} {t.state}" for t in observed.mount_targets if t.state != AVAILABLE
    ]
    return ", ".join(pending) or "EFS"
