"""The workload's pure decisions: what it waits for, how many tasks, restarts, secrets, tags, logs."""

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcilers.aws.app_secrets import AppSecretsStore, StoreReference, store_value_from, unresolved
from reconcilers.aws.desired_count import desired_count, restart_due, restarts_applied
from reconcilers.aws.log_group import LogGroupAction, ObservedLogGroup, plan_log_group
from reconcilers.aws.task_definition import internal_image_tag
from reconcilers.aws.workload_inputs import Dependencies, FilesystemMount, Waiting, read_dependencies
from schemas.desired import EnvironmentSpec

COMPOSE = {"containers": [{"name": "web", "imageReference": {"type": "external", "identifier": "nginx"}}]}
NETWORK = {"ready": True, "securityGroupIds": ["sg-b", "sg-a"], "serviceRegistryArn": "arn:registry"}
DATABASE = {
    "ready": True,
    "injectedSecrets": [
        {"name": "DB_PORT", "valueFrom": "arn:db:port::"},
        {"name": "DB_HOST", "valueFrom": "arn:db:host::"},
    ],
}
FILESYSTEM = {"ready": True, "filesystemId": "fs-1", "accessPointId": "fsap-1", "mountPath": "/mnt/data"}


def spec(**fields: Any) -> EnvironmentSpec:
    return EnvironmentSpec.model_validate({"compose": COMPOSE, **fields})


@dataclass(frozen=True)
class DependencyCase:
    reason: str
    spec: EnvironmentSpec
    outputs: tuple[Any, Any, Any]  # environment-network, rds-database, efs-filesystem
    want: Any


DEPENDENCY_CASES = [
    DependencyCase(
        "no environment network yet",
        spec(),
        (None, None, None),
        Waiting(("environment-network (no outputs yet)",)),
    ),
    DependencyCase(
        "environment network written but not ready",
        spec(),
        ({**NETWORK, "ready": False}, None, None),
        Waiting(("environment-network (not ready)",)),
    ),
    DependencyCase(
        "ready but without security groups is not usable",
        spec(),
        ({**NETWORK, "securityGroupIds": []}, None, None),
        Waiting(("environment-network (its outputs lack securityGroupIds)",)),
    ),
    DependencyCase(
        "network ready, nothing else asked for: its groups (sorted) and registry",
        spec(),
        (NETWORK, None, None),
        Dependencies(("sg-a", "sg-b"), "arn:registry"),
    ),
    DependencyCase(
        "a database asked for and not there: waits, naming every missing dependency",
        spec(database={}, filesystem={"required": True}),
        (None, None, {**FILESYSTEM, "ready": False}),
        Waiting(
            (
                "environment-network (no outputs yet)",
                "rds-database (no outputs yet)",
                "efs-filesystem (not ready)",
            )
        ),
    ),
    DependencyCase(
        "database outputs without injected secrets are not usable",
        spec(database={}),
        (NETWORK, {"ready": True}, None),
        Waiting(("rds-database (its outputs lack injectedSecrets)",)),
    ),
    DependencyCase(
        "database and file system ready: secrets sorted by name, the mount",
        spec(database={}, filesystem={"required": True, "mountPath": "/srv/files"}),
        (NETWORK, DATABASE, {**FILESYSTEM, "mountPath": "/srv/files"}),
        Dependencies(
            ("sg-a", "sg-b"),
            "arn:registry",
            (("DB_HOST", "arn:db:host::"), ("DB_PORT", "arn:db:port::")),
            FilesystemMount("fs-1", "fsap-1", "/srv/files"),
        ),
    ),
    DependencyCase(
        "outputs of kinds the spec does not ask for are ignored",
        spec(filesystem={"required": False}),
        ({**NETWORK, "serviceRegistryArn": None}, DATABASE, FILESYSTEM),
        Dependencies(("sg-a", "sg-b")),
    ),
]


@pytest.mark.parametrize("case", DEPENDENCY_CASES, ids=lambda c: c.reason)
def test_read_dependencies(case: DependencyCase):
    assert read_dependencies(case.spec, *case.outputs) == case.want, case.reason


@pytest.mark.parametrize(
    ("fields", "observed", "want", "reason"),
    [
        ({"state": "stopped", "minCapacity": 2, "maxCapacity": 4}, 3, 0, "stopped runs nothing"),
        ({"state": "stopped"}, None, 0, "stopped at creation too"),
        ({"minCapacity": 2, "maxCapacity": 4}, None, 2, "created at the minimum"),
        ({"minCapacity": 2, "maxCapacity": 4}, 3, 3, "within the range: the autoscaler's, left alone"),
        ({"minCapacity": 2, "maxCapacity": 4}, 9, 4, "above the range: clamped to the maximum"),
        ({"minCapacity": 2, "maxCapacity": 4}, 0, 2, "below (a stop just lifted): the minimum"),
        ({"minCapacity": 0, "maxCapacity": 0}, 1, 0, "a range of nothing"),
    ],
)
def test_desired_count(fields, observed, want, reason):
    assert desired_count(spec(**fields), observed) == want, reason


@given(
    low=st.integers(0, 20),
    span=st.integers(0, 20),
    observed=st.none() | st.integers(0, 100),
    stopped=st.booleans(),
)
def test_desired_count_is_in_range_and_stable(low, span, observed, stopped):
    """Always within [min, max] (0 when stopped), and applying it changes nothing more."""
    s = spec(minCapacity=low, maxCapacity=low + span, state="stopped" if stopped else "running")
    count = desired_count(s, observed)
    assert count == 0 if stopped else low <= count <= low + span
    assert desired_count(s, count) == count


@pytest.mark.parametrize(
    ("restarts", "recorded", "exists", "want", "reason"),
    [
        (0, None, True, False, "never restarted"),
        (3, None, True, False, "nothing recorded (new, or converged before restarts): nothing pending"),
        (3, 2, True, True, "the counter moved past what was acted on"),
        (3, 3, True, False, "already acted on"),
        (3, 2, False, False, "a service about to be created starts fresh"),
        (3, True, True, False, "a stray boolean is not a count"),
    ],
)
def test_restart_due(restarts, recorded, exists, want, reason):
    s = spec(restarts=restarts)
    assert restart_due(s, restarts_applied(s, recorded), exists) is want, reason


STORE = "berth/acme/shop/production/app-secrets"
REFERENCE = StoreReference("web", "API_KEY", "api-key")


@pytest.mark.parametrize(
    ("references", "store", "want", "reason"),
    [
        ((), None, (), "no references, no store needed"),
        ((REFERENCE,), None, (f"the app-secrets store {STORE} does not exist",), "no store"),
        (
            (REFERENCE,),
            AppSecretsStore("arn:s", frozenset(), is_object=False),
            (f"the app-secrets store {STORE} does not hold a JSON object",),
            "not a JSON object",
        ),
        (
            (REFERENCE, StoreReference("worker", "TOKEN", "token")),
            AppSecretsStore("arn:s", frozenset({"token"})),
            (f"container 'web': secret API_KEY refers to key 'api-key', which {STORE} lacks",),
            "a missing key names the container, the variable and the key",
        ),
        ((REFERENCE,), AppSecretsStore("arn:s", frozenset({"api-key"})), (), "every key found"),
    ],
)
def test_unresolved_secrets(references, store, want, reason):
    assert unresolved(references, store, STORE) == want, reason


def test_a_store_key_becomes_ecs_json_key_reference():
    assert store_value_from("arn:aws:secretsmanager:r:1:secret:x-AbC123", "K") == (
        "arn:aws:secretsmanager:r:1:secret:x-AbC123:K::"
    )


@pytest.mark.parametrize(
    ("identifier", "fields", "want", "reason"),
    [
        ("build-42", {}, "build-42", "the identifier is the tag"),
        ("build-42", {"imageTag": "v7"}, "v7", "PUT …/state imageTag wins"),
        ("build-42", {"imageSuffix": "arm"}, "build-42-arm", "the suffix is appended"),
        ("build-42", {"imageTag": "v7", "imageSuffix": "arm"}, "v7-arm", "to the state's tag too"),
        ("sha256:abc", {"imageSuffix": "arm"}, "sha256:abc", "a digest stays a digest"),
    ],
)
def test_internal_image_tag(identifier, fields, want, reason):
    assert internal_image_tag(identifier, spec(**fields)) == want, reason


@pytest.mark.parametrize(
    ("observed", "want", "reason"),
    [
        (None, (LogGroupAction.CREATE, LogGroupAction.SET_RETENTION), "missing: made, then retention set"),
        (ObservedLogGroup("g", None), (LogGroupAction.SET_RETENTION,), "kept forever: retention set"),
        (ObservedLogGroup("g", 7), (LogGroupAction.SET_RETENTION,), "another retention: put back"),
        (ObservedLogGroup("g", 30), (), "as wanted"),
    ],
)
def test_plan_log_group(observed, want, reason):
    assert plan_log_group(observed) == want, reason
