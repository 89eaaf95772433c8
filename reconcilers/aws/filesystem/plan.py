"""An environment's EFS file system, planned: what to create, fix or delete next.

Pure. The environment's file system is the one whose creation token is
`berth-efs-{environment id}`; its NFS security group is the group named
`berth-efs-{environment id}` in the shared VPC; both must carry the
environment's `berth:environment-id` tag, or berth leaves them alone (`foreign`).
The plan asks only for what can be done now: mount targets and the access point
wait until the file system is `available` and the security group has an id, so
the reconciler observes again after each round.

Outputs (what the workload reads): ready, filesystemId, accessPointId,
mountPath, securityGroupId.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from reconcilers.aws.security_group_rules import GROUP, Rule, diff_rules, tcp

NFS_PORT = 2049
NAME_PREFIX = "berth-efs-"
AVAILABLE = "available"
GONE_STATES = frozenset({"deleting", "deleted"})
PERFORMANCE_MODE = "generalPurpose"
# Elastic: throughput follows demand and is paid per use. Bursting ties it to the
# size stored, which starves the small file systems most environments have.
THROUGHPUT_MODE = "elastic"
POSIX_UID = 1000
POSIX_GID = 1000
ROOT_PERMISSIONS = "0755"


def creation_token(environment_id: str) -> str:
    """EFS's idempotency key for CreateFileSystem (at most 64 characters): 46 here."""
    return f"{NAME_PREFIX}{environment_id}"


def security_group_name(environment_id: str) -> str:
    return f"{NAME_PREFIX}{environment_id}"


def root_directory(environment_id: str) -> str:
    return f"/environments/{environment_id}"


def nfs_from(group_id: str) -> Rule:
    return tcp(NFS_PORT, GROUP, group_id)


@dataclass(frozen=True, slots=True)
class DesiredFilesystem:
    environment_id: str
    name: str  # the Name tag: the workload's name
    tags: tuple[tuple[str, str], ...]  # ownership tags and Name, sorted
    vpc_id: str
    subnet_ids: tuple[str, ...]
    source_group_ids: tuple[str, ...]  # the workload's security groups: NFS comes only from them
    mount_path: str

    @property
    def creation_token(self) -> str:
        return creation_token(self.environment_id)

    @property
    def security_group_name(self) -> str:
        return security_group_name(self.environment_id)

    @property
    def root_directory(self) -> str:
        return root_directory(self.environment_id)

    @property
    def ingress(self) -> frozenset[Rule]:
        return frozenset(nfs_from(g) for g in self.source_group_ids)


@dataclass(frozen=True, slots=True)
class ObservedFileSystem:
    file_system_id: str
    state: str  # LifeCycleState: creating, available, updating, deleting, deleted, error
    owner: str  # its berth:environment-id tag, "" when untagged


@dataclass(frozen=True, slots=True)
class ObservedAccessPoint:
    access_point_id: str
    state: str
    owner: str
    path: str
    uid: int | None
    gid: int | None


@dataclass(frozen=True, slots=True)
class ObservedMountTarget:
    mount_target_id: str
    subnet_id: str
    state: str
    security_group_ids: tuple[str, ...]  # sorted; () until it is available and asked


@dataclass(frozen=True, slots=True)
class ObservedSecurityGroup:
    group_id: str
    owner: str
    ingress: frozenset[Rule] = frozenset()


@dataclass(frozen=True, slots=True)
class FilesystemObservation:
    file_system: ObservedFileSystem | None = None
    access_points: tuple[ObservedAccessPoint, ...] = ()
    mount_targets: tuple[ObservedMountTarget, ...] = ()
    security_group: ObservedSecurityGroup | None = None


@dataclass(frozen=True, slots=True)
class CreateSecurityGroup:
    vpc_id: str
    name: str


@dataclass(frozen=True, slots=True)
class AuthorizeIngress:
    group_id: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class RevokeIngress:
    group_id: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class CreateFileSystem:
    creation_token: str


@dataclass(frozen=True, slots=True)
class CreateAccessPoint:
    file_system_id: str
    path: str
    replaces: str = ""  # the access point this one takes the place of, for the client token


@dataclass(frozen=True, slots=True)
class DeleteAccessPoint:
    access_point_id: str


@dataclass(frozen=True, slots=True)
class CreateMountTarget:
    file_system_id: str
    subnet_id: str
    security_group_id: str


@dataclass(frozen=True, slots=True)
class SetMountTargetGroups:
    mount_target_id: str
    security_group_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DeleteMountTarget:
    mount_target_id: str


@dataclass(frozen=True, slots=True)
class DeleteFileSystem:
    file_system_id: str


@dataclass(frozen=True, slots=True)
class DeleteSecurityGroup:
    group_id: str


FilesystemAction = (
    CreateSecurityGroup
    | AuthorizeIngress
    | RevokeIngress
    | CreateFileSystem
    | CreateAccessPoint
    | DeleteAccessPoint
    | CreateMountTarget
    | SetMountTargetGroups
    | DeleteMountTarget
    | DeleteFileSystem
    | DeleteSecurityGroup
)


@dataclass(frozen=True, slots=True)
class FilesystemPlan:
    """`actions`: what to do now. `foreign`: what bears berth's names but another owner's
    tag (or none), so berth will not touch it; while anything is foreign nothing is done."""

    actions: tuple[FilesystemAction, ...] = ()
    foreign: tuple[str, ...] = ()


def _live(items: Iterable, attribute: str = "state") -> list:
    return [i for i in items if getattr(i, attribute) not in GONE_STATES]


def foreign_resources(desired_owner: str, observed: FilesystemObservation) -> tuple[str, ...]:
    found = []
    if observed.file_system and observed.file_system.owner != desired_owner:
        found.append(f"file system {observed.file_system.file_system_id}")
    if observed.security_group and observed.security_group.owner != desired_owner:
        found.append(f"security group {observed.security_group.group_id}")
    return tuple(found)


def access_point_matches(desired: DesiredFilesystem, ap: ObservedAccessPoint) -> bool:
    return (
        ap.owner == desired.environment_id
        and ap.path == desired.root_directory
        and (ap.uid, ap.gid) == (POSIX_UID, POSIX_GID)
    )


def _plan_security_group(desired: DesiredFilesystem, group: ObservedSecurityGroup | None) -> list:
    if group is None:
        return [CreateSecurityGroup(desired.vpc_id, desired.security_group_name)]
    actions: list[FilesystemAction] = []
    change = diff_rules(desired.ingress, group.ingress)
    if change.revoke:
        actions.append(RevokeIngress(group.group_id, change.revoke))
    if change.authorize:
        actions.append(AuthorizeIngress(group.group_id, change.authorize))
    return actions


def _plan_access_points(
    desired: DesiredFilesystem, fs_id: str, access_points: Iterable[ObservedAccessPoint], replaces: str
) -> list:
    live = _live(access_points)
    keep = chosen_access_point(desired, live)
    actions: list[FilesystemAction] = []
    if keep is None:
        actions.append(CreateAccessPoint(fs_id, desired.root_directory, replaces))
    # The file system is the environment's own: any other access point on it is a stray.
    actions.extend(DeleteAccessPoint(ap.access_point_id) for ap in live if ap is not keep)
    return actions


def _plan_mount_targets(
    desired: DesiredFilesystem, fs_id: str, targets: Iterable[ObservedMountTarget], group_id: str | None
) -> list:
    live = _live(targets)
    actions: list[FilesystemAction] = []
    covered = {t.subnet_id for t in live}
    actions.extend(
        DeleteMountTarget(t.mount_target_id) for t in live if t.subnet_id not in desired.subnet_ids
    )
    if group_id is None:
        return actions
    actions.extend(
        CreateMountTarget(fs_id, subnet, group_id) for subnet in desired.subnet_ids if subnet not in covered
    )
    actions.extend(
        SetMountTargetGroups(t.mount_target_id, (group_id,))
        for t in live
        if t.subnet_id in desired.subnet_ids and t.state == AVAILABLE and t.security_group_ids != (group_id,)
    )
    return actions


def plan_filesystem(
    desired: DesiredFilesystem, observed: FilesystemObservation, replaces_access_point: str = ""
) -> FilesystemPlan:
    """`replaces_access_point`: the access point the last status recorded; a new one made
    in its place gets a fresh client token (a reused token would name the deleted one)."""
    foreign = foreign_resources(desired.environment_id, observed)
    if foreign:
        return FilesystemPlan(foreign=foreign)
    actions: list[FilesystemAction] = _plan_security_group(desired, observed.security_group)
    fs = observed.file_system
    if fs is None or fs.state in GONE_STATES:
        if fs is None:
            actions.append(CreateFileSystem(desired.creation_token))
        return FilesystemPlan(tuple(actions))
    if fs.state != AVAILABLE:
        return FilesystemPlan(tuple(actions))
    group_id = observed.security_group.group_id if observed.security_group else None
    actions += _plan_access_points(desired, fs.file_system_id, observed.access_points, replaces_access_point)
    actions += _plan_mount_targets(desired, fs.file_system_id, observed.mount_targets, group_id)
    return FilesystemPlan(tuple(actions))


def chosen_access_point(
    desired: DesiredFilesystem, access_points: Iterable[ObservedAccessPoint]
) -> ObservedAccessPoint | None:
    """The access point the workload mounts: of the live ones that match, the lowest id."""
    matching = [ap for ap in _live(access_points) if access_point_matches(desired, ap)]
    return min(matching, key=lambda a: a.access_point_id, default=None)


def is_ready(desired: DesiredFilesystem, observed: FilesystemObservation) -> bool:
    """Nothing to do and everything available: the workload may mount it."""
    if plan_filesystem(desired, observed).actions or foreign_resources(desired.environment_id, observed):
        return False
    fs, ap = observed.file_system, chosen_access_point(desired, observed.access_points)
    targets = {t.subnet_id: t for t in _live(observed.mount_targets)}
    return (
        fs is not None
        and fs.state == AVAILABLE
        and ap is not None
        and ap.state == AVAILABLE
        and all(targets[s].state == AVAILABLE for s in desired.subnet_ids)
    )


@dataclass(frozen=True, slots=True)
class TeardownPlan:
    actions: tuple[FilesystemAction, ...] = ()
    waiting: str = ""  # what must go first before the rest can be deleted
    done: bool = False


def plan_teardown(environment_id: str, observed: FilesystemObservation) -> TeardownPlan:
    """Access points, then mount targets; the file system once they are gone, and the
    security group once no mount target's network interface holds it. What bears berth's
    names but not this environment's tag is not deleted (and not waited for)."""
    actions: list[FilesystemAction] = []
    fs = observed.file_system
    ours_fs = fs is not None and fs.owner == environment_id and fs.state not in GONE_STATES
    targets: list[ObservedMountTarget] = []
    if ours_fs:
        actions.extend(DeleteAccessPoint(ap.access_point_id) for ap in _live(observed.access_points))
        targets = list(observed.mount_targets)
        actions.extend(DeleteMountTarget(t.mount_target_id) for t in _live(targets))
        if not targets:
            actions.append(DeleteFileSystem(fs.file_system_id))
    elif fs is not None and fs.owner == environment_id:  # deleting: AWS is at it
        return TeardownPlan(waiting=f"file system {fs.file_system_id} {fs.state}")
    group = observed.security_group
    ours_group = group is not None and group.owner == environment_id
    if targets:
        return TeardownPlan(tuple(actions), waiting=f"{len(targets)} mount targets to go")
    if ours_group:
        actions.append(DeleteSecurityGroup(group.group_id))
    return TeardownPlan(tuple(actions), done=not actions)
