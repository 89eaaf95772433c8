"""Observing an environment's EFS file system: the file system (by its creation token),
its access points and mount targets (with their security groups), and its NFS
security group. Reads only.

Per pass: DescribeFileSystems, DescribeAccessPoints, DescribeMountTargets, the available
mount targets' security groups (their network interfaces', through a describe shared
with concurrent passes, or one DescribeMountTargetSecurityGroups each), DescribeSecurityGroups.
"""

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from reconcilers.aws.batched_describes import InterfaceGroups, SecurityGroupsByName
from reconcilers.aws.calls import call, call_unless_absent
from reconcilers.aws.filesystem.plan import (
    AVAILABLE,
    FilesystemObservation,
    ObservedAccessPoint,
    ObservedFileSystem,
    ObservedMountTarget,
    ObservedSecurityGroup,
    creation_token,
    security_group_name,
)
from reconcilers.aws.naming import ENVIRONMENT_ID_KEY
from reconcilers.aws.security_group_rules import rules_of

FILE_SYSTEM_GONE = ("FileSystemNotFound",)
MOUNT_TARGET_GONE = ("MountTargetNotFound",)
GROUP_GONE = ("InvalidGroup.NotFound", "InvalidGroupId.NotFound", "InvalidGroupId.Malformed")
PAGE = 100


def tag_owner(tags: Iterable[Mapping[str, str]] | None) -> str:
    """The `berth:environment-id` among EFS/EC2 tags (`[{Key, Value}]`); "" when untagged."""
    return next((t.get("Value", "") for t in tags or () if t.get("Key") == ENVIRONMENT_ID_KEY), "")


async def observe_file_system(efs: Any, environment_id: str) -> ObservedFileSystem | None:
    answer = await call(efs.describe_file_systems, CreationToken=creation_token(environment_id))
    systems = answer.get("FileSystems") or ()
    if not systems:
        return None
    fs = systems[0]  # a creation token names at most one file system
    return ObservedFileSystem(fs["FileSystemId"], fs.get("LifeCycleState", ""), tag_owner(fs.get("Tags")))


async def observe_access_points(efs: Any, file_system_id: str) -> tuple[ObservedAccessPoint, ...]:
    answer = await call_unless_absent(
        efs.describe_access_points, absent=FILE_SYSTEM_GONE, FileSystemId=file_system_id, MaxResults=PAGE
    )
    found = []
    for ap in (answer or {}).get("AccessPoints") or ():
        posix = ap.get("PosixUser") or {}
        found.append(
            ObservedAccessPoint(
                access_point_id=ap["AccessPointId"],
                state=ap.get("LifeCycleState", ""),
                owner=tag_owner(ap.get("Tags")),
                path=(ap.get("RootDirectory") or {}).get("Path", "/"),
                uid=posix.get("Uid"),
                gid=posix.get("Gid"),
            )
        )
    return tuple(found)


async def observe_mount_targets(
    efs: Any, file_system_id: str, interfaces: InterfaceGroups | None = None
) -> tuple[ObservedMountTarget, ...]:
    """`interfaces`: when given, an available mount target's security groups are read
    from its network interface (shared with concurrent passes, many a call), and from
    DescribeMountTargetSecurityGroups only when the interface is not found."""
    answer = await call_unless_absent(
        efs.describe_mount_targets, absent=FILE_SYSTEM_GONE, FileSystemId=file_system_id, MaxItems=PAGE
    )
    targets = list((answer or {}).get("MountTargets") or ())
    groups = await asyncio.gather(*(_mount_target_groups(efs, t, interfaces) for t in targets))
    return tuple(
        ObservedMountTarget(t["MountTargetId"], t["SubnetId"], t.get("LifeCycleState", ""), g)
        for t, g in zip(targets, groups, strict=True)
    )


async def _mount_target_groups(
    efs: Any, target: Mapping[str, Any], interfaces: InterfaceGroups | None
) -> tuple[str, ...]:
    if target.get("LifeCycleState", "") != AVAILABLE:  # AWS answers for available mount targets only
        return ()
    interface = target.get("NetworkInterfaceId")
    if interfaces is not None and interface:
        found = await interfaces.describe(interface)
        if found is not None:
            return found
    described = await call_unless_absent(
        efs.describe_mount_target_security_groups, absent=MOUNT_TARGET_GONE, MountTargetId=target["MountTargetId"]
    )
    return tuple(sorted((described or {}).get("SecurityGroups") or ()))


def _group(described: Mapping[str, Any] | None) -> ObservedSecurityGroup | None:
    groups = (described or {}).get("SecurityGroups") or ()
    if not groups:
        return None
    group = min(groups, key=lambda g: g["GroupId"])
    return ObservedSecurityGroup(
        group["GroupId"], tag_owner(group.get("Tags")), rules_of(group.get("IpPermissions") or ())
    )


async def observe_security_group(
    ec2: Any,
    environment_id: str,
    vpc_id: str | None,
    recorded_id: str | None = None,
    shared: SecurityGroupsByName | None = None,
) -> ObservedSecurityGroup | None:
    """By name inside the VPC; without a VPC (teardown, the network gone), by the id the
    status recorded, else by name and this environment's tag anywhere. `shared`: the
    describe by name concurrent passes share, when given."""
    name = {"Name": "group-name", "Values": [security_group_name(environment_id)]}
    if vpc_id and shared is not None:
        found = await shared.describe(vpc_id, name["Values"])
        return _group({"SecurityGroups": list(found.values())})
    if vpc_id:
        filters = [name, {"Name": "vpc-id", "Values": [vpc_id]}]
        return _group(await call(ec2.describe_security_groups, Filters=filters))
    if recorded_id:
        described = await call_unless_absent(
            ec2.describe_security_groups, absent=GROUP_GONE, GroupIds=[recorded_id]
        )
        found = _group(described)
        if found is not None:
            return found
    filters = [name, {"Name": f"tag:{ENVIRONMENT_ID_KEY}", "Values": [environment_id]}]
    return _group(await call(ec2.describe_security_groups, Filters=filters))


async def observe_filesystem(
    efs: Any,
    ec2: Any,
    environment_id: str,
    vpc_id: str | None,
    recorded_group_id: str | None = None,
    groups: SecurityGroupsByName | None = None,
    interfaces: InterfaceGroups | None = None,
) -> FilesystemObservation:
    # Independent reads at once: the shared ones meet those of the passes started with this one.
    fs, group = await asyncio.gather(
        observe_file_system(efs, environment_id),
        observe_security_group(ec2, environment_id, vpc_id, recorded_group_id, groups),
    )
    if fs is None:
        return FilesystemObservation(security_group=group)
    access_points, mount_targets = await asyncio.gather(
        observe_access_points(efs, fs.file_system_id),
        observe_mount_targets(efs, fs.file_system_id, interfaces),
    )
    return FilesystemObservation(
        file_system=fs, access_points=access_points, mount_targets=mount_targets, security_group=group
    )
