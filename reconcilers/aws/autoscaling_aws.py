"""Application Auto Scaling calls for an ECS service: observe its target and policies,
apply one planned action.

Every action is safe to replay: registering a target or putting a policy again sets
the same values, and deleting what is already gone counts as done.
"""

import asyncio
from collections.abc import Mapping
from typing import Any

from reconcilers.aws.autoscaling_plan import (
    SCALABLE_DIMENSION,
    SERVICE_NAMESPACE,
    TARGET_TRACKING,
    DeletePolicy,
    DeregisterTarget,
    ObservedPolicy,
    ObservedTarget,
    PutPolicy,
    RegisterTarget,
    ScalingAction,
    ScalingObservation,
    TargetTracking,
)
from reconcilers.aws.batched_describes import ScalableTargets, ScalingPolicies
from reconcilers.aws.calls import call, call_unless_absent

ABSENT_CODES = ("ObjectNotFoundException",)
NOT_SUSPENDED = {
    "DynamicScalingInSuspended": False,
    "DynamicScalingOutSuspended": False,
    "ScheduledScalingSuspended": False,
}


def _where(resource_id: str) -> dict[str, str]:
    return {
        "ServiceNamespace": SERVICE_NAMESPACE,
        "ResourceId": resource_id,
        "ScalableDimension": SCALABLE_DIMENSION,
    }


def observed_target(description: Mapping[str, Any]) -> ObservedTarget:
    suspended = description.get("SuspendedState") or {}
    return ObservedTarget(
        min_capacity=int(description["MinCapacity"]),
        max_capacity=int(description["MaxCapacity"]),
        suspended=any(bool(value) for value in suspended.values()),
    )


def observed_tracking(description: Mapping[str, Any]) -> TargetTracking | None:
    """The policy as berth would have written it, or None when berth never writes its kind."""
    config = description.get("TargetTrackingScalingPolicyConfiguration") or {}
    predefined = config.get("PredefinedMetricSpecification") or {}
    if (
        description.get("PolicyType") != TARGET_TRACKING
        or not predefined.get("PredefinedMetricType")
        or predefined.get("ResourceLabel")
        or config.get("DisableScaleIn")
        or config.get("ScaleInCooldown") is None
        or config.get("ScaleOutCooldown") is None
    ):
        return None
    return TargetTracking(
        name=description["PolicyName"],
        metric_type=predefined["PredefinedMetricType"],
        target_value=float(config["TargetValue"]),
        scale_in_cooldown=int(config["ScaleInCooldown"]),
        scale_out_cooldown=int(config["ScaleOutCooldown"]),
    )


async def observe_scaling(
    autoscaling: Any,
    resource_id: str,
    targets: ScalableTargets | None = None,
    policies: ScalingPolicies | None = None,
) -> ScalingObservation:
    """The service's scalable target and every scaling policy on it (two reads, more only
    past fifty policies; each shared with concurrent passes when `targets` and
    `policies` are given)."""
    targets = targets or ScalableTargets(autoscaling, window=0)
    policies = policies or ScalingPolicies(autoscaling, window=0)
    described, found = await asyncio.gather(
        targets.describe(SERVICE_NAMESPACE, resource_id, SCALABLE_DIMENSION),
        policies.describe(SERVICE_NAMESPACE, resource_id, SCALABLE_DIMENSION),
    )
    target = observed_target(described) if described else None
    observed = tuple(ObservedPolicy(p["PolicyName"], p["PolicyARN"], observed_tracking(p)) for p in found)
    return ScalingObservation(target, observed)


def policy_request(resource_id: str, policy: TargetTracking) -> dict[str, Any]:
    return {
        **_where(resource_id),
        "PolicyName": policy.name,
        "PolicyType": TARGET_TRACKING,
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": policy.target_value,
            "PredefinedMetricSpecification": {"PredefinedMetricType": policy.metric_type},
            "ScaleInCooldown": policy.scale_in_cooldown,
            "ScaleOutCooldown": policy.scale_out_cooldown,
            "DisableScaleIn": False,
        },
    }


async def apply_scaling_action(autoscaling: Any, action: ScalingAction) -> str | None:
    """Performs `action`; the policy's ARN for `PutPolicy`, None otherwise."""
    match action:
        case RegisterTarget(resource_id, low, high):
            await call(
                autoscaling.register_scalable_target,
                **_where(resource_id),
                MinCapacity=low,
                MaxCapacity=high,
                SuspendedState=NOT_SUSPENDED,
            )
        case PutPolicy(resource_id, policy):
            answer = await call(autoscaling.put_scaling_policy, **policy_request(resource_id, policy))
            return answer["PolicyARN"]
        case DeletePolicy(resource_id, name):
            await call_unless_absent(
                autoscaling.delete_scaling_policy, absent=ABSENT_CODES, PolicyName=name, **_where(resource_id)
            )
        case DeregisterTarget(resource_id):
            await call_unless_absent(
                autoscaling.deregister_scalable_target, absent=ABSENT_CODES, **_where(resource_id)
            )
    return None


def describe_action(action: ScalingAction) -> str:
    match action:
        case RegisterTarget(resource_id, low, high):
            return f"registered {resource_id} with capacity {low}..{high}"
        case PutPolicy(resource_id, policy):
            return f"put policy {policy.name} ({policy.metric_type} at {policy.target_value:g})"
        case DeletePolicy(resource_id, name):
            return f"deleted policy {name}"
        case DeregisterTarget(resource_id):
            return f"deregistered {resource_id}"
    raise AssertionError(action)
