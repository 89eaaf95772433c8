"""`EcsEnvironmentReconciler`: one environment as an ECS service on Fargate.

kind `ecs-environment`, key: the environment's UUID. Each pass re-reads the
environment and the shared network's outputs, gathers the workload's inputs (its
dependencies' outputs, the app-secrets store, the ECR repository and log group:
`environment_inputs`), observes ECS, plans with pure functions (task definition,
then service), applies, follows the service's deployments and writes status. A
deleting environment is torn down and released without waiting for anything: it
only needs the cluster and names its own status recorded.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from botocore.exceptions import ClientError

from reconcilers.aws.batched_describes import BATCHED_PASSES_IN_FLIGHT, LogGroups
from reconcilers.aws.calls import error_code
from reconcilers.aws.capacity import CapacityChoice, environment_capacity
from reconcilers.aws.config import AwsConfig
from reconcilers.aws.deployments import (
    COMPLETED,
    FAILED,
    ROLLED_BACK,
    SUPERSEDED,
    DeploymentTracking,
    FollowedDeployment,
    followed_by,
    newly_failed,
    track_deployments,
)
from reconcilers.aws.describe import ServiceDescriber
from reconcilers.aws.environment_apply import (
    apply_service_action,
    describe_action,
    register_task_definition,
)
from reconcilers.aws.desired_count import desired_count, restart_due, restarts_applied
from reconcilers.aws.drift import Drift, corrects, drift_output, is_resync
from reconcilers.aws.environment_inputs import Blocked, Gathered, gather_inputs
from reconcilers.aws.environment_observe import NAME_OWNED_ELSEWHERE, claim, observe_environment
from reconcilers.aws.environment_teardown import TeardownState, tear_down, teardown_targets
from reconcilers.aws.environment_status import (
    EnvironmentFindings,
    FailedRollout,
    conditions,
    judge,
    outputs,
    same_reason,
)
from reconcilers.aws.log_group import PASSES, delete_log_group, log_group_check_due, log_group_name
from reconcilers.aws.naming import ownership_tags, workload_name
from reconcilers.aws.network import utc_now
from reconcilers.aws.service import (
    ACTIVE,
    CreateService,
    DesiredService,
    NetworkSettings,
    ObservedService,
    ServiceAction,
    UpdateService,
    hold_task_definition,
    plan_service,
)
from reconcilers.aws.task_definition import (
    RegisterTaskDefinition,
    RenderError,
    deployed_image_tag,
    fingerprint,
    plan_task_definition,
    render_task_definition,
)
from reconcilers.aws.workload_inputs import Dependencies
from reconcilers.ports import EnvironmentRecord, ReconcileContext, StatusUpdate
from reconcilers.results import Done, Forget, PermanentError, RequeueAfter, Result, TemporaryError
from reconcilers.status import conditions as judged_conditions
from reconcilers.status import unmet, waiting_for
from schemas.kind_graph import need
from schemas.kinds import SHARED_KEY, Kind
from schemas.outputs import NetworkOutputs
from schemas.status import ConditionType

# A backstop only: the runtime wakes this kind as soon as a kind it needs writes outputs.
WAITING_BACKSTOP_SECONDS = 30.0

ROLLOUT_IN_PROGRESS = "rollout in progress"
SERVICE_DRAINING = "the previous service {name} is still draining"
CLUSTER_MISSING = "cluster {cluster} not found; waiting for the network reconciler to recreate it"
REGISTERED = "registered {arn}: {changed} changed"
SERVICE_CREATED = "created service {arn}"
SERVICE_UPDATED = "updated {fields} of {arn}{forced}"
FORCED_DEPLOYMENT = "; forced a new deployment to move its tasks to the new capacity providers"
RESTARTED = "; forced a new deployment: restart {count}"
LOG_GROUP_DELETED = "deleted log group {name}"
SERVICE_DELETING = "deleting service {name}"
DEPLOYMENT_FINISHED = "deployment {id} of {arn}: {status}{reason}"
LEFT_ALONE = "same-named but not this environment's, so left alone: {resources}"
TORN_DOWN = (
    "torn down: no service of this environment's left under {services}; "
    "{count} task definition revisions deregistered"
)

TASK_DEFINITION_FINGERPRINT = "taskDefinitionFingerprint"  # status output: `task_definition.fingerprint`
TASK_DEFINITION_RESOURCE = "ECS task definition family {family}"
SERVICE_RESOURCE = "ECS service {name}"
SERVICE_MISSING = "the service itself: gone or draining"

DEPLOYMENT_EVENTS = {
    COMPLETED: ("DeploymentCompleted", False),
    FAILED: ("DeploymentFailed", True),
    ROLLED_BACK: ("DeploymentRolledBack", True),
    SUPERSEDED: ("DeploymentSuperseded", False),
}


def desired_service(
    env: EnvironmentRecord,
    network: NetworkOutputs,
    task_definition_arn: str,
    config: AwsConfig,
    capacity: CapacityChoice | None = None,
    dependencies: Dependencies | None = None,
    observed_count: int | None = None,
) -> DesiredService:
    """`network`: the shared network's outputs (cluster, subnets); `dependencies`: the
    environment network's security groups and service registry, in place of the shared
    network's groups; `observed_count`: the ACTIVE service's desiredCount, if any.
    `capacity`: the environment's (`environment_capacity`), when already chosen."""
    capacity = capacity or environment_capacity(env)
    security_groups = dependencies.security_group_ids if dependencies else network.security_group_ids
    registry = dependencies.service_registry_arn if dependencies else None
    return DesiredService(
        name=workload_name(env),
        cluster=network.cluster_arn,
        task_definition_arn=task_definition_arn,
        desired_count=desired_count(env.spec, observed_count),
        network=NetworkSettings.of(network.subnet_ids, security_groups, config.assign_public_ip),
        capacity_provider_strategy=capacity.strategy,
        tags=tuple(sorted(ownership_tags(env).items())),
        service_registries=(registry,) if registry else (),
    )


def service_drift(name: str, actions: Sequence[ServiceAction]) -> Drift:
    """The service's fields a resync found changed (names only)."""
    fields = [SERVICE_MISSING] if isinstance(actions[0], CreateService) else [
        f.value for a in actions if isinstance(a, UpdateService) for f in a.fields
    ] or ["forced deployment"]
    return Drift(SERVICE_RESOURCE.format(name=name), tuple(sorted(fields)))


def passes_of(previous: StatusUpdate | None) -> int:
    counted = (previous.outputs if previous else {}).get(PASSES)
    return counted if isinstance(counted, int) else 0


def settled_environment(previous: StatusUpdate | None, env: EnvironmentRecord) -> bool:
    """The last pass found it converged: Ready at this generation, on this log group,
    every desired task running."""
    if not is_resync(previous, env.generation) or previous is None:
        return False
    outputs = previous.outputs
    running, desired = outputs.get("runningCount"), outputs.get("desiredCount")
    if not isinstance(running, int) or not isinstance(desired, int) or running < desired:
        return False
    return outputs.get("logGroupName") == log_group_name(env)


def settled_revision(before: Mapping[str, Any], rendered: str) -> str | None:
    """The revision an earlier pass settled on for a definition of fingerprint `rendered`
    (registered from it, or found equal to it), if the last pass recorded one."""
    if before.get(TASK_DEFINITION_FINGERPRINT) != rendered:
        return None
    return before.get("taskDefinitionArn") or None


def held_rollout(
    previous: FailedRollout | None, failed: frozenset[str], desired_arn: str, generation: int
) -> FailedRollout | None:
    """The desired revision is held back once its rollout failed, for as long as the
    generation stays the one it failed at: re-pushing it would only fail again."""
    if desired_arn in failed:
        return FailedRollout(desired_arn, generation)
    if previous and previous.task_definition_arn == desired_arn and previous.generation == generation:
        return previous
    return None


class EcsEnvironmentReconciler:
    kind = Kind.ECS_ENVIRONMENT
    concurrency = BATCHED_PASSES_IN_FLIGHT  # passes in flight: more share each batched describe

    def __init__(
        self,
        clients: Any,
        config: AwsConfig,
        clock: Callable[[], datetime] = utc_now,
        describer: ServiceDescriber | None = None,
    ):
        """`clients`: an entered `AwsClients` (its `ecs`, `ecs_once`, `logs`, `ecr` and
        `secretsmanager` clients)."""
        self._clients = clients
        self._ecs = clients.ecs
        self._ecs_once = clients.ecs_once
        self._config = config
        self._clock = clock
        self._describer = describer or ServiceDescriber(clients.ecs)
        self._log_groups = LogGroups(clients.logs)  # one listing for concurrent passes

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
        if env.deleting:
            return await self._tear_down(ctx, env)
        network = await ctx.store.outputs(NetworkOutputs, SHARED_KEY)
        previous = await ctx.store.status(ctx.kind, ctx.key)
        missing = unmet(need(Kind.ECS_ENVIRONMENT, Kind.AWS_NETWORK), network)
        if missing or network is None:
            return await self._wait(ctx, env, previous, Kind.AWS_NETWORK, missing)
        check = log_group_check_due(ctx.key, passes_of(previous), settled=settled_environment(previous, env))
        gathered = await gather_inputs(ctx.store, self._clients, env, self._log_groups, check_log_group=check)
        if isinstance(gathered, Blocked):
            await self._write_blocked(ctx, env, gathered)
            return RequeueAfter(gathered.delay, gathered.message)
        return await self._converge(ctx, env, network, gathered, previous)

    async def _converge(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        network: NetworkOutputs,
        gathered: Gathered,
        previous: StatusUpdate | None,
    ) -> Result:
        cluster, name = network.cluster_arn or "", workload_name(env)
        before = previous.outputs if previous else {}
        followed = [FollowedDeployment.from_output(x) for x in before.get("followedDeployments") or ()]
        capacity = environment_capacity(env)  # an invalid spot strategy stops the pass before any write
        try:
            desired_task_definition = render_task_definition(env, self._config, gathered.inputs)
            rendered = fingerprint(desired_task_definition)
            observation = await observe_environment(
                self._ecs,
                self._describer,
                cluster=cluster,
                service_name=name,
                family=desired_task_definition["family"],
                known_task_definitions={f.task_definition_arn for f in followed},
                settled_arn=settled_revision(before, rendered),
            )
        except RenderError as exc:
            raise PermanentError("InvalidSpec", str(exc)) from exc
        except ClientError as exc:
            if error_code(exc) == "ClusterNotFoundException":
                raise TemporaryError(CLUSTER_MISSING.format(cluster=cluster), delay=10) from exc
            raise
        observation = claim(observation, str(env.id))  # before anything is changed

        done: list[str] = list(gathered.actions)
        # Nothing asked for a change since the last Ready pass: a difference now is drift.
        resync, report = is_resync(previous, env.generation), not corrects(env.spec)
        latest = observation.latest_task_definition
        settled = observation.settled_task_definition
        registration = None if settled else plan_task_definition(desired_task_definition, latest)
        drifts: list[Drift] = []
        if resync and registration is not None:
            family = desired_task_definition["family"]
            drifts.append(Drift(TASK_DEFINITION_RESOURCE.format(family=family), tuple(registration.changed)))
        if drifts and report:
            task_definition_arn = (latest or {}).get("taskDefinitionArn") or (
                observation.service.task_definition_arn if observation.service else "")
        elif settled:
            task_definition_arn = settled
        else:
            task_definition_arn = await self._ensure_task_definition(ctx, env, registration, latest, done)
        image_tags = {
            **observation.image_tags,
            task_definition_arn: deployed_image_tag(desired_task_definition),
        }

        service = observation.service
        tracking = track_deployments(service.deployments if service else (), followed, image_tags)
        held = held_rollout(
            FailedRollout.from_output(before.get("failedRollout")),
            newly_failed(tracking),
            task_definition_arn,
            env.generation,
        )
        active = service is not None and service.status == ACTIVE
        desired = desired_service(
            env,
            network,
            task_definition_arn,
            self._config,
            capacity,
            gathered.inputs.dependencies,
            observed_count=service.desired_count if active and service else None,
        )
        if held is not None:
            desired = hold_task_definition(desired, service)
        restart = restart_due(env.spec, restarts_applied(env.spec, before.get("restartsApplied")), active)
        actions = plan_service(desired, service, restart)
        if resync and actions:
            drifts.append(service_drift(name, actions))
        if drifts and report:
            await self._drift_events(ctx, env, drifts, corrected=False)
            actions = []
            if service is not None:  # judged as it runs: what is left drifted is not a rollout
                desired = replace(desired, task_definition_arn=service.task_definition_arn,
                                  desired_count=service.desired_count)
                task_definition_arn = service.task_definition_arn
        if actions and isinstance(actions[0], CreateService) and observation.name_draining:
            return RequeueAfter(self._config.rollout_poll_seconds, SERVICE_DRAINING.format(name=name))
        if actions:
            service = await self._apply_service_actions(ctx, env, actions, done, restart)
            tracking = followed_by(
                tracking, track_deployments(service.deployments, tracking.followed, image_tags)
            )
        if drifts and not report:
            await self._drift_events(ctx, env, drifts, corrected=True)
        await self._record_deployments(ctx, env, tracking)

        findings = EnvironmentFindings(
            service=service,
            desired_task_definition_arn=task_definition_arn,
            desired_count=desired.desired_count,
            actions=tuple(done),
            held=held,
            capacity=capacity,
        )
        await self._explain_capacity(ctx, env, capacity, before.get("spotStrategy"))
        verdict = judge(findings)
        if done:
            ctx.log("ecs-environment.applied", actions=done)
        await ctx.store.write_status(
            StatusUpdate(
                observed_generation=env.generation,
                conditions=conditions(previous.conditions if previous else [], verdict, self._clock()),
                outputs={
                    **outputs(findings, tracking.followed, cluster, name),
                    "restartsApplied": env.spec.restarts,
                    "logGroupName": log_group_name(env),
                    PASSES: passes_of(previous) + 1,
                    # The ARN recorded above is the rendered definition's, unless drift was
                    # only reported (then it is whatever runs).
                    TASK_DEFINITION_FINGERPRINT: None if drifts and report else rendered,
                    **({"drift": drift_output(drifts)} if drifts and report else {}),
                },
            )
        )
        if verdict.rolling_out:
            return RequeueAfter(self._config.rollout_poll_seconds, ROLLOUT_IN_PROGRESS)
        return Done()

    async def _ensure_task_definition(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        registration: RegisterTaskDefinition | None,
        latest: Mapping[str, Any] | None,
        done: list[str],
    ) -> str:
        """The ARN of the revision to run: the latest ACTIVE one, or a new one (`registration`)
        if that differs."""
        if registration is None:
            return latest["taskDefinitionArn"]
        registered = await register_task_definition(self._ecs_once, registration)
        arn = registered["taskDefinitionArn"]
        done.append(describe_action(registration))
        message = REGISTERED.format(arn=arn, changed=", ".join(registration.changed))
        await self._event(ctx, env, "TaskDefinitionRegistered", message)
        return arn

    async def _apply_service_actions(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        actions: list[ServiceAction],
        done: list[str],
        restart: bool,
    ) -> ObservedService:
        """The service as ECS described it in its answer to the last action."""
        for action in actions:
            service = ObservedService.from_description(await apply_service_action(self._ecs, action))
            done.append(describe_action(action))
            if isinstance(action, CreateService):
                await self._event(ctx, env, "ServiceCreated", SERVICE_CREATED.format(arn=service.arn))
            else:
                fields = ", ".join(sorted(action.fields))
                forced = ""
                if restart:
                    forced = RESTARTED.format(count=env.spec.restarts)
                elif action.force_new_deployment:
                    forced = FORCED_DEPLOYMENT
                message = SERVICE_UPDATED.format(fields=fields, arn=service.arn, forced=forced)
                await self._event(ctx, env, "ServiceUpdated", message)
        return service

    async def _explain_capacity(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        capacity: CapacityChoice,
        before: Mapping[str, Any] | None,
    ) -> None:
        """Says once (until the request changes) why the spec's spot strategy is not applied;
        the status outputs (`spotStrategy`) say it on every pass."""
        if capacity.overridden and before != capacity.to_output():
            await self._event(ctx, env, "SpotStrategyOverridden", capacity.overridden, warning=True)

    async def _record_deployments(
        self, ctx: ReconcileContext, env: EnvironmentRecord, tracking: DeploymentTracking
    ) -> None:
        for deployment in tracking.changed:
            await ctx.store.record_deployment(env.id, deployment.record())
            event = DEPLOYMENT_EVENTS.get(deployment.status)
            if event is None or tracking.previous_status.get(deployment.deployment_id) == deployment.status:
                continue
            reason, warning = event
            message = DEPLOYMENT_FINISHED.format(
                id=deployment.deployment_id,
                arn=deployment.task_definition_arn,
                status=deployment.status.lower(),
                reason=f" ({deployment.reason})" if deployment.reason else "",
            )
            await self._event(ctx, env, reason, message, warning=warning)

    async def _tear_down(self, ctx: ReconcileContext, env: EnvironmentRecord) -> Result:
        previous = await ctx.store.status(ctx.kind, ctx.key)
        targets = teardown_targets(env, previous.outputs if previous else {}, self._config)
        progress = await tear_down(self._ecs, self._describer, targets, owner=str(env.id))
        for name in progress.deleted_services:
            await self._event(ctx, env, "ServiceDeleted", SERVICE_DELETING.format(name=name))
        if progress.state is TeardownState.DRAINING:
            message = SERVICE_DRAINING.format(name=", ".join(progress.draining))
            await self._write_deleting(ctx, env, previous, message)
            return RequeueAfter(self._config.rollout_poll_seconds, message)
        if progress.left_alone:  # said once, on the pass that finalizes
            message = LEFT_ALONE.format(resources=", ".join(progress.left_alone))
            await self._event(ctx, env, NAME_OWNED_ELSEWHERE, message, warning=True)
        group = log_group_name(env)
        if await delete_log_group(self._clients.logs, group):
            await self._event(ctx, env, "LogGroupDeleted", LOG_GROUP_DELETED.format(name=group))
        message = TORN_DOWN.format(services=", ".join(targets.services), count=len(progress.deregistered))
        await self._event(ctx, env, "TornDown", message)
        await ctx.store.release_environment(env.id)
        ctx.log("ecs-environment.torn-down", deregistered=len(progress.deregistered))
        return Forget()

    async def _wait(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        previous: StatusUpdate | None,
        kind: Kind,
        missing: Sequence[str],
    ) -> Result:
        """Ready=False `WaitingFor<Kind>`; the outputs stay those of the last pass that got through."""
        verdict = waiting_for(kind, missing)
        await ctx.store.write_status(
            StatusUpdate(
                observed_generation=env.generation,
                conditions=judged_conditions(previous.conditions if previous else [], verdict, self._clock()),
                outputs=previous.outputs if previous else {},
            )
        )
        return RequeueAfter(WAITING_BACKSTOP_SECONDS, verdict.ready[2])

    async def _write_blocked(self, ctx: ReconcileContext, env: EnvironmentRecord, blocked: Blocked) -> None:
        """Ready false with what blocks the workload; whatever runs goes on running."""
        statuses = {
            ConditionType.READY: False,
            ConditionType.PROGRESSING: blocked.progressing,
            ConditionType.DEGRADED: not blocked.progressing,
        }
        previous = await ctx.store.status(ctx.kind, ctx.key)
        await self._write_held(ctx, env, previous, statuses, blocked.reason, blocked.message)

    async def _write_deleting(
        self, ctx: ReconcileContext, env: EnvironmentRecord, previous: StatusUpdate | None, message: str
    ) -> None:
        statuses = {ConditionType.READY: False, ConditionType.PROGRESSING: True}
        await self._write_held(ctx, env, previous, statuses, "Deleting", message)

    async def _write_held(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        previous: StatusUpdate | None,
        statuses: Mapping[ConditionType, bool],
        reason: str,
        message: str,
    ) -> None:
        """Conditions with one reason and message; the outputs stay those of the last pass
        that got through (other kinds read the service's names from them)."""
        await ctx.store.write_status(
            StatusUpdate(
                observed_generation=env.generation,
                conditions=same_reason(
                    previous.conditions if previous else [], statuses, reason, message, self._clock()
                ),
                outputs=previous.outputs if previous else {},
            )
        )

    async def _drift_events(
        self, ctx: ReconcileContext, env: EnvironmentRecord, drifts: list[Drift], *, corrected: bool
    ) -> None:
        for drift in drifts:
            reason, message, warning = drift.event(corrected)
            await self._event(ctx, env, reason, message, warning=warning)

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
