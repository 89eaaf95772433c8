"""Each kind's outputs model: the stored form round-trips, unknown stored keys are
ignored, readiness is the kind's own, and `missing` names what a dependent waits for."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.kinds import Kind
from schemas.outputs import (
    OUTPUTS,
    EnvironmentNetworkOutputs,
    FilesystemOutputs,
    NetworkOutputs,
    WorkloadOutputs,
    outputs_model,
)

NETWORK = {
    "clusterArn": "arn:aws:ecs:eu-west-1:1:cluster/berth",
    "clusterName": "berth",
    "vpcId": "vpc-1",
    "subnetIds": ["subnet-1", "subnet-2"],
    "securityGroupIds": ["sg-1"],
}


def test_every_kind_has_one_model_that_names_it():
    assert set(OUTPUTS) == set(Kind)
    for kind, model in OUTPUTS.items():
        assert model.kind is kind and outputs_model(kind.value) is model


@pytest.mark.parametrize("model", list(OUTPUTS.values()), ids=lambda m: m.__name__)
def test_a_model_with_nothing_written_stores_and_reads_back_as_itself(model):
    empty = model()
    assert model.stored(empty.to_stored()) == empty


def test_the_stored_form_is_the_camel_case_json_it_always_was():
    assert NetworkOutputs.stored(NETWORK).to_stored() == NETWORK


def test_a_stored_key_this_berth_does_not_know_is_ignored():
    assert NetworkOutputs.stored({**NETWORK, "retired": 1}) == NetworkOutputs.stored(NETWORK)


def test_nothing_written_is_none():
    assert NetworkOutputs.stored(None) is None


def test_drift_is_stored_only_when_there_is_some():
    assert "drift" not in WorkloadOutputs().to_stored()
    drifted = WorkloadOutputs.stored({"drift": [{"resource": "ECS service s", "fields": ["desiredCount"]}]})
    assert drifted.to_stored()["drift"] == [{"resource": "ECS service s", "fields": ["desiredCount"]}]


@pytest.mark.parametrize(
    ("outputs", "needed", "missing", "reason"),
    [
        (NetworkOutputs.stored(NETWORK), NetworkOutputs.essential, (), "everything set"),
        (NetworkOutputs.stored({**NETWORK, "subnetIds": []}), ("vpc_id", "subnet_ids"), ("subnetIds",), "an empty list is missing"),
        (NetworkOutputs(), ("vpc_id",), ("vpcId",), "a kind ready by its outputs names only the outputs"),
        (EnvironmentNetworkOutputs(security_group_ids=["sg-1"]), ("security_group_ids",), ("ready",), "a kind that judges itself says ready first"),
        (EnvironmentNetworkOutputs(), ("security_group_ids",), ("ready", "securityGroupIds"), "and then the outputs"),
        (FilesystemOutputs(ready=True, filesystem_id="fs-1"), ("filesystem_id", "access_point_id"), ("accessPointId",), "ready but incomplete"),
    ],
)
def test_missing_names_what_a_dependent_waits_for(outputs, needed, missing, reason):
    assert outputs.missing(needed) == missing, reason


def test_a_kind_ready_by_its_outputs_is_ready_once_every_essential_one_is_set():
    assert NetworkOutputs.stored(NETWORK).ready
    assert not NetworkOutputs.stored({**NETWORK, "clusterArn": None}).ready


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "serviceArn": st.none() | st.text(),
            "runningCount": st.none() | st.integers(0, 100),
            "passes": st.integers(0, 10**6),
            "followedDeployments": st.lists(
                st.fixed_dictionaries(
                    {"deploymentId": st.text(), "taskDefinitionArn": st.text(), "status": st.sampled_from(["PRIMARY", "COMPLETED"])}
                ),
                max_size=3,
            ),
        },
    )
)
# No deadline: on a loaded machine the first examples' model building can pass 200 ms.
@settings(deadline=None)
def test_storing_what_was_read_changes_nothing(raw):
    once = WorkloadOutputs.stored(raw).to_stored()
    assert WorkloadOutputs.stored(once).to_stored() == once
