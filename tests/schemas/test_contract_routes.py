"""The state, container and variable request bodies against Quant Cloud's contract."""

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from schemas.desired import EnvironmentSpec, RunState
from schemas.v3 import containers, state, variables
from schemas.v3.compose import Compose
from tests.schemas import bodies, contract
from tests.schemas.test_contract import aliases, required_aliases

MODELS: dict[str, tuple[type[BaseModel], dict[str, Any]]] = {
    "updateEnvironmentState_request": (state.UpdateEnvironmentStateRequest, {"action": "restart"}),
    "bulkSetEnvironmentVariables_request": (variables.BulkSetVariablesRequest, {"environment": []}),
    "bulkSetEnvironmentVariables_request_environment_inner": (variables.Variable, {"name": "A", "value": "1"}),
    "updateEnvironmentVariable_request": (variables.UpdateVariableRequest, {"value": "1"}),
    "Container": (containers.UpdateContainerRequest, {"imageReference": bodies.IMAGE}),
}

# Where berth requires what the contract leaves optional (or the reverse), and why.
REQUIRED_DEVIATIONS = {
    # A state change without an action asks for nothing.
    "updateEnvironmentState_request": {"action"},
    # Setting a variable without a value means nothing.
    "updateEnvironmentVariable_request": {"value"},
    # The path names the container; the body may leave its name out.
    "Container": {"imageReference"},
}


@pytest.mark.parametrize("name", MODELS)
def test_wire_names_are_the_contracts_property_names(name):
    model, minimal = MODELS[name]
    assert aliases(model) == set(contract.properties(name))
    model.model_validate(minimal)


@pytest.mark.parametrize("name", MODELS)
def test_required_fields_are_the_contracts(name):
    model, _ = MODELS[name]
    assert required_aliases(model) == REQUIRED_DEVIATIONS.get(name, contract.required(name))


SPEC = EnvironmentSpec(compose=Compose.model_validate(bodies.compose()))
STOPPED = SPEC.model_copy(update={"state": RunState.STOPPED})


def _request(action: str, tag: str | None = None) -> state.UpdateEnvironmentStateRequest:
    return state.UpdateEnvironmentStateRequest.model_validate({"action": action, "imageTag": tag})


@pytest.mark.parametrize(
    ("reason", "current", "request_", "expected"),
    [
        ("start runs a stopped environment", STOPPED, _request("start"), SPEC),
        ("start of a running one changes nothing", SPEC, _request("start"), SPEC),
        ("stop keeps everything but the run state", SPEC, _request("stop"), STOPPED),
        ("stop of a stopped one changes nothing", STOPPED, _request("stop"), STOPPED),
        ("restart asks for one forced deployment", SPEC, _request("restart"), SPEC.model_copy(update={"restarts": 1})),
        ("redeploy without a tag keeps the tag", SPEC.model_copy(update={"image_tag": "v1"}), _request("redeploy"),
         SPEC.model_copy(update={"image_tag": "v1", "restarts": 1})),
        ("redeploy with a tag pins it", SPEC, _request("redeploy", "v2"),
         SPEC.model_copy(update={"image_tag": "v2", "restarts": 1})),
    ],
)
def test_next_spec(reason, current, request_, expected):
    assert state.next_spec(current, request_) == expected, reason


@pytest.mark.parametrize("action", ["restart", "redeploy"])
def test_a_stopped_environment_has_nothing_to_restart(action):
    with pytest.raises(state.StoppedEnvironment):
        state.next_spec(STOPPED, _request(action))


@pytest.mark.parametrize("action", ["start", "stop", "restart"])
def test_an_image_tag_is_only_for_redeploy(action):
    with pytest.raises(ValidationError) as caught:
        _request(action, "v1")
    assert [e["loc"] for e in caught.value.errors()] == [("imageTag",)]


def test_variables_list_as_name_to_value():
    stored = [variables.Variable(name="B", value="2").stored(), variables.Variable(name="A", value="1").stored()]
    assert list(variables.as_object(stored).items()) == [("B", "2"), ("A", "1")]
