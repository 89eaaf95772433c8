"""Defaults: the contract's, and berth's own where the contract leaves a field open."""

from operator import attrgetter

import pytest

from schemas.fargate import DEFAULT_TASK_CPU, DEFAULT_TASK_MEMORY
from schemas.v3.applications import CreateApplicationRequest
from tests.schemas import bodies

HEALTH_CHECK = bodies.container(healthCheck={"command": ["CMD", "true"]})
PROTECTED = bodies.container(originProtectionConfig={})
MOUNTED = bodies.container(mountPoints=[{"sourceVolume": "data", "containerPath": "/data"}])
DEPENDENT = [bodies.container("db"), bodies.container("web", dependsOn=[{"containerName": "db"}])]


def request(*containers, **fields):
    return bodies.request(composeDefinition=bodies.compose(*containers), **fields)


CASES = [
    # id, request body, attribute path on the parsed request, expected value
    ("container-essential-true", request(), "compose_definition.containers.0.essential", True),
    ("container-readonlyRootFilesystem-false", request(), "compose_definition.containers.0.readonly_root_filesystem", False),
    ("container-originProtection-false", request(), "compose_definition.containers.0.origin_protection", False),
    ("container-originProtectionConfig-absent", request(), "compose_definition.containers.0.origin_protection_config", None),
    ("healthCheck-interval-30", request(HEALTH_CHECK), "compose_definition.containers.0.health_check.interval", 30),
    ("healthCheck-timeout-5", request(HEALTH_CHECK), "compose_definition.containers.0.health_check.timeout", 5),
    ("healthCheck-retries-3", request(HEALTH_CHECK), "compose_definition.containers.0.health_check.retries", 3),
    ("healthCheck-startPeriod-unset", request(HEALTH_CHECK), "compose_definition.containers.0.health_check.start_period", None),
    ("originProtectionConfig-enabled-true", request(PROTECTED), "compose_definition.containers.0.origin_protection_config.enabled", True),
    ("originProtectionConfig-ipAllow-unset", request(PROTECTED), "compose_definition.containers.0.origin_protection_config.ip_allow", None),
    ("mountPoint-readOnly-false", request(MOUNTED), "compose_definition.containers.0.mount_points.0.read_only", False),
    ("dependsOn-condition-START", request(*DEPENDENT), "compose_definition.containers.1.depends_on.0.condition", "START"),
    ("compose-architecture-X86_64", request(), "compose_definition.architecture", "X86_64"),
    ("compose-taskCpu-256", request(), "compose_definition.task_cpu", DEFAULT_TASK_CPU),
    ("compose-taskMemory-512", request(), "compose_definition.task_memory", DEFAULT_TASK_MEMORY),
    ("compose-enableCrossEnvNetworking-false", request(), "compose_definition.enable_cross_env_networking", False),
    ("compose-enableCrossAppNetworking-false", request(), "compose_definition.enable_cross_app_networking", False),
    ("compose-capacity-unset-falls-back-to-request", request(), "compose_definition.min_capacity", None),
    ("compose-spotConfiguration-unset", request(), "compose_definition.spot_configuration", None),
    ("request-minCapacity-1", request(), "min_capacity", 1),
    ("request-maxCapacity-unset-follows-the-minimum", request(), "max_capacity", None),
    ("desired-minCapacity-1", request(), "desired_min_capacity", 1),
    ("desired-maxCapacity-1", request(), "desired_max_capacity", 1),
    ("database-absent", request(), "database", None),
    ("filesystem-absent", request(), "filesystem", None),
    ("database-engine-mysql", request(database={}), "database.engine", "mysql"),
    ("database-instanceClass-db.t4g.micro", request(database={}), "database.instance_class", "db.t4g.micro"),
    ("database-storageGb-20", request(database={}), "database.storage_gb", 20),
    ("database-multiAz-false", request(database={}), "database.multi_az", False),
    ("filesystem-required-true", request(filesystem={}), "filesystem.required", True),
    ("filesystem-mountPath-/mnt/data", request(filesystem={}), "filesystem.mount_path", "/mnt/data"),
    ("spot-strategy-spot-only", bodies.request(composeDefinition=bodies.compose(spotConfiguration={})), "compose_definition.spot_configuration.strategy", "spot-only"),
]


def get(obj, path: str):
    for part in path.split("."):
        obj = obj[int(part)] if part.isdigit() else attrgetter(part)(obj)
    return obj


@pytest.mark.parametrize(("body", "path", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_default(body, path, expected):
    assert get(CreateApplicationRequest.model_validate(body), path) == expected


WIRE_CASES = [
    ("container", request(), ("composeDefinition", "containers", 0), {"essential": True, "readonlyRootFilesystem": False, "originProtection": False}),
    ("healthCheck", request(HEALTH_CHECK), ("composeDefinition", "containers", 0, "healthCheck"), {"interval": 30, "timeout": 5, "retries": 3}),
    ("compose", request(), ("composeDefinition",), {"architecture": "X86_64", "taskCpu": 256, "taskMemory": 512, "enableCrossEnvNetworking": False, "enableCrossAppNetworking": False}),
    ("request", request(database={}, filesystem={}), (), {"minCapacity": 1}),
    ("database", request(database={}), ("database",), {"engine": "mysql", "instanceClass": "db.t4g.micro", "storageGb": 20, "multiAz": False}),
    ("filesystem", request(filesystem={}), ("filesystem",), {"required": True, "mountPath": "/mnt/data"}),
]


@pytest.mark.parametrize(("body", "path", "expected"), [case[1:] for case in WIRE_CASES], ids=[case[0] for case in WIRE_CASES])
def test_defaults_are_written_to_the_wire(body, path, expected):
    wire = CreateApplicationRequest.model_validate(body).to_wire()
    for key in path:
        wire = wire[key]
    assert expected.items() <= wire.items()


def test_unset_optional_fields_are_left_off_the_wire_not_written_as_null():
    wire = CreateApplicationRequest.model_validate(request()).to_wire()
    container = wire["composeDefinition"]["containers"][0]
    assert None not in container.values()
    assert {"cpu", "memory", "exposedPorts", "healthCheck", "user"}.isdisjoint(container)
    assert {"database", "filesystem", "environment"}.isdisjoint(wire)


@pytest.mark.parametrize(
    ("request_capacity", "compose_capacity", "desired"),
    [
        ({}, {}, (1, 1)),
        ({"minCapacity": 2, "maxCapacity": 3}, {}, (2, 3)),
        ({"minCapacity": 2, "maxCapacity": 3}, {"minCapacity": 4, "maxCapacity": 7}, (4, 7)),
        ({"minCapacity": 0, "maxCapacity": 6}, {"minCapacity": 4}, (4, 6)),
        ({"maxCapacity": 5}, {"minCapacity": 0}, (0, 5)),
        ({"minCapacity": None, "maxCapacity": None}, {}, (1, 1)),
        ({"minCapacity": 3}, {}, (3, 3)),
        ({"minCapacity": 3, "maxCapacity": None}, {}, (3, 3)),
        ({}, {"minCapacity": 2}, (2, 2)),
    ],
    ids=[
        "nothing-given-is-1-1",
        "request-level-only",
        "compose-level-wins",
        "each-bound-falls-back-on-its-own",
        "zero-minimum-from-compose",
        "null-means-the-contract-default-1",
        "maximum-left-out-follows-the-minimum",
        "null-maximum-follows-the-minimum",
        "compose-minimum-alone-sets-both",
    ],
)
def test_desired_capacity_prefers_the_compose_and_falls_back_to_the_request(request_capacity, compose_capacity, desired):
    body = bodies.request(composeDefinition=bodies.compose(**compose_capacity), **request_capacity)
    parsed = CreateApplicationRequest.model_validate(body)
    assert (parsed.desired_min_capacity, parsed.desired_max_capacity) == desired


def test_architecture_is_normalised_to_upper_case():
    body = bodies.request(composeDefinition=bodies.compose(architecture="arm64"))
    assert CreateApplicationRequest.model_validate(body).to_wire()["composeDefinition"]["architecture"] == "ARM64"
