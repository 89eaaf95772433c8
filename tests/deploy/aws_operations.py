"""The AWS operations berth's code calls, found by reading the code (no import, no AWS).

Every aioboto3 client method berth calls is an attribute `<receiver>.<operation>` whose
name is an operation of the botocore service the receiver is a client of. The receiver
is named after its service everywhere (`ecs`, `self._ec2`, `clients.rds`, `sd`, …);
the few generic names (`client`, `self._client`) are resolved per file below. An
operation name only one of berth's services has needs no receiver at all.
"""

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import botocore.session
from botocore import xform_name

ROOT = Path(__file__).resolve().parents[2]

# botocore service name -> IAM action prefix
IAM_PREFIX = {
    "ecs": "ecs",
    "ec2": "ec2",
    "rds": "rds",
    "secretsmanager": "secretsmanager",
    "efs": "elasticfilesystem",
    "servicediscovery": "servicediscovery",
    "application-autoscaling": "application-autoscaling",
    "logs": "logs",
    "cloudwatch": "cloudwatch",
    "ecr": "ecr",
    "sts": "sts",
}

# A receiver's last name (leading underscores dropped) -> its botocore service.
RECEIVERS = {
    "ecs": "ecs",
    "ecs_once": "ecs",
    "ec2": "ec2",
    "rds": "rds",
    "secretsmanager": "secretsmanager",
    "efs": "efs",
    "servicediscovery": "servicediscovery",
    "sd": "servicediscovery",
    "autoscaling": "application-autoscaling",
    "logs": "logs",
    "cloudwatch": "cloudwatch",
    "ecr": "ecr",
    "sts": "sts",
}

# Generic receiver names, resolved per file: (path, receiver) -> service.
FILE_RECEIVERS = {
    ("reconcilers/aws/database/secret.py", "client"): "secretsmanager",
}

# Where the controller process's AWS calls live, and the API process's (cloud reads).
CONTROLLER_CODE = ("reconcilers",)
API_CODE = ("controller/cloud/reads.py", "controller/cloud/registry_login.py")
# The sandbox and the benchmarks drive a simulated AWS; they never run in production.
NOT_DEPLOYED = ("controller/sandbox", "controller/bench")


@dataclass(frozen=True, order=True)
class Operation:
    service: str  # botocore name
    name: str  # AWS operation name, e.g. DescribeServices
    where: str  # path:line of one call

    @property
    def action(self) -> str:
        return f"{IAM_PREFIX[self.service]}:{self.name}"


class Unresolved(Exception):
    pass


def _operations_by_method() -> dict[str, dict[str, str]]:
    """snake_case method -> {service: OperationName} over berth's services."""
    session = botocore.session.get_session()
    methods: dict[str, dict[str, str]] = {}
    for service in IAM_PREFIX:
        for name in session.get_service_model(service).operation_names:
            methods.setdefault(xform_name(name), {})[service] = name
    return methods


def _imported_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _receiver_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id.lstrip("_")
    if isinstance(node, ast.Attribute):
        return node.attr.lstrip("_")
    return None


def _paths(roots: Iterable[str]) -> list[Path]:
    paths: list[Path] = []
    for root in roots:
        path = ROOT / root
        paths.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return [p for p in paths if not any(str(p.relative_to(ROOT)).startswith(n) for n in NOT_DEPLOYED)]


def operations(roots: Iterable[str]) -> set[Operation]:
    """Every AWS operation called under `roots` (one `where` per operation: the first)."""
    methods = _operations_by_method()
    found: dict[tuple[str, str], Operation] = {}
    unresolved = []
    for path in _paths(roots):
        relative = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text(), filename=relative)
        modules = _imported_names(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute) or node.attr not in methods:
                continue
            receiver = _receiver_name(node.value)
            if receiver in modules:  # a module's function of the same name, not a client
                continue
            services = methods[node.attr]
            service = RECEIVERS.get(receiver or "") or FILE_RECEIVERS.get((relative, receiver or ""))
            if service is None and len(services) == 1:
                service = next(iter(services))
            if service is None or service not in services:
                unresolved.append(f"{relative}:{node.lineno}: {ast.unparse(node)}")
                continue
            key = (service, services[service])
            found.setdefault(key, Operation(service, services[service], f"{relative}:{node.lineno}"))
        for node in ast.walk(tree):  # paginators name their operation in a string
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get_paginator"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                service = RECEIVERS.get(_receiver_name(node.func.value) or "")
                method = node.args[0].value
                if service is None or service not in methods.get(method, {}):
                    unresolved.append(f"{relative}:{node.lineno}: {ast.unparse(node)}")
                    continue
                name = methods[method][service]
                found.setdefault((service, name), Operation(service, name, f"{relative}:{node.lineno}"))
    if unresolved:
        raise Unresolved(
            "cannot tell which AWS service these calls go to; name the receiver after its "
            "service or add it to FILE_RECEIVERS in tests/deploy/aws_operations.py:\n  "
            + "\n  ".join(unresolved)
        )
    return set(found.values())
