"""Carrying out a file system plan's actions on EFS and EC2, each safe to replay.

- CreateFileSystem sends the environment's creation token: a replay after a lost
  answer gets `FileSystemAlreadyExists`, which counts as done.
- CreateAccessPoint sends a client token derived from the environment, the access
  point's settings and the access point it replaces.
- CreateMountTarget takes no token; a second one in the subnet's zone is refused
  with `MountTargetConflict`, which counts as done (the next observation shows it).
- Deletes of what is already gone count as done.

`apply_action` returns the event to record (reason, message), or None.
"""

from typing import Any
from uuid import NAMESPACE_URL, uuid5

from reconcilers.aws.calls import call, call_unless_absent
from reconcilers.aws.filesystem.observe import GROUP_GONE
from reconcilers.aws.filesystem.plan import (
    NFS_PORT,
    PERFORMANCE_MODE,
    POSIX_GID,
    POSIX_UID,
    ROOT_PERMISSIONS,
    THROUGHPUT_MODE,
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
    FilesystemAction,
    RevokeIngress,
    SetMountTargetGroups,
)
from reconcilers.aws.security_group_rules import permissions_of

ACCESS_POINT_TOKEN_NAMESPACE = uuid5(NAMESPACE_URL, "berth:efs:CreateAccessPoint")
GROUP_DESCRIPTION = "berth: NFS to the file system of {name}"
ALREADY_THERE = ("FileSystemAlreadyExists", "AccessPointAlreadyExists", "MountTargetConflict")
RULE_ALREADY_THERE = ("InvalidPermission.Duplicate",)
# A revoked rule already gone, or naming a group already deleted (a teardown beside this one).
RULE_GONE = ("InvalidPermission.NotFound", "InvalidGroup.NotFound")
ACCESS_POINT_GONE = ("AccessPointNotFound",)
MOUNT_TARGET_GONE = ("MountTargetNotFound",)
FILE_SYSTEM_GONE = ("FileSystemNotFound",)

FILE_SYSTEM_CREATED = "created EFS file system {id} (encrypted, {throughput} throughput)"
ACCESS_POINT_CREATED = "created access point {id} at {path} (uid {uid}, gid {gid})"
MOUNT_TARGET_CREATED = "created mount target {id} in subnet {subnet}"
GROUP_CREATED = "created NFS security group {id}"
INGRESS_SET = "security group {id}: NFS ({port}) allowed from {sources}"
INGRESS_REVOKED = "security group {id}: revoked {rules}"
MOUNT_TARGET_GROUPS = "mount target {id}: security groups set to {groups}"
ACCESS_POINT_DELETED = "deleted access point {id}"
MOUNT_TARGET_DELETED = "deleting mount target {id}"
FILE_SYSTEM_DELETED = "deleting EFS file system {id}; its data goes with it"
GROUP_DELETED = "deleted NFS security group {id}"


def access_point_token(environment_id: str, file_system_id: str, path: str, replaces: str) -> str:
    """36 characters (EFS allows 64). The same request replayed sends the same token; an
    access point made in place of a deleted one, or on a new file system of the same
    environment, gets another (EFS would answer with the old one, or refuse the token)."""
    text = f"{environment_id}\n{file_system_id}\n{path}\n{POSIX_UID}:{POSIX_GID}\n{replaces}"
    return str(uuid5(ACCESS_POINT_TOKEN_NAMESPACE, text))


def efs_tags(tags: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags]


def _describe_rules(rules: tuple) -> str:
    return ", ".join(
        f"{r.protocol} {r.from_port if r.from_port is not None else 'all'} from {r.source}" for r in rules
    )


async def apply_action(
    efs: Any, ec2: Any, desired: DesiredFilesystem | None, action: FilesystemAction
) -> tuple[str, str] | None:
    """`desired` may be None only for deletes (teardown)."""
    match action:
        case CreateSecurityGroup(vpc_id=vpc_id, name=name):
            answer = await call(
                ec2.create_security_group,
                GroupName=name,
                Description=GROUP_DESCRIPTION.format(name=desired.name),
                VpcId=vpc_id,
                TagSpecifications=[{"ResourceType": "security-group", "Tags": efs_tags(desired.tags)}],
            )
            return "SecurityGroupCreated", GROUP_CREATED.format(id=answer["GroupId"])
        case AuthorizeIngress(group_id=group_id, rules=rules):
            await call_unless_absent(
                ec2.authorize_security_group_ingress,
                absent=RULE_ALREADY_THERE,
                GroupId=group_id,
                IpPermissions=permissions_of(rules),
            )
            sources = ", ".join(r.source for r in rules)
            return "IngressAuthorized", INGRESS_SET.format(id=group_id, port=NFS_PORT, sources=sources)
        case RevokeIngress(group_id=group_id, rules=rules):
            await call_unless_absent(
                ec2.revoke_security_group_ingress,
                absent=RULE_GONE,
                GroupId=group_id,
                IpPermissions=permissions_of(rules),
            )
            return "IngressRevoked", INGRESS_REVOKED.format(id=group_id, rules=_describe_rules(rules))
        case CreateFileSystem(creation_token=token):
            answer = await call_unless_absent(
                efs.create_file_system,
                absent=ALREADY_THERE,
                CreationToken=token,
                PerformanceMode=PERFORMANCE_MODE,
                ThroughputMode=THROUGHPUT_MODE,
                Encrypted=True,
                Backup=False,
                Tags=efs_tags(desired.tags),
            )
            if answer is None:
                return None
            message = FILE_SYSTEM_CREATED.format(id=answer["FileSystemId"], throughput=THROUGHPUT_MODE)
            return "FileSystemCreated", message
        case CreateAccessPoint(file_system_id=fs_id, path=path, replaces=replaces):
            answer = await call_unless_absent(
                efs.create_access_point,
                absent=ALREADY_THERE,
                ClientToken=access_point_token(desired.environment_id, fs_id, path, replaces),
                FileSystemId=fs_id,
                PosixUser={"Uid": POSIX_UID, "Gid": POSIX_GID},
                RootDirectory={
                    "Path": path,
                    "CreationInfo": {
                        "OwnerUid": POSIX_UID,
                        "OwnerGid": POSIX_GID,
                        "Permissions": ROOT_PERMISSIONS,
                    },
                },
                Tags=efs_tags(desired.tags),
            )
            if answer is None:
                return None
            message = ACCESS_POINT_CREATED.format(
                id=answer["AccessPointId"], path=path, uid=POSIX_UID, gid=POSIX_GID
            )
            return "AccessPointCreated", message
        case CreateMountTarget(file_system_id=fs_id, subnet_id=subnet, security_group_id=group):
            answer = await call_unless_absent(
                efs.create_mount_target,
                absent=ALREADY_THERE,
                FileSystemId=fs_id,
                SubnetId=subnet,
                SecurityGroups=[group],
            )
            if answer is None:
                return None
            message = MOUNT_TARGET_CREATED.format(id=answer["MountTargetId"], subnet=subnet)
            return "MountTargetCreated", message
        case SetMountTargetGroups(mount_target_id=target, security_group_ids=groups):
            await call(
                efs.modify_mount_target_security_groups, MountTargetId=target, SecurityGroups=list(groups)
            )
            message = MOUNT_TARGET_GROUPS.format(id=target, groups=", ".join(groups))
            return "MountTargetSecurityGroupsSet", message
        case DeleteAccessPoint(access_point_id=ap):
            await call_unless_absent(efs.delete_access_point, absent=ACCESS_POINT_GONE, AccessPointId=ap)
            return "AccessPointDeleted", ACCESS_POINT_DELETED.format(id=ap)
        case DeleteMountTarget(mount_target_id=target):
            await call_unless_absent(efs.delete_mount_target, absent=MOUNT_TARGET_GONE, MountTargetId=target)
            return "MountTargetDeleted", MOUNT_TARGET_DELETED.format(id=target)
        case DeleteFileSystem(file_system_id=fs_id):
            await call_unless_absent(efs.delete_file_system, absent=FILE_SYSTEM_GONE, FileSystemId=fs_id)
            return "FileSystemDeleted", FILE_SYSTEM_DELETED.format(id=fs_id)
        case DeleteSecurityGroup(group_id=group_id):
            await call_unless_absent(ec2.delete_security_group, absent=GROUP_GONE, GroupId=group_id)
            return "SecurityGroupDeleted", GROUP_DELETED.format(id=group_id)
    raise AssertionError(f"unknown action {action!r}")
