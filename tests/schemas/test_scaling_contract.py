"""The scaling-policy models against Quant Cloud's contract: names, required fields, enums,
defaults and examples; and the upsert/filter rules the routes rely on."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from schemas.v3 import scaling as sc
from tests.schemas import contract

MODELS: dict[str, tuple[type[BaseModel], dict]] = {
    "SetScalingPolicyRequest": (sc.SetScalingPolicyRequest, {"metric": "CPUUtilization", "targetValue": 75}),
    "GetScalingPolicyResponse": (
        sc.GetScalingPolicyResponse,
        {
            "metric": "CPUUtilization",
            "targetValue": 75,
            "scaleInCooldownSeconds": 300,
            "scaleOutCooldownSeconds": 60,
            "policyName": "p",
        },
    ),
    "ScalingPolicyListResponse": (sc.ScalingPolicyListResponse, {}),
}
# berth's addition: the policy's ARN once the reconciler has put it (docs/api.md).
EXTENSIONS = {"GetScalingPolicyResponse": {"policyArn"}}
# Read models berth writes itself, always in full (the contract requires nothing of them).
REQUIRED = {
    "SetScalingPolicyRequest": {"metric", "targetValue"},
    "GetScalingPolicyResponse": {
        "metric",
        "targetValue",
        "scaleInCooldownSeconds",
        "scaleOutCooldownSeconds",
        "policyName",
    },
    "ScalingPolicyListResponse": set(),
}


def aliases(model: type[BaseModel]) -> set[str]:
    return {field.alias for field in model.model_fields.values()}


@pytest.mark.parametrize("name", MODELS)
def test_wire_names_are_the_contracts(name):
    model, _ = MODELS[name]
    assert aliases(model) - EXTENSIONS.get(name, set()) == set(contract.properties(name))


@pytest.mark.parametrize("name", MODELS)
def test_required_fields(name):
    model, _ = MODELS[name]
    required = {f.alias for f in model.model_fields.values() if f.is_required()}
    assert required == REQUIRED[name]
    assert contract.required(name) <= required


@pytest.mark.parametrize("name", ["SetScalingPolicyRequest", "GetScalingPolicyResponse"])
def test_the_metric_enum_is_the_contracts(name):
    assert {m.value for m in sc.ScalingMetric} == set(contract.properties(name)["metric"]["enum"])


def test_the_query_parameters_metric_enum_is_the_contracts():
    text = contract.text()
    assert "- CPUUtilization\n          - MemoryUtilization\n          - RPS" in text


def test_the_contracts_defaults_are_applied():
    body = sc.SetScalingPolicyRequest.model_validate({"metric": "CPUUtilization", "targetValue": 75}).to_wire()
    for prop, spec in contract.properties("SetScalingPolicyRequest").items():
        if "default" in spec:
            assert body[prop] == spec["default"]


@pytest.mark.parametrize("name", MODELS)
def test_the_contracts_example_round_trips(name):
    model, _ = MODELS[name]
    body = contract.example(name)
    parsed = model.model_validate(body)
    assert parsed.to_wire() == body
    assert model.model_validate(parsed.to_wire()) == parsed


def test_rps_and_percentages_above_100_cannot_be_stored():
    with pytest.raises(ValidationError, match="load balancer"):
        sc.ScalingPolicy(policy_name="p", metric="RPS", target_value=100)
    with pytest.raises(ValidationError, match="percentage"):
        sc.ScalingPolicy(policy_name="p", metric="CPUUtilization", target_value=100.5)
    assert sc.untrackable(sc.ScalingMetric.RPS, 10) == ("metric", sc.NEEDS_LOAD_BALANCER)
    assert sc.untrackable(sc.ScalingMetric.MEMORY_UTILIZATION, 101)[0] == "targetValue"
    assert sc.untrackable(sc.ScalingMetric.MEMORY_UTILIZATION, 100) is None


def test_a_policy_without_a_name_is_named_after_its_metric():
    request = sc.SetScalingPolicyRequest(metric="MemoryUtilization", target_value=60)
    assert sc.ScalingPolicy.of(request).policy_name == "MemoryUtilization-target-tracking"
    assert sc.ScalingPolicy.of(request, "mine").policy_name == "mine"


POLICIES = st.tuples(
    st.sampled_from(["a", "b", "c", "CPUUtilization-target-tracking"]),
    st.sampled_from(sc.PERCENTAGE_METRICS),
    st.sampled_from([10.0, 50.0, 99.0]),
).map(lambda t: sc.ScalingPolicy(policy_name=t[0], metric=t[1], target_value=t[2]))


@given(st.lists(POLICIES, max_size=6))
def test_upserting_keeps_one_policy_per_metric_and_per_name(puts):
    policies: list[sc.ScalingPolicy] = []
    for new in puts:
        policies = sc.upserted(policies, new)
        assert new in policies
        assert len({p.metric for p in policies}) == len(policies)
        assert len({p.policy_name for p in policies}) == len(policies)
        assert sc.upserted(policies, new) == policies  # the same PUT again changes nothing


def test_filters_combine():
    cpu = sc.ScalingPolicy(policy_name="a", metric="CPUUtilization", target_value=50)
    memory = sc.ScalingPolicy(policy_name="b", metric="MemoryUtilization", target_value=50)
    both = [cpu, memory]
    assert sc.matching(both, None, None) == both
    assert sc.matching(both, sc.ScalingMetric.CPU_UTILIZATION, None) == [cpu]
    assert sc.matching(both, None, "b") == [memory]
    assert sc.matching(both, sc.ScalingMetric.CPU_UTILIZATION, "b") == []
