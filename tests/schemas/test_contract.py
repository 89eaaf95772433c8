"""berth's models against Quant Cloud's contract: names, required fields, enums, defaults and the contract's examples."""

import re
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from schemas.v3 import applications as app
from schemas.v3 import compose as cmp
from tests import reference
from tests.schemas import bodies, contract

CONTAINER = bodies.container()

# Contract schema -> (berth's model, a minimal body it accepts).
MODELS: dict[str, tuple[type[BaseModel], dict[str, Any]]] = {
    "Container": (cmp.Container, CONTAINER),
    "Container_mountPoints_inner": (cmp.MountPoint, {"sourceVolume": "data", "containerPath": "/data"}),
    "Container_imageReference": (cmp.ImageReference, bodies.IMAGE),
    "Container_secrets_inner": (cmp.SecretReference, {"name": "DB_PASSWORD", "valueFrom": "db-password"}),
    "Container_healthCheck": (cmp.HealthCheck, {}),
    "Container_originProtectionConfig": (cmp.OriginProtectionConfig, {}),
    "Container_environment_inner": (cmp.EnvironmentVariable, {"name": "MODE", "value": "live"}),
    "Container_dependsOn_inner": (cmp.ContainerDependency, {"containerName": "db"}),
    "Compose": (cmp.Compose, bodies.compose()),
    "SpotConfiguration": (cmp.SpotConfiguration, {}),
    "CreateApplicationRequest": (app.CreateApplicationRequest, bodies.request()),
    "CreateApplicationRequest_environment_inner": (app.EnvironmentVariable, {"name": "MODE", "value": "live"}),
    "CreateApplicationRequest_database": (app.DatabaseRequest, {}),
    "CreateApplicationRequest_filesystem": (app.FilesystemRequest, {}),
    "Application": (app.Application, {"appName": "shop", "organisation": "acme"}),
    "Application_imageReference": (app.ImageReference, bodies.IMAGE),
    "Application_filesystem": (app.ApplicationFilesystem, {}),
    "Application_database": (app.ApplicationDatabase, {}),
    "Application_deploymentInformation_inner": (
        app.DeploymentInformation,
        {"deploymentId": "d-1", "createdAt": "2026-01-02T03:04:05Z", "status": "COMPLETED"},
    ),
    "createApplication_403_response": (app.LimitReached, {"message": "Application limit reached", "error": "10/10"}),
}

# Where berth requires what the contract leaves optional (or the reverse), and why.
REQUIRED_DEVIATIONS = {
    # A compose without containers has nothing to run.
    "Compose": {"containers"},
    # The contract requires `strategy` but also gives it a default; berth applies the default.
    "SpotConfiguration": set(),
    # One model for every environment variable: a variable without a name or a value means nothing.
    "CreateApplicationRequest_environment_inner": {"name", "value"},
    # Read models berth writes itself, always in full.
    "Application_imageReference": {"type", "identifier"},
    "Application_deploymentInformation_inner": {"deploymentId", "createdAt", "status"},
    "createApplication_403_response": {"message", "error"},
}

# Properties berth adds beyond the contract (documented in docs/api.md).
EXTENSIONS = {"CreateApplicationRequest_database": {"skipFinalSnapshot"}}

# Contract enums -> berth's enum (or Literal) values, by (schema, property).
ENUMS = {
    ("Container_imageReference", "type"): {e.value for e in cmp.ImageType},
    ("Application_imageReference", "type"): {e.value for e in cmp.ImageType},
    ("Container_dependsOn_inner", "condition"): {e.value for e in cmp.DependencyCondition},
    ("SpotConfiguration", "strategy"): {e.value for e in cmp.SpotStrategy},
    ("CreateApplicationRequest_database", "engine"): {e.value for e in app.DatabaseEngine},
    ("Application_database", "rdsInstanceEngine"): {e.value for e in app.DatabaseEngine},
}


def aliases(model: type[BaseModel]) -> set[str]:
    return {field.alias for field in model.model_fields.values()}


def required_aliases(model: type[BaseModel]) -> set[str]:
    return {field.alias for field in model.model_fields.values() if field.is_required()}


def test_every_modelled_schema_is_in_the_contract():
    assert set(MODELS) <= set(contract.schema_names())


@pytest.mark.parametrize("name", MODELS)
def test_wire_names_are_the_contracts_property_names(name):
    model, _ = MODELS[name]
    assert aliases(model) - EXTENSIONS.get(name, set()) == set(contract.properties(name))


@pytest.mark.parametrize("name", MODELS)
def test_required_fields_are_the_contracts(name):
    model, _ = MODELS[name]
    assert required_aliases(model) == REQUIRED_DEVIATIONS.get(name, contract.required(name))


@pytest.mark.parametrize(("name", "prop"), ENUMS, ids=[f"{s}.{p}" for s, p in ENUMS])
def test_enums_are_the_contracts(name, prop):
    assert ENUMS[(name, prop)] == set(contract.properties(name)[prop]["enum"])


def test_architecture_is_one_of_the_two_the_contract_names():
    assert "X86_64 or ARM64" in contract.properties("Compose")["architecture"]["description"]
    assert cmp.Compose.model_validate(bodies.compose(architecture="ARM64")).architecture == "ARM64"


def test_container_name_pattern_is_the_contracts():
    assert cmp.NAME_PATTERN == contract.properties("Container")["name"]["pattern"]


# Where berth's default is not the contract's literal value, and why.
DEFAULT_DEVIATIONS = {
    # Left out, the maximum follows the minimum: `minCapacity: 3` alone means 3…3, not
    # an invalid 3…1. With the minimum at 1 or less it is the contract's 1
    # (`desired_max_capacity`, tested in test_defaults.py).
    ("CreateApplicationRequest", "maxCapacity"),
}


def contract_defaults() -> list[tuple[str, str, Any]]:
    return [
        (name, prop, spec["default"])
        for name in MODELS
        for prop, spec in contract.properties(name).items()
        if "default" in spec and (name, prop) not in DEFAULT_DEVIATIONS
    ]


def nullable_defaults() -> list[tuple[str, str, Any]]:
    return [d for d in contract_defaults() if contract.properties(d[0])[d[1]].get("nullable")]


def not_nullable_defaults() -> list[tuple[str, str, Any]]:
    return [d for d in contract_defaults() if not contract.properties(d[0])[d[1]].get("nullable")]


def _default_id(default: Any) -> str:
    name, prop, value = default
    return f"{name}.{prop}={value}"


def _null_id(default: Any) -> str:
    name, prop, _ = default
    return f"{name}.{prop}=null"


@reference.parametrize("name, prop, default", contract_defaults, ids=_default_id)
def test_every_contract_default_is_applied_and_written(name, prop, default):
    model, minimal = MODELS[name]
    assert prop not in minimal
    assert model.model_validate(minimal).to_wire()[prop] == default


@reference.parametrize("name, prop, default", nullable_defaults, ids=_null_id)
def test_an_explicit_null_for_a_nullable_field_means_the_contract_default(name, prop, default):
    """`to_wire()` leaves nulls out; a null kept as None would come back as the default, changing the model."""
    model, minimal = MODELS[name]
    parsed = model.model_validate({**minimal, prop: None})
    assert parsed.to_wire()[prop] == default
    assert model.model_validate(parsed.to_wire()) == parsed


@reference.parametrize("name, prop, default", not_nullable_defaults, ids=_null_id)
def test_null_is_refused_where_the_contract_does_not_allow_it(name, prop, default):
    model, minimal = MODELS[name]
    with pytest.raises(ValidationError) as caught:
        model.model_validate({**minimal, prop: None})
    assert [e["loc"] for e in caught.value.errors()] == [(prop,)]


def test_the_nullable_defaults_are_the_ones_expected():
    assert {(n, p) for n, p, _ in nullable_defaults()} == {
        ("Container", "essential"),
        ("Container", "readonlyRootFilesystem"),
        ("Container", "originProtection"),
        ("Compose", "enableCrossEnvNetworking"),
        ("Compose", "enableCrossAppNetworking"),
        ("CreateApplicationRequest", "minCapacity"),
    }


def examples() -> list[str]:
    return [name for name in MODELS if "example" in contract.schema(name)]


@reference.parametrize("name", examples)
def test_the_contracts_example_round_trips_camel_case(name):
    model, _ = MODELS[name]
    body = bodies.valid_example(name)
    parsed = model.model_validate(body)
    assert parsed.to_wire() == body
    assert model.model_validate(parsed.to_wire()) == parsed


def snake(value: Any) -> Any:
    if isinstance(value, dict):
        return {re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower(): snake(item) for key, item in value.items()}
    if isinstance(value, list):
        return [snake(item) for item in value]
    return value


@reference.parametrize("name", examples)
def test_snake_case_names_are_accepted_too(name):
    model, _ = MODELS[name]
    body = bodies.valid_example(name)
    assert model.model_validate(snake(body)) == model.model_validate(body)


@reference.parametrize("name", examples)
def test_unknown_fields_are_ignored_so_clients_can_post_back_what_they_read(name):
    model, _ = MODELS[name]
    body = bodies.valid_example(name)
    unknown = {"somethingNew": {"x": 1}, "_links": [], "etag": "W/1"}
    assert not set(unknown) & aliases(model)
    assert model.model_validate({**body, **unknown}) == model.model_validate(body)


@pytest.mark.parametrize(
    ("path", "contract_value", "loc", "message"),
    [(adj[1], adj[2], adj[4], adj[5]) for adj in bodies.COMPOSE_ADJUSTMENTS],
    ids=[adj[0] for adj in bodies.COMPOSE_ADJUSTMENTS],
)
@pytest.mark.parametrize(
    ("model", "example", "prefix"),
    [
        (cmp.Compose, "Compose", ()),
        (app.CreateApplicationRequest, "CreateApplicationRequest", ("composeDefinition",)),
        (app.Application, "Application", ("composeDefinition",)),
    ],
    ids=["Compose", "CreateApplicationRequest", "Application"],
)
def test_every_adjustment_of_the_contracts_example_is_needed(model, example, prefix, path, contract_value, loc, message):
    body = bodies.valid_example(example)
    with pytest.raises(ValidationError) as caught:
        model.model_validate(bodies.changed(body, prefix + path, contract_value))
    errors = [(e["loc"], e["msg"]) for e in caught.value.errors()]
    assert any(got == prefix + loc and message in msg for got, msg in errors), errors
