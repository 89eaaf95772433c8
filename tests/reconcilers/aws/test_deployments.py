"""Following ECS deployments to their final status (pure), and holding a failed revision."""

from dataclasses import dataclass

import pytest

from reconcilers.aws.deployments import (
    FollowedDeployment,
    followed_by,
    newly_failed,
    revision,
    track_deployments,
)
from reconcilers.aws.ecs_environment import held_rollout
from reconcilers.aws.environment_status import FailedRollout
from reconcilers.aws.service import ObservedDeployment

TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/acme_shop_production:{}"
TAGS = {TD.format(n): f"v{n}" for n in range(1, 5)}


def seen(id: str, rev: int, state: str, status: str = "PRIMARY", reason: str = "") -> ObservedDeployment:
    return ObservedDeployment(
        id=id,
        status=status,
        task_definition_arn=TD.format(rev),
        rollout_state=state,
        rollout_state_reason=reason,
    )


def known(id: str, rev: int, status: str, reason: str = "") -> FollowedDeployment:
    return FollowedDeployment(id, TD.format(rev), f"v{rev}", status, reason)


@dataclass(frozen=True)
class Case:
    reason: str
    observed: list[ObservedDeployment]
    followed: list[FollowedDeployment]
    recorded: dict[str, str]  # id → status written this pass
    still_followed: list[str]


CASES = [
    Case("a new PRIMARY is recorded", [seen("d1", 1, "IN_PROGRESS")], [], {"d1": "IN_PROGRESS"}, ["d1"]),
    Case(
        "nothing changed: nothing written",
        [seen("d1", 1, "IN_PROGRESS")],
        [known("d1", 1, "IN_PROGRESS")],
        {},
        ["d1"],
    ),
    Case(
        "the PRIMARY completes",
        [seen("d1", 1, "COMPLETED")],
        [known("d1", 1, "IN_PROGRESS")],
        {"d1": "COMPLETED"},
        ["d1"],
    ),
    Case(
        "a completed deployment replaced by a newer one keeps its record",
        [seen("d2", 2, "COMPLETED")],
        [known("d1", 1, "COMPLETED"), known("d2", 2, "IN_PROGRESS")],
        {"d2": "COMPLETED"},
        ["d2"],
    ),
    Case(
        "the breaker fails the rollout and ECS rolls back: the failed one is recorded from its ACTIVE entry",
        [seen("d3", 1, "IN_PROGRESS"), seen("d2", 2, "FAILED", "ACTIVE")],
        [known("d1", 1, "COMPLETED"), known("d2", 2, "IN_PROGRESS")],
        {"d3": "IN_PROGRESS", "d2": "FAILED"},
        ["d3", "d2"],
    ),
    Case(
        "the failed deployment leaves once the rollback runs an older revision: ROLLED_BACK",
        [seen("d3", 1, "COMPLETED")],
        [known("d3", 1, "IN_PROGRESS"), known("d2", 2, "FAILED")],
        {"d3": "COMPLETED", "d2": "ROLLED_BACK"},
        ["d3"],
    ),
    Case(
        "failure and rollback both happened between two passes: still ROLLED_BACK",
        [seen("d3", 1, "COMPLETED")],
        [known("d1", 1, "COMPLETED"), known("d2", 2, "IN_PROGRESS")],
        {"d3": "COMPLETED", "d2": "ROLLED_BACK"},
        ["d3"],
    ),
    Case(
        "replaced by a newer revision while rolling out: SUPERSEDED",
        [seen("d3", 3, "IN_PROGRESS"), seen("d2", 2, "IN_PROGRESS", "ACTIVE")],
        [known("d2", 2, "IN_PROGRESS")],
        {"d3": "IN_PROGRESS"},
        ["d3", "d2"],
    ),
    Case(
        "the superseded one leaves the list",
        [seen("d3", 3, "COMPLETED")],
        [known("d3", 3, "IN_PROGRESS"), known("d2", 2, "IN_PROGRESS")],
        {"d3": "COMPLETED", "d2": "SUPERSEDED"},
        ["d3"],
    ),
    Case(
        "a failure without rollback, replaced by a newer revision, stays FAILED",
        [seen("d3", 3, "IN_PROGRESS")],
        [known("d2", 2, "FAILED")],
        {"d3": "IN_PROGRESS"},
        ["d3"],
    ),
    Case(
        "with no PRIMARY to judge by, a departed deployment stays followed",
        [],
        [known("d2", 2, "IN_PROGRESS")],
        {},
        ["d2"],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.reason)
def test_tracking(case: Case):
    tracking = track_deployments(case.observed, case.followed, TAGS)
    assert {f.deployment_id: f.status for f in tracking.changed} == case.recorded, case.reason
    assert [f.deployment_id for f in tracking.followed] == case.still_followed, case.reason


def test_records_carry_the_image_tag_and_a_reason():
    tracking = track_deployments(
        [seen("d3", 1, "COMPLETED")], [known("d3", 1, "IN_PROGRESS"), known("d2", 2, "FAILED")], TAGS
    )
    rolled_back = next(f for f in tracking.changed if f.deployment_id == "d2")
    record = rolled_back.record()
    assert (record.image_tag, record.status) == ("v2", "ROLLED_BACK")
    assert TD.format(1) in record.reason
    assert newly_failed(tracking) == frozenset()  # FAILED → ROLLED_BACK is the same failure


def test_a_failure_is_new_once():
    first = track_deployments(
        [seen("d3", 1, "IN_PROGRESS"), seen("d2", 2, "FAILED", "ACTIVE")],
        [known("d2", 2, "IN_PROGRESS")],
        TAGS,
    )
    assert newly_failed(first) == {TD.format(2)}
    again = track_deployments(
        [seen("d3", 1, "IN_PROGRESS"), seen("d2", 2, "FAILED", "ACTIVE")], first.followed, TAGS
    )
    assert newly_failed(again) == frozenset()


def test_two_trackings_of_one_pass_combine():
    before = track_deployments([seen("d1", 1, "COMPLETED")], [known("d1", 1, "IN_PROGRESS")], TAGS)
    after = track_deployments(
        [seen("d2", 2, "IN_PROGRESS"), seen("d1", 1, "COMPLETED", "ACTIVE")], before.followed, TAGS
    )
    both = followed_by(before, after)
    assert {f.deployment_id: f.status for f in both.changed} == {"d1": "COMPLETED", "d2": "IN_PROGRESS"}
    assert both.previous_status == {"d1": "IN_PROGRESS", "d2": ""}
    assert [f.deployment_id for f in both.followed] == ["d2", "d1"]


def test_followed_deployments_survive_the_outputs():
    deployment = known("d1", 1, "IN_PROGRESS", "in progress")
    assert FollowedDeployment.from_output(deployment.to_output()) == deployment


@pytest.mark.parametrize(
    ("arn", "number"),
    [(TD.format(7), 7), ("acme:12", 12), ("no-revision", 0)],
)
def test_revision(arn, number):
    assert revision(arn) == number


@dataclass(frozen=True)
class HoldCase:
    reason: str
    previous: FailedRollout | None
    failed: frozenset[str]
    desired: str
    generation: int
    want: FailedRollout | None


HOLD_CASES = [
    HoldCase("no failure: nothing held", None, frozenset(), TD.format(2), 2, None),
    HoldCase(
        "the desired revision just failed: hold it",
        None,
        frozenset({TD.format(2)}),
        TD.format(2),
        2,
        FailedRollout(TD.format(2), 2),
    ),
    HoldCase(
        "another revision failed: not ours to hold", None, frozenset({TD.format(1)}), TD.format(2), 2, None
    ),
    HoldCase(
        "still the generation it failed at: keep holding",
        FailedRollout(TD.format(2), 2),
        frozenset(),
        TD.format(2),
        2,
        FailedRollout(TD.format(2), 2),
    ),
    HoldCase(
        "the generation moved on: retry", FailedRollout(TD.format(2), 2), frozenset(), TD.format(2), 3, None
    ),
    HoldCase(
        "a new revision is wanted: release",
        FailedRollout(TD.format(2), 2),
        frozenset(),
        TD.format(3),
        3,
        None,
    ),
]


@pytest.mark.parametrize("case", HOLD_CASES, ids=lambda c: c.reason)
def test_held_rollout(case: HoldCase):
    assert held_rollout(case.previous, case.failed, case.desired, case.generation) == case.want, case.reason


def test_a_rolled_back_record_keeps_why_it_failed():
    breaker = "ECS deployment circuit breaker: tasks failed to start."
    tracking = track_deployments(
        [seen("d3", 1, "COMPLETED")],
        [known("d3", 1, "IN_PROGRESS"), known("d2", 2, "FAILED", breaker)],
        TAGS,
    )
    record = next(f for f in tracking.changed if f.deployment_id == "d2").record()
    assert record.status == "ROLLED_BACK"
    assert record.reason == f"{breaker} The deployment circuit breaker rolled the service back to {TD.format(1)}"


def test_a_newer_spec_supersedes_an_in_flight_rollout():
    """d2 was rolling out revision 2 when revision 3 was pushed: d2 leaves, never finished."""
    tracking = track_deployments(
        [seen("d4", 3, "IN_PROGRESS")],
        [known("d2", 2, "IN_PROGRESS")],
        {**TAGS, TD.format(3): "v3"},
    )
    superseded = next(f for f in tracking.changed if f.deployment_id == "d2")
    assert superseded.status == "SUPERSEDED"
    assert "d4" in superseded.reason
    assert newly_failed(tracking) == frozenset()
