"""An environment's scalable target and target-tracking policies, planned (pure)."""

from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconcilers.aws.autoscaling_plan import (
    DeletePolicy,
    DeregisterTarget,
    DesiredScaling,
    ObservedPolicy,
    ObservedTarget,
    PutPolicy,
    RegisterTarget,
    ScalingAction,
    ScalingObservation,
    TargetTracking,
    desired_scaling,
    plan_scaling,
    plan_teardown,
    service_resource_id,
)
from schemas.desired import EnvironmentSpec

RID = "service/berth/acme_shop_production"
CPU = TargetTracking("cpu", "ECSServiceAverageCPUUtilization", 70.0, 300, 60)
MEMORY = TargetTracking("memory", "ECSServiceAverageMemoryUtilization", 80.0, 120, 30)
WANTED = DesiredScaling(RID, 1, 4, (CPU, MEMORY))
TARGET = ObservedTarget(1, 4)


def observed(policy: TargetTracking, arn: str = "") -> ObservedPolicy:
    return ObservedPolicy(policy.name, arn or f"arn:{policy.name}", policy)


CONVERGED = ScalingObservation(TARGET, (observed(CPU), observed(MEMORY)))


@dataclass(frozen=True)
class Case:
    reason: str
    desired: DesiredScaling
    observed: ScalingObservation
    want: list


CASES = [
    Case("nothing yet: the target, then every policy", WANTED, ScalingObservation(),
         [RegisterTarget(RID, 1, 4), PutPolicy(RID, CPU), PutPolicy(RID, MEMORY)]),
    Case("as desired: nothing to do", WANTED, CONVERGED, []),
    Case("policies in another order: still as desired", WANTED,
         ScalingObservation(TARGET, (observed(MEMORY), observed(CPU))), []),
    Case("the minimum changed out of band: registered again", WANTED,
         replace(CONVERGED, target=ObservedTarget(0, 4)), [RegisterTarget(RID, 1, 4)]),
    Case("suspended out of band: registered again (unsuspended)", WANTED,
         replace(CONVERGED, target=ObservedTarget(1, 4, suspended=True)), [RegisterTarget(RID, 1, 4)]),
    Case("a policy deleted out of band: put back", WANTED,
         ScalingObservation(TARGET, (observed(CPU),)), [PutPolicy(RID, MEMORY)]),
    Case("a policy's target value changed: put again", WANTED,
         ScalingObservation(TARGET, (observed(replace(CPU, target_value=50.0)), observed(MEMORY))),
         [PutPolicy(RID, CPU)]),
    Case("a cooldown changed: put again", WANTED,
         ScalingObservation(TARGET, (observed(CPU), observed(replace(MEMORY, scale_in_cooldown=0)))),
         [PutPolicy(RID, MEMORY)]),
    Case("a policy berth does not write (step scaling) under a wanted name: replaced", WANTED,
         ScalingObservation(TARGET, (ObservedPolicy("cpu", "arn:cpu", None), observed(MEMORY))),
         [PutPolicy(RID, CPU)]),
    Case("a policy no longer wanted: deleted", replace(WANTED, policies=(CPU,)), CONVERGED,
         [DeletePolicy(RID, "memory")]),
    Case("no policy wanted: every one deleted, the target stays", replace(WANTED, policies=()), CONVERGED,
         [DeletePolicy(RID, "cpu"), DeletePolicy(RID, "memory")]),
    Case("policies without their target (AWS removes them together): all put again", WANTED,
         ScalingObservation(None, (observed(CPU), observed(MEMORY))),
         [RegisterTarget(RID, 1, 4), PutPolicy(RID, CPU), PutPolicy(RID, MEMORY)]),
    Case("stopped: min = max = 0, the policies stay", replace(WANTED, min_capacity=0, max_capacity=0), CONVERGED,
         [RegisterTarget(RID, 0, 0)]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.reason for c in CASES])
def test_plan_scaling(case):
    assert plan_scaling(case.desired, case.observed) == case.want


def test_teardown_deletes_every_policy_then_the_target():
    want = [DeletePolicy(RID, "cpu"), DeletePolicy(RID, "memory"), DeregisterTarget(RID)]
    assert plan_teardown(RID, CONVERGED) == want
    assert plan_teardown(RID, ScalingObservation()) == []


def test_the_resource_id_names_the_cluster_not_its_arn():
    arn = "arn:aws:ecs:us-east-1:123456789012:cluster/berth"
    assert service_resource_id(arn, "acme_shop_production") == RID
    assert service_resource_id("berth", "acme_shop_production") == RID


def _spec(**fields) -> EnvironmentSpec:
    containers = [{"name": "web", "imageReference": {"type": "external", "identifier": "nginx"}}]
    return EnvironmentSpec.model_validate({"compose": {"containers": containers}, **fields})


def test_the_spec_says_what_is_desired():
    policies = [
        {"policyName": "cpu", "metric": "CPUUtilization", "targetValue": 70},
        {"policyName": "memory", "metric": "MemoryUtilization", "targetValue": 80,
         "scaleInCooldownSeconds": 120, "scaleOutCooldownSeconds": 30},
    ]
    spec = _spec(minCapacity=1, maxCapacity=4, scalingPolicies=policies)
    assert desired_scaling(spec, RID) == WANTED
    stopped = desired_scaling(spec.model_copy(update={"state": "stopped"}), RID)
    assert (stopped.min_capacity, stopped.max_capacity, stopped.policies) == (0, 0, WANTED.policies)


# --- applying a plan converges -------------------------------------------------------

def applied(state: ScalingObservation, actions: list[ScalingAction]) -> ScalingObservation:
    """What AWS holds after `actions`, modelled: policies by name, the target's capacity."""
    target, policies = state.target, {p.name: p for p in state.policies}
    for action in actions:
        match action:
            case RegisterTarget(_, low, high):
                target = ObservedTarget(low, high)
            case PutPolicy(_, policy):
                policies[policy.name] = ObservedPolicy(policy.name, f"arn:{policy.name}", policy)
            case DeletePolicy(_, name):
                policies.pop(name)
            case DeregisterTarget():
                target, policies = None, {}
    return ScalingObservation(target, tuple(policies.values()))


NAMES = st.sampled_from(["cpu", "memory", "CPUUtilization-target-tracking", "other"])
TRACKING = st.builds(
    TargetTracking,
    name=NAMES,
    metric_type=st.sampled_from(["ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization"]),
    target_value=st.sampled_from([10.0, 50.0, 75.5, 100.0]),
    scale_in_cooldown=st.sampled_from([0, 60, 300]),
    scale_out_cooldown=st.sampled_from([0, 60, 300]),
)
CAPACITY = st.integers(0, 5)
TARGETS = st.none() | st.builds(ObservedTarget, CAPACITY, CAPACITY, st.booleans())


def _unique(policies: list[TargetTracking]) -> tuple[TargetTracking, ...]:
    return tuple({p.name: p for p in policies}.values())


OBSERVED_POLICIES = st.lists(
    st.one_of(
        TRACKING.map(lambda p: ObservedPolicy(p.name, "arn:x", p)),
        NAMES.map(lambda name: ObservedPolicy(name, "arn:step", None)),
    ),
    max_size=4,
).map(lambda ps: tuple({p.name: p for p in ps}.values()))
OBSERVATIONS = st.builds(ScalingObservation, TARGETS, OBSERVED_POLICIES)
DESIRED = st.builds(
    DesiredScaling, st.just(RID), CAPACITY, CAPACITY, st.lists(TRACKING, max_size=3).map(_unique)
)


@settings(max_examples=300, deadline=None)
@given(desired=DESIRED, state=OBSERVATIONS)
def test_applying_the_plan_converges(desired, state):
    after = applied(state, plan_scaling(desired, state))
    assert plan_scaling(desired, after) == []
    assert {p.name for p in after.policies} == {p.name for p in desired.policies}


@settings(max_examples=200, deadline=None)
@given(state=OBSERVATIONS)
def test_applying_the_teardown_leaves_nothing(state):
    after = applied(state, plan_teardown(RID, state))
    assert after == ScalingObservation()
