"""`DatabaseReconciler`: an environment's RDS instance, its connection secret and network.

kind `rds-database`, key the environment's id. It waits for the shared network
(`aws-network`: subnets, VPC) and the environment's network (`environment-network`:
the workload's security groups, which alone may reach the instance), then
observes, plans (`database_plan`) and applies in rounds until the plan is empty:
what needs an id made in the same pass (the security group's rules, the instance)
comes in the next round. Its outputs are what the workload injects (`injectedSecrets`).

Teardown (the environment is deleting, or its spec no longer asks for a database):
once the workload is gone (`ecs-environment` no longer among the environment's
finalizers), `database_teardown`, then `release_environment` and Forget.
"""

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from reconcilers.aws.batched_describes import DbInstances, SecurityGroupsByName
from reconcilers.aws.config import AwsConfig
from reconcilers.aws.database.apply import DatabaseApplier
from reconcilers.aws.database.names import (
    ENGINES,
    connection_secret_name,
    instance_identifier,
)
from reconcilers.aws.database.observe import observe_database
from reconcilers.aws.database.plan import (
    DatabaseObservation,
    DesiredDatabase,
    plan_database,
)
from reconcilers.aws.database.status import is_ready, judge, known_secret, outputs
from reconcilers.aws.database.teardown import DatabaseTargets, tear_down
from reconcilers.aws.naming import ownership_tags
from reconcilers.aws.workload_release import workload_may_use
from reconcilers.ports import EnvironmentRecord, ReconcileContext, StatusUpdate
from reconcilers.results import Done, Forget, RequeueAfter, Result, TemporaryError
from reconcilers.status import (
    AS_DESIRED,
    NAME_OWNED_ELSEWHERE,
    Verdict,
    conditions,
    same_reason,
    unmet,
    waiting_for,
)
from schemas.kind_graph import need
from schemas.kinds import SHARED_KEY, Kind
from schemas.outputs import DatabaseOutputs, EnvironmentNetworkOutputs, NetworkOutputs, WorkloadOutputs
from schemas.status import Condition, ConditionType, Judgement

MAX_ROUNDS = 5
POLL_SECONDS = 30.0  # RDS takes minutes to create, modify or delete an instance
# A backstop only: the passes of the kinds it waits for wake this one when their outputs change.
WAITING_BACKSTOP_SECONDS = 30.0
TEARDOWN_WAIT_SECONDS = 5.0

WAITING_FOR_WORKLOAD = "waiting for the workload (ecs-environment) to stop using the database first"
NOT_CONVERGING = "the database still needs {actions} after {rounds} rounds"
LEFT_ALONE_EVENT = NAME_OWNED_ELSEWHERE


def utc_now() -> datetime:
    return datetime.now(UTC)


def degraded_of(current: Sequence[Condition]) -> Judgement:
    """Degraded as the last judging pass left it: waiting or deleting does not judge it."""
    found = next((c for c in current if c.type == ConditionType.DEGRADED), None)
    return (found.status, found.reason, found.message) if found else AS_DESIRED


def desired_database(
    env: EnvironmentRecord, network: NetworkOutputs, environment_network: EnvironmentNetworkOutputs
) -> DesiredDatabase:
    request = env.spec.database
    assert request is not None
    engine = ENGINES[str(request.engine)]
    return DesiredDatabase(
        owner=str(env.id),
        identifier=instance_identifier(env),
        secret_name=connection_secret_name(env),
        engine=engine.engine,
        engine_version=engine.major_version,
        port=engine.port,
        instance_class=request.instance_class,
        storage_gb=request.storage_gb,
        multi_az=request.multi_az,
        vpc_id=network.vpc_id or "",
        subnet_ids=frozenset(network.subnet_ids),
        client_group_ids=frozenset(environment_network.peer_security_group_ids),
    )


class DatabaseReconciler:
    kind = Kind.RDS_DATABASE

    def __init__(self, clients: Any, config: AwsConfig, clock: Callable[[], datetime] = utc_now):
        self._clients = clients
        self._config = config
        self._clock = clock
        # The describes concurrent passes share (one call for many instances / groups).
        self._instances = DbInstances(clients.rds)
        self._groups = SecurityGroupsByName(clients.ec2)

    async def reconcile(self, ctx: ReconcileContext) -> Result:
        env = await ctx.store.environment(UUID(ctx.key))
        if env is None:
            return Forget()
        ctx.bind(
            organisation=env.organisation,
            application=env.application,
            environment=env.name,
            generation=env.generation,
        )
        if env.deleting or env.spec.database is None:
            return await self._tear_down(ctx, env)
        network = await ctx.store.outputs(NetworkOutputs, SHARED_KEY)
        missing = unmet(need(Kind.RDS_DATABASE, Kind.AWS_NETWORK), network)
        if missing or network is None:
            return await self._wait(ctx, env, Kind.AWS_NETWORK, missing)
        environment_network = await ctx.store.outputs(EnvironmentNetworkOutputs, ctx.key)
        missing = unmet(need(Kind.RDS_DATABASE, Kind.ENVIRONMENT_NETWORK), environment_network)
        if missing or environment_network is None:
            return await self._wait(ctx, env, Kind.ENVIRONMENT_NETWORK, missing)
        return await self._converge(ctx, env, desired_database(env, network, environment_network))

    async def _converge(
        self, ctx: ReconcileContext, env: EnvironmentRecord, desired: DesiredDatabase
    ) -> Result:
        applier = DatabaseApplier(self._clients, ownership_tags(env))
        done: list[str] = []
        known = known_secret(await ctx.store.outputs(DatabaseOutputs, ctx.key))
        for _ in range(MAX_ROUNDS):
            observed = await observe_database(self._clients, desired, self._instances, self._groups, known)
            plan = plan_database(desired, observed)
            if not plan.actions:
                break
            for action in plan.actions:
                reason, message = await applier.apply(action)
                done.append(type(action).__name__)
                await self._event(ctx, env, reason, message)
        else:
            raise TemporaryError(NOT_CONVERGING.format(actions=plan.actions, rounds=MAX_ROUNDS))
        if done:
            ctx.log("rds-database.applied", actions=done)
        for refusal in plan.refusals:
            ctx.log("rds-database.refused", reason=refusal.reason)
        verdict = judge(desired, observed, plan.refusals, done)
        await self._write(ctx, env, verdict, outputs(desired, observed))
        return self._next(desired, observed, foreign=any(r.reason == LEFT_ALONE_EVENT for r in plan.refusals))

    @staticmethod
    def _next(desired: DesiredDatabase, observed: DatabaseObservation, *, foreign: bool) -> Result:
        instance = observed.instance
        if foreign:
            return Done()  # nothing to wait for: the name stays someone else's until the spec changes
        if not is_ready(desired, observed) or (instance is not None and instance.status != "available"):
            status = instance.status if instance else "not created yet"
            return RequeueAfter(POLL_SECONDS, f"RDS instance {desired.identifier} is {status}")
        return Done()

    async def _tear_down(self, ctx: ReconcileContext, env: EnvironmentRecord) -> Result:
        # The workload first stops injecting the connection secret (or is gone).
        if workload_may_use(env, await ctx.store.status(WorkloadOutputs, ctx.key)):
            await self._write_deleting(ctx, env, WAITING_FOR_WORKLOAD)
            return RequeueAfter(TEARDOWN_WAIT_SECONDS, WAITING_FOR_WORKLOAD)
        network = await ctx.store.outputs(NetworkOutputs, SHARED_KEY)
        request = env.spec.database
        targets = DatabaseTargets(
            identifier=instance_identifier(env),
            secret_name=connection_secret_name(env),
            vpc_id=network.vpc_id if network else None,
            owner=str(env.id),
            generation=env.generation,
            # A database dropped from the spec has no request left to opt out: it is snapshotted.
            skip_final_snapshot=bool(request and request.skip_final_snapshot),
        )
        progress = await tear_down(self._clients, targets)
        for reason, message in progress.events:
            await self._event(ctx, env, reason, message)
        if progress.left_alone:
            await self._event(ctx, env, LEFT_ALONE_EVENT, progress.left_alone, warning=True)
        if not progress.gone:
            await self._write_deleting(ctx, env, progress.waiting_for)
            return RequeueAfter(POLL_SECONDS, progress.waiting_for)
        await ctx.store.release_environment(env.id)
        ctx.log("rds-database.torn-down", identifier=targets.identifier)
        return Forget()

    async def _wait(
        self, ctx: ReconcileContext, env: EnvironmentRecord, kind: Kind, missing: Sequence[str]
    ) -> Result:
        """Ready=False `WaitingFor<Kind>` until `kind`'s pass wakes this one; the outputs
        stay the last pass's, not ready."""
        verdict = waiting_for(kind, missing)
        await self._write_not_ready(ctx, env, verdict)
        return RequeueAfter(WAITING_BACKSTOP_SECONDS, verdict.ready[2])

    async def _write_deleting(self, ctx: ReconcileContext, env: EnvironmentRecord, message: str) -> None:
        await self._write_not_ready(ctx, env, same_reason("Deleting", message))

    async def _write_not_ready(self, ctx: ReconcileContext, env: EnvironmentRecord, verdict: Verdict) -> None:
        """Ready and Progressing as judged (Degraded as it was); the last outputs, not ready."""
        previous = await ctx.store.status(DatabaseOutputs, ctx.key)
        recorded = previous.outputs if previous else None
        before = recorded if isinstance(recorded, DatabaseOutputs) else DatabaseOutputs()
        current = previous.conditions if previous else []
        kept = replace(verdict, degraded=degraded_of(current))
        judged = conditions(current, kept, self._clock())
        not_ready = before.model_copy(update={"ready": False})
        await ctx.store.write_status(StatusUpdate(env.generation, judged, not_ready))

    async def _write(
        self, ctx: ReconcileContext, env: EnvironmentRecord, verdict: Verdict, values: DatabaseOutputs
    ) -> None:
        previous = await ctx.store.status(DatabaseOutputs, ctx.key)
        await ctx.store.write_status(
            StatusUpdate(
                observed_generation=env.generation,
                conditions=conditions(previous.conditions if previous else [], verdict, self._clock()),
                outputs=values,
            )
        )

    async def _event(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        reason: str,
        message: str,
        *,
        warning: bool = False,
    ) -> None:
        await ctx.store.record_event(reason=reason, message=message, warning=warning, environment_id=env.id)
