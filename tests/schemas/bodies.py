"""Wire bodies for the schema tests: small valid ones, and the contract's examples made valid for berth."""

import copy
from typing import Any

from tests.schemas import contract

IMAGE = {"type": "external", "identifier": "nginx:1.27"}


def container(name: str = "web", **fields: Any) -> dict[str, Any]:
    return {"name": name, "imageReference": dict(IMAGE), **fields}


def compose(*containers: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"containers": list(containers) or [container()], **fields}


def request(**fields: Any) -> dict[str, Any]:
    return {"appName": "shop", "composeDefinition": compose(), **fields}


DELETE = object()


def changed(body: dict[str, Any], path: tuple, value: Any) -> dict[str, Any]:
    """A deep copy of `body` with `path` set to `value` (or removed, for DELETE)."""
    body = copy.deepcopy(body)
    parent = body
    for key in path[:-1]:
        parent = parent[key]
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return body


# Where the contract's generated examples are not a body berth accepts, and why. Each entry is
# (id, path within the Compose example, the contract's value, berth's value, error loc, message).
# test_contract.py checks that every one of them is needed.
COMPOSE_ADJUSTMENTS: list[tuple[str, tuple, Any, Any, tuple, str]] = [
    ("taskCpu-3-is-not-a-fargate-size", ("taskCpu",), 3, 256, (), "taskCpu 3 is not a Fargate size"),
    ("taskMemory-2-does-not-fit", ("taskMemory",), 2, 512, (), "taskMemory 2 MiB does not fit taskCpu 256"),
    ("architecture-placeholder", ("architecture",), "architecture", "ARM64", ("architecture",), "'X86_64' or 'ARM64'"),
    ("both-containers-named-name", ("containers", 1, "name"), "name", "containerName", (), "must be unique"),
    (
        "second-container-would-depend-on-itself",
        ("containers", 1, "dependsOn"),
        [{"condition": "START", "containerName": "containerName"}] * 2,
        DELETE,
        (),
        "cannot depend on itself",
    ),
    *(
        (
            f"container-{i}-memoryReservation-below-4-MiB",
            ("containers", i, "memoryReservation"),
            1,
            6,
            ("containers", i, "memoryReservation"),
            "greater than or equal to 4",
        )
        for i in (0, 1)
    ),
    *(
        (
            f"container-{i}-mount-{j}-containerPath-not-absolute",
            ("containers", i, "mountPoints", j, "containerPath"),
            "containerPath",
            "/containerPath",
            ("containers", i, "mountPoints", j, "containerPath"),
            "should match pattern '^/'",
        )
        for i in (0, 1)
        for j in (0, 1)
    ),
    *(
        (
            f"container-{i}-ipAllow-placeholder",
            ("containers", i, "originProtectionConfig", "ipAllow"),
            ["ipAllow", "ipAllow"],
            ["203.0.113.0/24"],
            ("containers", i, "originProtectionConfig", "ipAllow"),
            "is not an IP address or CIDR block",
        )
        for i in (0, 1)
    ),
]


def adjusted_compose(body: dict[str, Any]) -> dict[str, Any]:
    for _, path, contract_value, berth_value, _, _ in COMPOSE_ADJUSTMENTS:
        parent = body
        for key in path[:-1]:
            parent = parent[key]
        assert parent[path[-1]] == contract_value, (path, parent[path[-1]])
        body = changed(body, path, berth_value)
    return body


def _adjust_mount(body: dict[str, Any]) -> dict[str, Any]:
    return changed(body, ("containerPath",), "/" + body["containerPath"])


def _adjust_container(body: dict[str, Any]) -> dict[str, Any]:
    body = changed(body, ("memoryReservation",), 6)
    body = changed(body, ("originProtectionConfig", "ipAllow"), ["203.0.113.0/24"])
    return changed(body, ("mountPoints",), [_adjust_mount(m) for m in body["mountPoints"]])


def _adjust_compose_definition(body: dict[str, Any]) -> dict[str, Any]:
    return changed(body, ("composeDefinition",), adjusted_compose(body["composeDefinition"]))


# How each schema's contract example is made into a body berth accepts (identity where it already is one).
EXAMPLE_ADJUSTMENTS = {
    "Container_mountPoints_inner": _adjust_mount,
    "Container": _adjust_container,
    "Container_originProtectionConfig": lambda body: changed(body, ("ipAllow",), ["203.0.113.0/24"]),
    "Compose": adjusted_compose,
    "CreateApplicationRequest": _adjust_compose_definition,
    "Application": _adjust_compose_definition,
}


def valid_example(name: str) -> dict[str, Any]:
    """The contract's example for schema `name`, with COMPOSE_ADJUSTMENTS (and their like) applied."""
    return EXAMPLE_ADJUSTMENTS.get(name, lambda body: body)(contract.example(name))
