"""When the file system is wanted, when the workload still holds it, and the access
point's client token (pure)."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest

from reconcilers.aws.filesystem.reconciler import wants_filesystem
from reconcilers.aws.workload_release import workload_may_use
from reconcilers.aws.filesystem.apply import access_point_token
from reconcilers.ports import StatusUpdate
from schemas.status import Condition, ConditionType
from schemas.v3.applications import FilesystemRequest
from tests.reconcilers.aws.factories import environment

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BASE = replace(environment(generation=2), finalizers=("ecs-environment", "efs-filesystem"))
WITH_FS = replace(BASE, spec=BASE.spec.model_copy(update={"filesystem": FilesystemRequest()}))


def workload(generation: int, ready: bool) -> StatusUpdate:
    condition = Condition(type=ConditionType.READY, status=ready, reason="x", last_transition_time=NOW)
    return StatusUpdate(generation, [condition])


def test_wanted_only_when_required_and_not_deleting():
    assert wants_filesystem(WITH_FS)
    assert not wants_filesystem(BASE)
    assert not wants_filesystem(replace(WITH_FS, deleting=True))
    not_required = WITH_FS.spec.model_copy(update={"filesystem": FilesystemRequest(required=False)})
    assert not wants_filesystem(replace(WITH_FS, spec=not_required))


@dataclass(frozen=True)
class Case:
    reason: str
    deleting: bool
    finalizers: tuple[str, ...]
    workload: StatusUpdate | None
    holds: bool


CASES = [
    Case("deleting, the workload not yet released", True, ("ecs-environment",), workload(2, True), True),
    Case("deleting, no workload status but its finalizer", True, ("ecs-environment",), None, True),
    Case("deleting, the workload released", True, (), workload(2, True), False),
    Case("removed from the spec, workload still on the old generation", False, ("ecs-environment",),
         workload(1, True), True),
    Case("removed from the spec, workload rolling out the new one", False, ("ecs-environment",),
         workload(2, False), True),
    Case("removed from the spec, workload converged on it", False, ("ecs-environment",), workload(2, True), False),
    Case("removed from the spec, no workload ever ran", False, ("ecs-environment",), None, False),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.reason)
def test_workload_may_use(case: Case):
    env = replace(BASE, deleting=case.deleting, finalizers=case.finalizers)
    assert workload_may_use(env, case.workload) is case.holds


def test_access_point_token_changes_with_what_it_replaces_and_the_file_system():
    token = access_point_token("env", "fs-1", "/p", "")
    assert token == access_point_token("env", "fs-1", "/p", "")
    assert len(token) <= 64
    assert token != access_point_token("env", "fs-1", "/p", "fsap-1")
    assert token != access_point_token("env", "fs-2", "/p", "")
