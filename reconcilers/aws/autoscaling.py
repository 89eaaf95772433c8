"""`EcsAutoscalingReconciler`: an environment's ECS service under Application Auto Scaling.

kind `ecs-autoscaling`, key: the environment's UUID. Each pass waits for the
`ecs-environment` outputs (the service must exist before it can be a scalable target),
observes the service's scalable target and policies, plans (`autoscaling_plan`),
applies and writes status. Outputs: `ready`, `resourceId`, `minCapacity`,
`maxCapacity` and `policies` (each with its `policyArn`).

A deleting environment's policies and target go without waiting for its service
(nothing of the service depends on them); then the kind releases the environment.
"""

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from reconcilers.aws.autoscaling_aws import apply_scaling_action, describe_action, observe_scaling
from reconcilers.aws.autoscaling_plan import (
    DeletePolicy,
    DeregisterTarget,
    PutPolicy,
    RegisterTarget,
    ScalingAction,
    desired_scaling,
    plan_scaling,
    plan_teardown,
    policy_arns,
    service_resource_id,
)
from reconcilers.aws.batched_describes import BATCHED_PASSES_IN_FLIGHT, ScalableTargets, ScalingPolicies
from reconcilers.aws.config import AwsConfig
from reconcilers.aws.naming import workload_name
from reconcilers.aws.network import utc_now
from reconcilers.ports import EnvironmentRecord, ReconcileContext, StatusUpdate
from reconcilers.results import Done, Forget, RequeueAfter, Result
from reconcilers.status import unmet, waiting_for
from schemas.kind_graph import need
from schemas.kinds import Kind
from schemas.outputs import WorkloadOutputs
from schemas.status import Condition, ConditionType, set_condition

# A backstop only: the runtime wakes this kind when the workload records its service
# (`watches`), so waiting for it costs passes only when that wake is lost.
SERVICE_WAIT_SECONDS = 30.0
AS_DESIRED = "{resource}: capacity {low}..{high}, {count} target-tracking policies"
APPLIED = "{resource}: {actions}"
TORN_DOWN = "scaling removed from {resources}"

EVENT_REASONS = {
    RegisterTarget: "ScalableTargetRegistered",
    PutPolicy: "ScalingPolicyPut",
    DeletePolicy: "ScalingPolicyDeleted",
    DeregisterTarget: "ScalableTargetDeregistered",
}


def workload_resource_id(workload: WorkloadOutputs | None) -> str | None:
    """The service's resource id once the workload reconciler has made it; None until then."""
    if unmet(need(Kind.ECS_AUTOSCALING, Kind.ECS_ENVIRONMENT), workload) or workload is None:
        return None
    assert workload.cluster_arn is not None and workload.service_name is not None
    return service_resource_id(workload.cluster_arn, workload.service_name)


def outputs(
    env: EnvironmentRecord, resource_id: str | None, low: int, high: int, arns: Mapping[str, str], ready: bool
) -> dict[str, Any]:
    return {
        "ready": ready,
        "resourceId": resource_id,
        "minCapacity": low,
        "maxCapacity": high,
        "policies": [
            {
                "policyName": p.policy_name,
                "metric": p.metric.value,
                "targetValue": p.target_value,
                "scaleInCooldownSeconds": p.scale_in_cooldown_seconds,
                "scaleOutCooldownSeconds": p.scale_out_cooldown_seconds,
                "policyArn": arns.get(p.policy_name),
            }
            for p in env.spec.scaling_policies
        ],
    }


class EcsAutoscalingReconciler:
    kind = Kind.ECS_AUTOSCALING
    concurrency = BATCHED_PASSES_IN_FLIGHT  # passes in flight: more share each batched describe

    def __init__(self, clients: Any, config: AwsConfig, clock: Callable[[], datetime] = utc_now):
        """`clients`: an entered `AwsClients` (anything with an aioboto3 `autoscaling` client)."""
        self._autoscaling = clients.autoscaling
        self._targets = ScalableTargets(clients.autoscaling)  # one describe for concurrent passes
        self._policies = ScalingPolicies(clients.autoscaling)  # one namespace listing for a large batch
        self._config = config
        self._clock = clock

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
        workload = await ctx.store.outputs(WorkloadOutputs, ctx.key)
        resource_id = workload_resource_id(workload)
        if resource_id is None:
            desired = desired_scaling(env.spec, "")
            waiting = waiting_for(
                Kind.ECS_ENVIRONMENT, unmet(need(Kind.ECS_AUTOSCALING, Kind.ECS_ENVIRONMENT), workload)
            )
            await self._write_status(
                ctx,
                env,
                outputs(env, None, desired.min_capacity, desired.max_capacity, {}, ready=False),
                waiting.ready,
            )
            return RequeueAfter(SERVICE_WAIT_SECONDS, waiting.ready[2])
        return await self._converge(ctx, env, resource_id)

    async def _converge(self, ctx: ReconcileContext, env: EnvironmentRecord, resource_id: str) -> Result:
        desired = desired_scaling(env.spec, resource_id)
        observed = await observe_scaling(self._autoscaling, resource_id, self._targets, self._policies)
        actions = plan_scaling(desired, observed)
        arns = policy_arns(observed.policies)
        done = await self._apply(ctx, env, actions, arns)
        low, high = desired.min_capacity, desired.max_capacity
        if done:
            ctx.log("ecs-autoscaling.applied", actions=done)
            message = APPLIED.format(resource=resource_id, actions="; ".join(done))
        else:
            message = AS_DESIRED.format(resource=resource_id, low=low, high=high, count=len(desired.policies))
        await self._write_status(
            ctx, env, outputs(env, resource_id, low, high, arns, ready=True), (True, "AsDesired", message)
        )
        return Done()

    async def _apply(
        self, ctx: ReconcileContext, env: EnvironmentRecord, actions: list[ScalingAction], arns: dict[str, str]
    ) -> list[str]:
        """Applies `actions` in order, keeping `arns` (policy name -> ARN) up to date."""
        done = []
        for action in actions:
            arn = await apply_scaling_action(self._autoscaling, action)
            if isinstance(action, PutPolicy) and arn:
                arns[action.policy.name] = arn
            elif isinstance(action, DeletePolicy):
                arns.pop(action.name, None)
            done.append(describe_action(action))
            await ctx.store.record_event(
                reason=EVENT_REASONS[type(action)], message=done[-1], environment_id=env.id
            )
        return done

    def _teardown_resources(
        self, env: EnvironmentRecord, own: Mapping[str, Any] | None, workload: WorkloadOutputs | None
    ) -> list[str]:
        """What this kind recorded, what the workload recorded, and the name derived now:
        they differ for an environment whose service moved cluster or name."""
        found = [
            (own or {}).get("resourceId"),
            workload_resource_id(workload),
            service_resource_id(self._config.cluster_name, workload_name(env)),
        ]
        return list(dict.fromkeys(r for r in found if r))

    async def _tear_down(self, ctx: ReconcileContext, env: EnvironmentRecord) -> Result:
        own = await ctx.store.outputs(ctx.kind, ctx.key)
        workload = await ctx.store.outputs(WorkloadOutputs, ctx.key)
        resources = self._teardown_resources(env, own, workload)
        for resource_id in resources:
            observed = await observe_scaling(self._autoscaling, resource_id, self._targets, self._policies)
            await self._apply(ctx, env, plan_teardown(resource_id, observed), {})
        message = TORN_DOWN.format(resources=", ".join(resources))
        await ctx.store.record_event(reason="ScalingRemoved", message=message, environment_id=env.id)
        ctx.log("ecs-autoscaling.torn-down", resources=resources)
        await ctx.store.release_environment(env.id)
        return Forget()

    async def _write_status(
        self,
        ctx: ReconcileContext,
        env: EnvironmentRecord,
        result: dict[str, Any],
        ready: tuple[bool, str, str],
    ) -> None:
        previous = await ctx.store.status(ctx.kind, ctx.key)
        status, reason, message = ready
        current = previous.conditions if previous else []
        now = self._clock()
        for kind, value, why, text in (
            (ConditionType.READY, status, reason, message),
            (ConditionType.PROGRESSING, not status, reason, message),
            (ConditionType.DEGRADED, False, "AsDesired", ""),
        ):
            condition = Condition(type=kind, status=value, reason=why, message=text, last_transition_time=now)
            current = set_condition(current, condition)
        await ctx.store.write_status(
            StatusUpdate(observed_generation=env.generation, conditions=current, outputs=result)
        )
