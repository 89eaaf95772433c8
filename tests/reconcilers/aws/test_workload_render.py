"""The task definition with the workload's inputs: secrets, injected secrets, the file
system, log configuration and images (pure)."""

import copy

import pytest

from reconcilers.aws.config import AwsConfig
from reconcilers.aws.task_definition import (
    RenderError,
    differences,
    normalise,
    plan_task_definition,
    render_task_definition,
)
from reconcilers.aws.workload_inputs import Dependencies, FilesystemMount, WorkloadInputs
from tests.reconcilers.aws.factories import environment, web_container
from tests.reconcilers.aws.test_task_definition import as_registered, container

CONFIG = AwsConfig(region="eu-west-1")
STORE_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:berth/acme/shop/production/app-secrets-Ab12Cd"
REPOSITORY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/acme"
DEPENDENCIES = Dependencies(
    security_group_ids=("sg-1",),
    injected_secrets=(("DB_HOST", "arn:db:host::"), ("DB_PASSWORD", "arn:db:password::")),
    filesystem=FilesystemMount("fs-1", "fsap-1", "/mnt/data"),
)
INPUTS = WorkloadInputs(image_repository=REPOSITORY, app_secrets_arn=STORE_ARN, dependencies=DEPENDENCIES)

TWO = environment(
    [
        web_container(
            imageReference={"type": "internal", "identifier": "build-42"},
            secrets=[
                {"name": "API_KEY", "valueFrom": "api-key"},
                {"name": "TOKEN", "valueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/token"},
                {"name": "DB_HOST", "valueFrom": "arn:own:host"},
            ],
            mountPoints=[{"sourceVolume": "scratch", "containerPath": "/tmp/scratch"}],
        ),
        {"name": "worker", "imageReference": {"type": "external", "identifier": "worker:1"}},
    ]
)


def render(env=TWO, inputs=INPUTS):
    return render_task_definition(env, CONFIG, inputs)


def test_store_keys_become_json_key_references_and_arns_pass_through():
    secrets = {s["name"]: s["valueFrom"] for s in container(render())["secrets"]}
    assert secrets["API_KEY"] == f"{STORE_ARN}:api-key::"
    assert secrets["TOKEN"] == "arn:aws:ssm:eu-west-1:123456789012:parameter/token"


def test_injected_secrets_reach_every_container_and_the_containers_own_win():
    web, worker = container(render()), container(render(), "worker")
    assert {s["name"]: s["valueFrom"] for s in web["secrets"]}["DB_HOST"] == "arn:own:host"
    assert {s["name"]: s["valueFrom"] for s in web["secrets"]}["DB_PASSWORD"] == "arn:db:password::"
    assert worker["secrets"] == [
        {"name": "DB_HOST", "valueFrom": "arn:db:host::"},
        {"name": "DB_PASSWORD", "valueFrom": "arn:db:password::"},
    ]


def test_a_store_key_without_a_store_cannot_render():
    with pytest.raises(RenderError, match="'api-key' of the app-secrets store"):
        render(inputs=WorkloadInputs(image_repository=REPOSITORY))


def test_the_file_system_is_an_efs_volume_mounted_in_every_container():
    request = render()
    assert request["volumes"] == [
        {
            "name": "berth-filesystem",
            "efsVolumeConfiguration": {
                "fileSystemId": "fs-1",
                "transitEncryption": "ENABLED",
                "authorizationConfig": {"accessPointId": "fsap-1", "iam": "DISABLED"},
            },
        },
        {"name": "scratch"},
    ]
    mount = {"sourceVolume": "berth-filesystem", "containerPath": "/mnt/data", "readOnly": False}
    assert container(request, "worker")["mountPoints"] == [mount]
    assert container(request)["mountPoints"] == [
        mount,
        {"sourceVolume": "scratch", "containerPath": "/tmp/scratch", "readOnly": False},
    ]


def test_every_container_logs_to_the_environments_group():
    for name in ("web", "worker"):
        assert container(render(), name)["logConfiguration"] == {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": "/berth/acme/shop/production",
                "awslogs-region": "eu-west-1",
                "awslogs-stream-prefix": "berth",
            },
        }


def test_an_internal_image_runs_from_the_repository_with_its_tag():
    assert container(render())["image"] == f"{REPOSITORY}:build-42"
    assert container(render(), "worker")["image"] == "worker:1"


def test_without_dependencies_nothing_is_injected_or_mounted():
    request = render(environment(), WorkloadInputs())
    assert "secrets" not in container(request)
    assert "volumes" not in request


def ecs_described(request):
    """What ECS reports: EFS defaults spelled out, an empty secretOptions on log configuration."""
    registered = as_registered(request, 3)
    for volume in registered["volumes"]:
        efs = volume.get("efsVolumeConfiguration")
        if efs:
            efs["rootDirectory"] = "/"
    for definition in registered["containerDefinitions"]:
        definition["logConfiguration"]["secretOptions"] = []
    return registered


def test_what_ecs_describes_for_the_request_is_no_difference():
    assert differences(render(), ecs_described(render())) == ()
    assert plan_task_definition(render(), ecs_described(render())) is None


@pytest.mark.parametrize(
    ("change", "want", "reason"),
    [
        (
            lambda r: r["volumes"][0]["efsVolumeConfiguration"].update(fileSystemId="fs-2"),
            ("volumes",),
            "another file system",
        ),
        (
            lambda r: r["volumes"][0]["efsVolumeConfiguration"].update(transitEncryption="DISABLED"),
            ("volumes",),
            "encryption in transit turned off",
        ),
        (
            lambda r: container(r)["logConfiguration"]["options"].update({"awslogs-group": "/other"}),
            ("web.logConfiguration",),
            "logs going elsewhere",
        ),
        (
            lambda r: container(r, "worker").pop("logConfiguration"),
            ("worker.logConfiguration",),
            "logs going nowhere",
        ),
        (
            lambda r: container(r)["secrets"].pop(),
            ("web.secrets",),
            "a secret missing",
        ),
    ],
)
def test_a_changed_input_is_a_difference(change, want, reason):
    described = ecs_described(render())
    change(described)
    assert differences(render(), described) == want, reason


def test_a_new_store_arn_is_a_new_revision():
    """The store deleted and made again has another ARN suffix: tasks must read the new one."""
    other = WorkloadInputs(REPOSITORY, STORE_ARN.replace("Ab12Cd", "Zz99Yy"), DEPENDENCIES)
    assert differences(render(inputs=other), ecs_described(render())) == ("web.secrets",)


def test_normalise_is_idempotent_with_inputs():
    once = normalise(render())
    assert normalise(copy.deepcopy(once)) == once
