"""Rendering an environment's task definition and comparing it with what AWS holds (pure)."""

import copy
import random
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reconcilers.aws.config import AwsConfig
from reconcilers.aws.task_definition import (
    RenderError,
    deployed_image_tag,
    differences,
    image_tag,
    normalise,
    plan_task_definition,
    render_task_definition,
)
from tests.reconcilers.aws.factories import environment, web_container
from tests.reconcilers.aws.strategies import environments

CONFIG = AwsConfig(ecr_registry="123456789012.dkr.ecr.us-east-1.amazonaws.com")


def as_registered(
    request: dict[str, Any], revision: int, shuffle: random.Random | None = None
) -> dict[str, Any]:
    """What DescribeTaskDefinition returns for `request`: AWS's additions and defaults,
    and (with `shuffle`) lists whose order AWS does not promise, reordered."""
    registered = copy.deepcopy(request)
    family = registered["family"]
    registered.pop("tags", None)
    registered.update(
        taskDefinitionArn=f"arn:aws:ecs:us-east-1:123456789012:task-definition/{family}:{revision}",
        revision=revision,
        status="ACTIVE",
        compatibilities=["EC2", "FARGATE"],
        requiresAttributes=[{"name": "com.amazonaws.ecs.capability.task-eni"}],
        placementConstraints=[],
        registeredAt="2026-01-01T00:00:00Z",
        volumes=[{**v, "host": {}, "configuredAtLaunch": False} for v in registered.get("volumes", [])],
    )
    for container in registered["containerDefinitions"]:
        container.setdefault("cpu", 0)
        for key in ("portMappings", "environment", "mountPoints", "volumesFrom", "systemControls"):
            container.setdefault(key, [])
        for mapping in container["portMappings"]:
            mapping["hostPort"] = mapping["containerPort"]
    if shuffle is not None:
        shuffle.shuffle(registered["containerDefinitions"])
        shuffle.shuffle(registered["volumes"])
        for container in registered["containerDefinitions"]:
            for key in ("portMappings", "environment", "secrets", "mountPoints", "dependsOn"):
                shuffle.shuffle(container.get(key, []))
    return registered


def render(env, config=CONFIG):
    return render_task_definition(env, config)


def container(request, name="web"):
    return next(c for c in request["containerDefinitions"] if c["name"] == name)


# --- rendering ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderCase:
    reason: str
    env: Any
    check: Any


RENDER_CASES = [
    RenderCase(
        "task-level fields: Fargate, awsvpc, sizes as strings, platform, deterministic family",
        environment(compose={"taskCpu": 512, "taskMemory": 1024, "architecture": "arm64"}),
        lambda r: (
            r["family"] == "acme_shop_production"
            and r["requiresCompatibilities"] == ["FARGATE"]
            and r["networkMode"] == "awsvpc"
            and (r["cpu"], r["memory"]) == ("512", "1024")
            and r["runtimePlatform"] == {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}
        ),
    ),
    RenderCase(
        "an external image is used as given",
        environment(),
        lambda r: container(r)["image"] == "nginx:1.27",
    ),
    RenderCase(
        "an internal image comes from the organisation's repository in the registry",
        environment([web_container(imageReference={"type": "internal", "identifier": "build-42"})]),
        lambda r: container(r)["image"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/berth/acme:build-42",
    ),
    RenderCase(
        "an internal image by digest is referenced with @",
        environment([web_container(imageReference={"type": "internal", "identifier": "sha256:abc"})]),
        lambda r: container(r)["image"].endswith("/berth/acme@sha256:abc"),
    ),
    RenderCase(
        "container variables win over environment variables, sorted by name",
        environment(
            [web_container(environment=[{"name": "B", "value": "container"}, {"name": "A", "value": "1"}])],
            variables=[{"name": "B", "value": "environment"}, {"name": "C", "value": "3"}],
        ),
        lambda r: (
            container(r)["environment"]
            == [{"name": "A", "value": "1"}, {"name": "B", "value": "container"}, {"name": "C", "value": "3"}]
        ),
    ),
    RenderCase(
        "exposed ports become tcp port mappings",
        environment([web_container(exposedPorts=[8080, 80, 8080])]),
        lambda r: (
            container(r)["portMappings"]
            == [{"containerPort": 80, "protocol": "tcp"}, {"containerPort": 8080, "protocol": "tcp"}]
        ),
    ),
    RenderCase(
        "a bare health-check argv is exec form; defaults filled in",
        environment([web_container(healthCheck={"command": ["curl", "-f", "localhost"]})]),
        lambda r: (
            container(r)["healthCheck"]
            == {"command": ["CMD", "curl", "-f", "localhost"], "interval": 30, "timeout": 5, "retries": 3}
        ),
    ),
    RenderCase(
        "a health check that names its form keeps it",
        environment([web_container(healthCheck={"command": ["CMD-SHELL", "exit 0"], "startPeriod": 10})]),
        lambda r: (
            container(r)["healthCheck"]["command"] == ["CMD-SHELL", "exit 0"]
            and container(r)["healthCheck"]["startPeriod"] == 10
        ),
    ),
    RenderCase(
        "mount points declare task volumes of the same name",
        environment([web_container(mountPoints=[{"sourceVolume": "data", "containerPath": "/data"}])]),
        lambda r: (
            r["volumes"] == [{"name": "data"}]
            and container(r)["mountPoints"]
            == [{"sourceVolume": "data", "containerPath": "/data", "readOnly": False}]
        ),
    ),
    RenderCase(
        "secrets, dependencies and process settings are carried",
        environment(
            [
                web_container(
                    secrets=[{"name": "DB", "valueFrom": "arn:aws:secretsmanager:x"}],
                    dependsOn=[{"containerName": "init", "condition": "SUCCESS"}],
                    command=["serve"],
                    entryPoint=["/bin/app"],
                    workingDirectory="/srv",
                    user="1000",
                    readonlyRootFilesystem=True,
                    cpu=128,
                    memoryReservation=128,
                ),
                {
                    "name": "init",
                    "imageReference": {"type": "external", "identifier": "busybox"},
                    "essential": False,
                },
            ]
        ),
        lambda r: (
            {
                k: container(r)[k]
                for k in (
                    "secrets",
                    "dependsOn",
                    "command",
                    "entryPoint",
                    "workingDirectory",
                    "user",
                    "readonlyRootFilesystem",
                    "cpu",
                    "memory",
                    "memoryReservation",
                    "essential",
                )
            }
            == {
                "secrets": [{"name": "DB", "valueFrom": "arn:aws:secretsmanager:x"}],
                "dependsOn": [{"containerName": "init", "condition": "SUCCESS"}],
                "command": ["serve"],
                "entryPoint": ["/bin/app"],
                "workingDirectory": "/srv",
                "user": "1000",
                "readonlyRootFilesystem": True,
                "cpu": 128,
                "memory": 256,
                "memoryReservation": 128,
                "essential": True,
            }
            and container(r, "init")["essential"] is False
        ),
    ),
    RenderCase(
        "ownership tags",
        environment(),
        lambda r: (
            {t["key"] for t in r["tags"]} == {"berth:managed-by", "berth:app-id", "berth:environment-id"}
        ),
    ),
]


@pytest.mark.parametrize("case", RENDER_CASES, ids=lambda c: c.reason)
def test_render(case: RenderCase):
    assert case.check(render(case.env)), case.reason


def test_an_internal_image_needs_a_registry():
    env = environment([web_container(imageReference={"type": "internal", "identifier": "x"})])
    with pytest.raises(RenderError, match="neither the organisation's ECR repository"):
        render(env, AwsConfig())


def test_roles_come_from_the_configuration():
    config = replace(CONFIG, execution_role_arn="arn:exec", task_role_arn="arn:task")
    request = render(environment(), config)
    assert (request["executionRoleArn"], request["taskRoleArn"]) == ("arn:exec", "arn:task")


@pytest.mark.parametrize(
    ("image", "tag", "reason"),
    [
        ("nginx:1.27", "1.27", "repository and tag"),
        ("nginx", "latest", "no tag means latest"),
        ("registry:5000/team/app", "latest", "a registry port is not a tag"),
        ("registry:5000/team/app:v2", "v2", "registry port and tag"),
        ("app@sha256:abc", "sha256:abc", "a digest stands for the tag"),
    ],
)
def test_image_tag(image, tag, reason):
    assert image_tag(image) == tag, reason


def test_the_deployed_image_tag_is_the_first_essential_containers():
    definition = {"containerDefinitions": [{"image": "a:1", "essential": False}, {"image": "b:2"}]}
    assert deployed_image_tag(definition) == "2"


# --- comparing ---------------------------------------------------------------------------


def mutate(request, change):
    changed = copy.deepcopy(request)
    change(changed)
    return changed


BASE = render(
    environment(
        [
            web_container(
                exposedPorts=[80, 443],
                environment=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                secrets=[{"name": "S1", "valueFrom": "arn:aws:ssm:x"}, {"name": "S2", "valueFrom": "arn:aws:ssm:y"}],
                mountPoints=[
                    {"sourceVolume": "data", "containerPath": "/a"},
                    {"sourceVolume": "data", "containerPath": "/b"},
                ],
                healthCheck={"command": ["true"]},
            ),
            {"name": "worker", "imageReference": {"type": "external", "identifier": "worker:1"}},
        ]
    )
)


@dataclass(frozen=True)
class CompareCase:
    reason: str
    latest: Any
    changed: tuple[str, ...]


COMPARE_CASES = [
    CompareCase("nothing registered yet", None, ("family",)),
    CompareCase("the revision AWS made from the same request", as_registered(BASE, 1), ()),
    CompareCase(
        "order of containers, variables, secrets, ports and mounts is irrelevant",
        as_registered(BASE, 1, random.Random(7)),
        (),
    ),
    CompareCase(
        "explicit defaults equal omitted ones",
        mutate(
            as_registered(BASE, 1),
            lambda r: (
                [
                    c["healthCheck"].update(startPeriod=0)
                    for c in r["containerDefinitions"]
                    if "healthCheck" in c
                ]
                and [m.update(protocol="tcp") for c in r["containerDefinitions"] for m in c["portMappings"]]
            ),
        ),
        (),
    ),
    CompareCase(
        "a changed image",
        mutate(as_registered(BASE, 1), lambda r: container(r).update(image="nginx:old")),
        ("web.image",),
    ),
    CompareCase(
        "a changed variable",
        mutate(as_registered(BASE, 1), lambda r: container(r)["environment"][0].update(value="other")),
        ("web.environment",),
    ),
    CompareCase(
        "a container more than wanted",
        mutate(
            as_registered(BASE, 1),
            lambda r: r["containerDefinitions"].append({"name": "extra", "image": "x"}),
        ),
        ("extra",),
    ),
    CompareCase(
        "a different task size",
        mutate(as_registered(BASE, 1), lambda r: r.update(cpu="512", memory="1024")),
        ("cpu", "memory"),
    ),
    CompareCase(
        "a host port other than the container port",
        mutate(as_registered(BASE, 1), lambda r: container(r)["portMappings"][0].update(hostPort=8080)),
        ("web.portMappings",),
    ),
]


# DescribeTaskDefinition's answer, as ECS gives it, for what `MOUNTED` renders: every
# field ECS adds or defaults is there, and none of it is a difference.
MOUNTED = render(
    environment(
        [
            web_container(
                mountPoints=[{"sourceVolume": "data", "containerPath": "/data"}],
                healthCheck={"command": ["CMD-SHELL", "curl -f localhost"]},
                dependsOn=[{"containerName": "init", "condition": "SUCCESS"}],
            ),
            {
                "name": "init",
                "imageReference": {"type": "external", "identifier": "busybox:1"},
                "essential": False,
                "mountPoints": [{"sourceVolume": "data", "containerPath": "/data", "readOnly": True}],
            },
        ],
        compose={"taskCpu": 256, "taskMemory": 512},
    )
)
ECS_DESCRIBED = {
    "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/acme_shop_production:7",
    "containerDefinitions": [
        {
            "name": "init",
            "image": "busybox:1",
            "cpu": 0,
            "portMappings": [],
            "essential": False,
            "environment": [],
            "mountPoints": [{"sourceVolume": "data", "containerPath": "/data", "readOnly": True}],
            "volumesFrom": [],
            "readonlyRootFilesystem": False,
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": "/berth/acme/shop/production",
                    "awslogs-region": "us-east-1",
                    "awslogs-stream-prefix": "berth",
                },
                "secretOptions": [],
            },
            "systemControls": [],
        },
        {
            "name": "web",
            "image": "nginx:1.27",
            "cpu": 0,
            "memory": 256,
            "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
            "essential": True,
            "environment": [{"name": "MODE", "value": "web"}],
            "mountPoints": [{"sourceVolume": "data", "containerPath": "/data", "readOnly": False}],
            "volumesFrom": [],
            "dependsOn": [{"containerName": "init", "condition": "SUCCESS"}],
            "readonlyRootFilesystem": False,
            "healthCheck": {
                "command": ["CMD-SHELL", "curl -f localhost"],
                "interval": 30,
                "timeout": 5,
                "retries": 3,
            },
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": "/berth/acme/shop/production",
                    "awslogs-region": "us-east-1",
                    "awslogs-stream-prefix": "berth",
                },
                "secretOptions": [],
            },
            "systemControls": [],
        },
    ],
    "family": "acme_shop_production",
    "networkMode": "awsvpc",
    "revision": 7,
    "volumes": [{"name": "data", "host": {}, "configuredAtLaunch": False}],
    "status": "ACTIVE",
    "requiresAttributes": [
        {"name": "com.amazonaws.ecs.capability.docker-remote-api.1.24"},
        {"name": "ecs.capability.container-health-check"},
        {"name": "ecs.capability.task-eni"},
        {"name": "ecs.capability.container-ordering"},
    ],
    "placementConstraints": [],
    "compatibilities": ["EC2", "FARGATE"],
    "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "256",
    "memory": "512",
    "registeredAt": "2026-01-01T00:00:00.000Z",
    "registeredBy": "arn:aws:sts::123456789012:assumed-role/berth/controller",
    "tags": [],
}

ECS_CASES = [
    CompareCase("ECS's answer for the same request", ECS_DESCRIBED, ()),
    CompareCase(
        "a volume ECS reports with its defaults spelled out",
        mutate(ECS_DESCRIBED, lambda r: r["volumes"][0].update(host={"sourcePath": None})),
        (),
    ),
    CompareCase(
        "port mappings with the defaults ECS may leave out or fill in",
        mutate(
            ECS_DESCRIBED,
            lambda r: container(r)["portMappings"][0].update(protocol=None, name="web-80-tcp"),
        ),
        (),
    ),
    CompareCase(
        "a health check with ECS's default start period spelled out",
        mutate(ECS_DESCRIBED, lambda r: container(r)["healthCheck"].update(startPeriod=0)),
        (),
    ),
    CompareCase(
        "a health check ECS reports without its default interval, timeout and retries",
        mutate(
            ECS_DESCRIBED,
            lambda r: [container(r)["healthCheck"].pop(key) for key in ("interval", "timeout", "retries")],
        ),
        (),
    ),
    CompareCase(
        "a volume of another name is still a difference",
        mutate(ECS_DESCRIBED, lambda r: r["volumes"][0].update(name="other")),
        ("volumes",),
    ),
    CompareCase(
        "a mount point made read-only is still a difference",
        mutate(ECS_DESCRIBED, lambda r: container(r)["mountPoints"][0].update(readOnly=True)),
        ("web.mountPoints",),
    ),
]


@pytest.mark.parametrize("case", ECS_CASES, ids=lambda c: c.reason)
def test_compare_with_what_ecs_describes(case: CompareCase):
    assert differences(MOUNTED, case.latest) == case.changed, case.reason


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """`containerDefinitions[].portMappings[].protocol`, … for every key in a nested value."""
    if isinstance(value, dict):
        return {p for k, v in value.items() for p in {f"{prefix}{k}"} | key_paths(v, f"{prefix}{k}.")}
    if isinstance(value, list):
        return {p for item in value for p in key_paths(item, f"{prefix[:-1]}[].")} if prefix else set()
    return set()


@pytest.mark.parametrize("request_", [BASE, MOUNTED], ids=["base", "mounted"])
def test_normalising_keeps_every_key_berth_renders(request_):
    """The allow-lists in `normalise` know every key `render_task_definition` writes
    (tags aside), so no change berth makes can go unnoticed."""
    rendered = {p for p in key_paths(dict(request_)) if not p.startswith("tags")}
    assert rendered - key_paths(normalise(request_)) == set()


@pytest.mark.parametrize("case", COMPARE_CASES, ids=lambda c: c.reason)
def test_compare(case: CompareCase):
    assert differences(BASE, case.latest) == case.changed, case.reason
    plan = plan_task_definition(BASE, case.latest)
    assert (plan is None) == (case.changed == ()), case.reason


# --- properties --------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(env=environments())
def test_render_is_deterministic(env):
    again = replace(env, spec=env.spec.model_validate(env.spec.to_wire()))
    assert render(env) == render(again)


@settings(max_examples=150, deadline=None)
@given(env=environments(), previous=st.none() | environments(), seed=st.integers(0, 2**16))
def test_registering_the_plan_leaves_nothing_to_plan(env, previous, seed):
    latest = as_registered(render(previous), 3, random.Random(seed)) if previous else None
    plan = plan_task_definition(render(env), latest)
    if plan is None:
        return
    registered = as_registered(dict(plan.request), 4, random.Random(seed))
    assert plan_task_definition(render(env), registered) is None


def _other(value, first, second):
    return first if value != first else second


def _set(container, key, value) -> bool:
    container[key] = value
    return True


def _free_port(container) -> int:
    return next(p for p in range(1, 10) if p not in (container.get("exposedPorts") or ()))


# Each changes one field of a container (a wire dict) and says whether it could.
MUTATIONS = {
    "image": lambda c, _: _set(c["imageReference"], "identifier", c["imageReference"]["identifier"] + "x"),
    "imageType": lambda c, _: _set(
        c["imageReference"], "type", _other(c["imageReference"]["type"], "internal", "external")
    ),
    "cpu": lambda c, _: _set(c, "cpu", (c.get("cpu") or 0) + 1),
    "memory": lambda c, _: (
        c.get("memoryReservation", 0) <= 300 and _set(c, "memory", _other(c.get("memory"), 300, 301))
    ),
    "memoryReservation": lambda c, _: _set(c, "memoryReservation", _other(c.get("memoryReservation"), 5, 6)),
    "exposedPorts": lambda c, _: _set(c, "exposedPorts", [*(c.get("exposedPorts") or []), _free_port(c)]),
    "environment": lambda c, _: _set(
        c, "environment", [*(c.get("environment") or []), {"name": "NEW_VARIABLE", "value": "1"}]
    ),
    "secrets": lambda c, _: _set(
        c, "secrets", [*(c.get("secrets") or []), {"name": "NEW_SECRET", "valueFrom": "arn:new"}]
    ),
    "healthCheck": lambda c, _: _set(
        c,
        "healthCheck",
        {**c["healthCheck"], "interval": _other(c["healthCheck"].get("interval"), 5, 6)}
        if c.get("healthCheck")
        else {"command": ["CMD", "probe"]},
    ),
    "command": lambda c, _: _set(c, "command", [*(c.get("command") or []), "more"]),
    "entryPoint": lambda c, _: _set(c, "entryPoint", [*(c.get("entryPoint") or []), "more"]),
    "workingDirectory": lambda c, _: _set(
        c, "workingDirectory", (c.get("workingDirectory") or "") + "/elsewhere"
    ),
    "user": lambda c, _: _set(c, "user", (c.get("user") or "") + "9"),
    "readonlyRootFilesystem": lambda c, _: _set(
        c, "readonlyRootFilesystem", not c.get("readonlyRootFilesystem", False)
    ),
    "mountPoints": lambda c, _: _set(
        c,
        "mountPoints",
        [*(c.get("mountPoints") or []), {"sourceVolume": "data", "containerPath": "/mutated"}],
    ),
    "dependsOn": lambda c, _: (
        bool(c.get("dependsOn"))
        and _set(c, "dependsOn", [{**d, "condition": "COMPLETE"} for d in c["dependsOn"]])
    ),
    "essential": lambda c, all_: (
        any(o.get("essential", True) for o in all_ if o is not c)
        and _set(c, "essential", not c.get("essential", True))
    ),
    "name": lambda c, all_: (
        not any(d["containerName"] == c["name"] for o in all_ for d in o.get("dependsOn", ()))
        and _set(c, "name", c["name"] + "2")
    ),
}


@settings(max_examples=300, deadline=None)
@given(env=environments(), field=st.sampled_from(sorted(MUTATIONS)), index=st.integers(0, 2))
def test_a_change_to_any_container_field_is_a_difference(env, field, index):
    """Every container field that reaches the task definition (origin protection is the
    CDN's concern and does not) makes a difference, so the change gets a new revision."""
    wire = env.spec.to_wire()
    containers = wire["compose"]["containers"]
    assume(MUTATIONS[field](containers[index % len(containers)], containers))
    changed = replace(env, spec=env.spec.model_validate(wire))
    assert differences(render(changed), as_registered(render(env), 1)) != ()
