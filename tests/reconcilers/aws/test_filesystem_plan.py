"""An environment's file system, planned (pure): table-driven cases and properties."""

from dataclasses import dataclass, replace
from itertools import count

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcilers.aws.filesystem.plan import (
    AVAILABLE,
    AuthorizeIngress,
    CreateAccessPoint,
    CreateFileSystem,
    CreateMountTarget,
    CreateSecurityGroup,
    DeleteAccessPoint,
    DeleteFileSystem,
    DeleteMountTarget,
    DeleteSecurityGroup,
    DesiredFilesystem,
    FilesystemObservation,
    ObservedAccessPoint,
    ObservedFileSystem,
    ObservedMountTarget,
    ObservedSecurityGroup,
    RevokeIngress,
    SetMountTargetGroups,
    creation_token,
    nfs_from,
    is_ready,
    plan_filesystem,
    plan_teardown,
)
from reconcilers.aws.security_group_rules import Rule, sorted_rules

ENV = "00000000-0000-4000-8000-0000000000e1"
OTHER = "00000000-0000-4000-8000-0000000000e2"
ROOT = f"/environments/{ENV}"
DESIRED = DesiredFilesystem(
    environment_id=ENV,
    name="acme_shop_production",
    tags=(("Name", "acme_shop_production"), ("berth:environment-id", ENV)),
    vpc_id="vpc-1",
    subnet_ids=("subnet-a", "subnet-b"),
    source_group_ids=("sg-members", "sg-web"),
    mount_path="/mnt/data",
)
NFS = frozenset({nfs_from("sg-members"), nfs_from("sg-web")})
FS = ObservedFileSystem("fs-1", AVAILABLE, ENV)
GROUP = ObservedSecurityGroup("sg-efs", ENV, NFS)
AP = ObservedAccessPoint("fsap-1", AVAILABLE, ENV, ROOT, 1000, 1000)
TARGETS = (
    ObservedMountTarget("fsmt-a", "subnet-a", AVAILABLE, ("sg-efs",)),
    ObservedMountTarget("fsmt-b", "subnet-b", AVAILABLE, ("sg-efs",)),
)
CONVERGED = FilesystemObservation(FS, (AP,), TARGETS, GROUP)
SSH_FROM_ANYWHERE = Rule("tcp", 22, 22, "cidr", "0.0.0.0/0")


@dataclass(frozen=True)
class Case:
    reason: str
    observed: FilesystemObservation
    want: list
    replaces: str = ""


CASES = [
    Case(
        "nothing yet: the group and the file system; the rest waits for their ids",
        FilesystemObservation(),
        [CreateSecurityGroup("vpc-1", f"berth-efs-{ENV}"), CreateFileSystem(creation_token(ENV))],
    ),
    Case(
        "a file system still creating: nothing mounts it yet",
        FilesystemObservation(replace(FS, state="creating"), security_group=GROUP),
        [],
    ),
    Case(
        "a fresh group and an available file system: rules, access point, a mount target per subnet",
        FilesystemObservation(FS, security_group=ObservedSecurityGroup("sg-efs", ENV)),
        [
            AuthorizeIngress("sg-efs", sorted_rules(NFS)),
            CreateAccessPoint("fs-1", ROOT),
            CreateMountTarget("fs-1", "subnet-a", "sg-efs"),
            CreateMountTarget("fs-1", "subnet-b", "sg-efs"),
        ],
    ),
    Case("converged: nothing to do", CONVERGED, []),
    Case(
        "the access point deleted out of band: a new one, whose token names the old",
        replace(CONVERGED, access_points=()),
        [CreateAccessPoint("fs-1", ROOT, "fsap-1")],
        replaces="fsap-1",
    ),
    Case(
        "an access point with another root: replaced, and the stray deleted",
        replace(CONVERGED, access_points=(replace(AP, path="/"),)),
        [CreateAccessPoint("fs-1", ROOT), DeleteAccessPoint("fsap-1")],
    ),
    Case(
        "a second, matching access point: the lowest id stays",
        replace(CONVERGED, access_points=(replace(AP, access_point_id="fsap-2"), AP)),
        [DeleteAccessPoint("fsap-2")],
    ),
    Case(
        "an access point already deleting is not deleted again",
        replace(CONVERGED, access_points=(AP, replace(AP, access_point_id="fsap-0", state="deleting"))),
        [],
    ),
    Case(
        "a mount target deleted out of band: made again",
        replace(CONVERGED, mount_targets=TARGETS[:1]),
        [CreateMountTarget("fs-1", "subnet-b", "sg-efs")],
    ),
    Case(
        "a mount target in a subnet the network no longer has: deleted",
        replace(CONVERGED, mount_targets=(*TARGETS, ObservedMountTarget("fsmt-c", "subnet-c", AVAILABLE, ()))),
        [DeleteMountTarget("fsmt-c")],
    ),
    Case(
        "a mount target with other security groups: set back to the NFS group",
        replace(CONVERGED, mount_targets=(TARGETS[0], replace(TARGETS[1], security_group_ids=("sg-x",)))),
        [SetMountTargetGroups("fsmt-b", ("sg-efs",))],
    ),
    Case(
        "a creating mount target's groups are not judged yet",
        replace(CONVERGED, mount_targets=(TARGETS[0], replace(TARGETS[1], state="creating", security_group_ids=()))),
        [],
    ),
    Case(
        "a rule changed out of band: the stray revoked, NFS put back",
        replace(CONVERGED, security_group=replace(GROUP, ingress=frozenset({SSH_FROM_ANYWHERE, *list(NFS)[:1]}))),
        [
            RevokeIngress("sg-efs", (SSH_FROM_ANYWHERE,)),
            AuthorizeIngress("sg-efs", sorted_rules(NFS - set(list(NFS)[:1]))),
        ],
    ),
    Case(
        "the group deleted out of band: made again; mount targets wait for its id",
        replace(CONVERGED, security_group=None),
        [CreateSecurityGroup("vpc-1", f"berth-efs-{ENV}")],
    ),
    Case(
        "a file system with our token but untagged: left alone",
        replace(CONVERGED, file_system=replace(FS, owner="")),
        [],
    ),
    Case(
        "a group with our name but another environment's tag: left alone",
        replace(CONVERGED, security_group=replace(GROUP, owner=OTHER)),
        [],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.reason)
def test_plan(case: Case):
    assert list(plan_filesystem(DESIRED, case.observed, case.replaces).actions) == case.want


def test_foreign_resources_are_named_and_never_touched():
    plan = plan_filesystem(DESIRED, replace(CONVERGED, file_system=replace(FS, owner=OTHER)))
    assert plan.actions == () and plan.foreign == ("file system fs-1",)


def test_ready_only_when_converged_and_available():
    assert is_ready(DESIRED, CONVERGED)
    assert not is_ready(DESIRED, replace(CONVERGED, access_points=(replace(AP, state="creating"),)))
    assert not is_ready(DESIRED, replace(CONVERGED, mount_targets=(TARGETS[0], replace(TARGETS[1], state="creating"))))
    assert not is_ready(DESIRED, replace(CONVERGED, file_system=replace(FS, owner="")))


TEARDOWN_CASES = [
    Case("nothing there: done", FilesystemObservation(), []),
    Case(
        "everything: access points and mount targets first",
        CONVERGED,
        [DeleteAccessPoint("fsap-1"), DeleteMountTarget("fsmt-a"), DeleteMountTarget("fsmt-b")],
    ),
    Case(
        "mount targets deleting: wait",
        replace(CONVERGED, access_points=(), mount_targets=(replace(TARGETS[0], state="deleting"),)),
        [],
    ),
    Case(
        "mount targets gone: the file system and the group",
        replace(CONVERGED, access_points=(), mount_targets=()),
        [DeleteFileSystem("fs-1"), DeleteSecurityGroup("sg-efs")],
    ),
    Case("only the group left", FilesystemObservation(security_group=GROUP), [DeleteSecurityGroup("sg-efs")]),
    Case(
        "not ours: nothing deleted",
        FilesystemObservation(replace(FS, owner=""), (AP,), TARGETS, replace(GROUP, owner=OTHER)),
        [],
    ),
]


@pytest.mark.parametrize("case", TEARDOWN_CASES, ids=lambda c: c.reason)
def test_teardown_plan(case: Case):
    assert list(plan_teardown(ENV, case.observed).actions) == case.want


def test_teardown_waits_for_mount_targets_and_a_deleting_file_system():
    deleting = replace(CONVERGED, access_points=(), mount_targets=(replace(TARGETS[0], state="deleting"),))
    assert plan_teardown(ENV, deleting).waiting and not plan_teardown(ENV, deleting).done
    gone_soon = FilesystemObservation(replace(FS, state="deleting"), security_group=GROUP)
    assert plan_teardown(ENV, gone_soon).waiting
    assert plan_teardown(ENV, replace(CONVERGED, file_system=replace(FS, owner=""), security_group=None)).done


# A simulated EFS: applying actions, then time passing (creating -> available, deleting -> gone).

_ids = count()


def _new(prefix: str) -> str:
    return f"{prefix}-new{next(_ids)}"


def simulate(observed: FilesystemObservation, actions) -> FilesystemObservation:
    fs, aps, targets, group = observed.file_system, list(observed.access_points), list(observed.mount_targets), observed.security_group
    for action in actions:
        match action:
            case CreateSecurityGroup():
                group = ObservedSecurityGroup(_new("sg"), ENV)
            case AuthorizeIngress(rules=rules):
                group = replace(group, ingress=group.ingress | set(rules))
            case RevokeIngress(rules=rules):
                group = replace(group, ingress=group.ingress - set(rules))
            case CreateFileSystem():
                fs = ObservedFileSystem(_new("fs"), "creating", ENV)
            case CreateAccessPoint(path=path):
                aps.append(ObservedAccessPoint(_new("fsap"), "creating", ENV, path, 1000, 1000))
            case DeleteAccessPoint(access_point_id=ap_id):
                aps = [replace(a, state="deleting") if a.access_point_id == ap_id else a for a in aps]
            case CreateMountTarget(subnet_id=subnet, security_group_id=g):
                targets.append(ObservedMountTarget(_new("fsmt"), subnet, "creating", ()))
                pending_groups[targets[-1].mount_target_id] = (g,)
            case SetMountTargetGroups(mount_target_id=t_id, security_group_ids=groups):
                targets = [replace(t, security_group_ids=groups) if t.mount_target_id == t_id else t for t in targets]
            case DeleteMountTarget(mount_target_id=t_id):
                targets = [replace(t, state="deleting") if t.mount_target_id == t_id else t for t in targets]
            case DeleteFileSystem():
                fs = replace(fs, state="deleting")
            case DeleteSecurityGroup():
                group = None
    return FilesystemObservation(fs, tuple(aps), tuple(targets), group)


pending_groups: dict[str, tuple[str, ...]] = {}


def time_passes(observed: FilesystemObservation) -> FilesystemObservation:
    fs = observed.file_system
    if fs is not None:
        fs = None if fs.state == "deleting" else replace(fs, state=AVAILABLE)
    aps = tuple(replace(a, state=AVAILABLE) for a in observed.access_points if a.state != "deleting")
    targets = tuple(
        replace(t, state=AVAILABLE, security_group_ids=pending_groups.get(t.mount_target_id, t.security_group_ids))
        if t.state == "creating"
        else t
        for t in observed.mount_targets
        if t.state != "deleting"
    )
    if fs is None:
        aps, targets = (), ()
    return FilesystemObservation(fs, aps, targets, observed.security_group)


states = st.sampled_from([AVAILABLE, "creating", "deleting"])
rules = st.frozensets(
    st.builds(
        Rule,
        st.sampled_from(["tcp", "udp", "-1"]),
        st.sampled_from([None, 22, 2049]),
        st.sampled_from([None, 22, 2049]),
        st.sampled_from(["group", "cidr"]),
        st.sampled_from(["sg-members", "sg-web", "sg-x", "0.0.0.0/0"]),
    ),
    max_size=4,
)
subnets = st.sampled_from(["subnet-a", "subnet-b", "subnet-c"])
observations = st.builds(
    FilesystemObservation,
    st.none() | st.builds(ObservedFileSystem, st.just("fs-1"), states, st.just(ENV)),
    st.lists(
        st.builds(
            ObservedAccessPoint,
            st.sampled_from(["fsap-1", "fsap-2", "fsap-3"]),
            states,
            st.sampled_from([ENV, OTHER, ""]),
            st.sampled_from([ROOT, "/"]),
            st.sampled_from([1000, 0]),
            st.sampled_from([1000, 0]),
        ),
        max_size=3,
        unique_by=lambda a: a.access_point_id,
    ).map(tuple),
    st.lists(
        st.builds(
            ObservedMountTarget,
            st.sampled_from(["fsmt-1", "fsmt-2", "fsmt-3"]),
            subnets,
            states,
            st.sampled_from([(), ("sg-efs",), ("sg-x",)]),
        ),
        max_size=3,
        unique_by=(lambda t: t.mount_target_id, lambda t: t.subnet_id),
    ).map(tuple),
    st.none() | st.builds(ObservedSecurityGroup, st.just("sg-efs"), st.just(ENV), rules),
)


@given(observations)
def test_applying_the_plan_converges(observed):
    if observed.file_system is None:  # mount targets and access points need their file system
        observed = replace(observed, access_points=(), mount_targets=())
    for _ in range(6):
        plan = plan_filesystem(DESIRED, observed)
        assert not plan.foreign
        observed = time_passes(simulate(observed, plan.actions))
    assert plan_filesystem(DESIRED, observed).actions == ()
    assert is_ready(DESIRED, observed)


@given(observations)
def test_applying_the_teardown_leaves_nothing(observed):
    if observed.file_system is None:
        observed = replace(observed, access_points=(), mount_targets=())
    for _ in range(6):
        plan = plan_teardown(ENV, observed)
        if plan.done:
            break
        observed = time_passes(simulate(observed, plan.actions))
    assert plan_teardown(ENV, observed).done
    assert observed.file_system is None and observed.security_group is None


@given(observations, st.sampled_from([OTHER, ""]))
def test_what_is_not_ours_is_never_acted_on(observed, owner):
    if observed.file_system is not None:
        observed = replace(observed, file_system=replace(observed.file_system, owner=owner))
    elif observed.security_group is not None:
        observed = replace(observed, security_group=replace(observed.security_group, owner=owner))
    else:
        return
    assert plan_filesystem(DESIRED, observed).actions == ()
    assert not any(
        isinstance(a, DeleteFileSystem | DeleteMountTarget | DeleteAccessPoint)
        for a in plan_teardown(ENV, observed).actions
    ) or observed.file_system is None
