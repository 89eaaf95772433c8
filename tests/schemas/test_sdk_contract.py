"""berth's models against the published Quant Cloud SDK's (`quantcdn-client`, a dev dependency):
wire names, required fields, defaults, enums and the container name pattern.

The same checks as test_contract.py and test_contract_routes.py, needing no file outside
the repository, so a fresh clone runs them. The SDK (4.8.0) is older than the reference
(4.19.0); SDK_DEVIATIONS says where the two differ.
"""

import ast
import re
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticUndefined

from schemas.v3 import compose as cmp
from tests.schemas import bodies, test_contract, test_contract_routes

sdk = pytest.importorskip("quantcdn.models", reason="quantcdn-client (a dev dependency) is not installed")

ROUTE_MODELS = test_contract_routes.MODELS
ENUM_MESSAGE = re.compile(r"must be one of enum values (\(.*\))")

# Where the SDK (4.8.0) is not yet the contract berth follows (4.19.0), and why.
SDK_DEVIATIONS: dict[str, dict[str, set[str]]] = {
    # 4.19.0 added the redirect host to origin protection.
    "Container_originProtectionConfig": {"berth_only": {"redirectHost"}, "sdk_only": set()},
    # 4.19.0 renamed the application's environment list to environmentNames.
    "Application": {"berth_only": {"environmentNames"}, "sdk_only": {"environments"}},
}


def sdk_model(schema: str) -> type[BaseModel]:
    """The SDK's class for a contract schema: `Container_dependsOn_inner` → ContainerDependsOnInner."""
    return getattr(sdk, "".join(part[:1].upper() + part[1:] for part in schema.split("_")))


def sdk_aliases(model: type[BaseModel], required_only: bool = False) -> set[str]:
    return {f.alias or name for name, f in model.model_fields.items() if f.is_required() or not required_only}


def sdk_defaults(schema: str) -> list[tuple[str, Any]]:
    return [
        (field.alias or name, field.default)
        for name, field in sdk_model(schema).model_fields.items()
        if field.default is not None and field.default is not PydanticUndefined
    ]


def sdk_enum(schema: str, prop: str) -> set[str]:
    """The values the SDK's validator of `prop` allows, as its refusal of another names them."""
    model = sdk_model(schema)
    field = next(name for name, f in model.model_fields.items() if (f.alias or name) == prop)
    validator = next(v for v in model.__pydantic_decorators__.field_validators.values() if field in v.info.fields)
    with pytest.raises(ValueError, match=ENUM_MESSAGE) as refused:
        validator.func("not-a-value-of-the-enum")
    return set(ast.literal_eval(ENUM_MESSAGE.search(str(refused.value)).group(1)))


CASES = [(name, model) for name, (model, _) in test_contract.MODELS.items()] + [
    (name, model) for name, (model, _) in ROUTE_MODELS.items()
]
IDS = [f"{name}:{model.__name__}" for name, model in CASES]
ROUTE_CASES = {(name, model) for name, (model, _) in ROUTE_MODELS.items()}


@pytest.mark.parametrize(("name", "model"), CASES, ids=IDS)
def test_wire_names_are_the_sdks(name, model):
    deviation = SDK_DEVIATIONS.get(name, {"berth_only": set(), "sdk_only": set()})
    ours = test_contract.aliases(model) - test_contract.EXTENSIONS.get(name, set())
    assert ours - deviation["berth_only"] == sdk_aliases(sdk_model(name)) - deviation["sdk_only"]


@pytest.mark.parametrize(("name", "model"), CASES, ids=IDS)
def test_required_fields_are_the_sdks(name, model):
    deviations = (test_contract_routes if (name, model) in ROUTE_CASES else test_contract).REQUIRED_DEVIATIONS
    expected = deviations.get(name, sdk_aliases(sdk_model(name), required_only=True))
    assert test_contract.required_aliases(model) == expected


DEFAULTS = [
    (name, prop, default)
    for name in test_contract.MODELS
    for prop, default in sdk_defaults(name)
    if (name, prop) not in test_contract.DEFAULT_DEVIATIONS
]


@pytest.mark.parametrize(("name", "prop", "default"), DEFAULTS, ids=[f"{n}.{p}={d}" for n, p, d in DEFAULTS])
def test_every_sdk_default_is_applied_and_written(name, prop, default):
    model, minimal = test_contract.MODELS[name]
    assert prop not in minimal
    assert model.model_validate(minimal).to_wire()[prop] == default


def test_the_sdk_has_defaults_to_compare():
    """A renamed SDK field must not leave the default test comparing nothing."""
    assert {("Container", "essential"), ("CreateApplicationRequest", "minCapacity")} <= {(n, p) for n, p, _ in DEFAULTS}


@pytest.mark.parametrize(("name", "prop"), test_contract.ENUMS, ids=[f"{s}.{p}" for s, p in test_contract.ENUMS])
def test_enums_are_the_sdks(name, prop):
    assert test_contract.ENUMS[(name, prop)] == sdk_enum(name, prop)


def sdk_accepts_container_name(value: str) -> bool:
    validator = next(v for v in sdk.Container.__pydantic_decorators__.field_validators.values() if "name" in v.info.fields)
    try:
        validator.func(value)
    except ValueError:
        return False
    return True


def berth_accepts_container_name(value: str) -> bool:
    try:
        cmp.Container.model_validate(bodies.container(value))
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("value", ["web", "Web_2", "a-b", "-", "", "web.1", "web 1", "wéb", "web/1"])
def test_container_names_are_the_sdks(value):
    assert berth_accepts_container_name(value) == sdk_accepts_container_name(value)
