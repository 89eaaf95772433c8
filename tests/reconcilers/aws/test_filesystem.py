"""The `efs-filesystem` reconciler against moto's server: converge, a second pass writes
nothing, drift is put back, what is not ours is left alone, teardown."""

from dataclasses import replace

import pytest

from reconcilers.aws.filesystem import FilesystemReconciler
from reconcilers.aws.filesystem.plan import NFS_PORT, creation_token, root_directory
from reconcilers.ports import StatusUpdate
from reconcilers.results import Done, Forget, RequeueAfter
from schemas.kinds import Kind
from schemas.status import Condition, ConditionType
from schemas.v3.applications import FilesystemRequest
from tests.fakes.aws import CrashAfter, RecordingClients
from tests.reconcilers.aws.factories import ENVIRONMENT_ID, environment

KEY = str(ENVIRONMENT_ID)
KIND = Kind.EFS_FILESYSTEM
FINALIZERS = ("ecs-environment", "environment-network", "ecs-autoscaling", KIND)


def with_filesystem(env=None, *, mount_path="/mnt/data", **changes):
    env = env or environment()
    spec = env.spec.model_copy(update={"filesystem": FilesystemRequest(mount_path=mount_path)})
    return replace(env, spec=spec, finalizers=changes.pop("finalizers", FINALIZERS), **changes)


@pytest.fixture
async def workload_group(aws, network):
    answer = await aws.ec2.create_security_group(
        GroupName="workload", Description="the environment's tasks", VpcId=network["vpcId"]
    )
    return answer["GroupId"]


@pytest.fixture
def environment_network(database, network, workload_group):
    """The environment's workload security groups, as `environment-network` reports them."""
    groups = sorted([*network["securityGroupIds"], workload_group])
    database.statuses[("environment-network", KEY)] = StatusUpdate(
        observed_generation=1, conditions=[], outputs={"ready": True, "securityGroupIds": groups, "peerSecurityGroupIds": groups}
    )
    return groups


@pytest.fixture
def env(database):
    record = with_filesystem()
    database.environments[record.id] = record
    return record


async def filesystem_pass(clients, database, clock):
    return await FilesystemReconciler(clients, clock, wait_seconds=1).reconcile(database.context(KIND, KEY))


def outputs(database):
    return database.statuses[(KIND, KEY)].outputs


def condition(database, kind: ConditionType) -> Condition:
    return next(c for c in database.statuses[(KIND, KEY)].conditions if c.type == kind)


async def nfs_sources(aws, group_id):
    group = (await aws.ec2.describe_security_groups(GroupIds=[group_id]))["SecurityGroups"][0]
    return group["IpPermissions"]


async def test_converges_and_a_second_pass_writes_nothing(aws, database, clock, env, network, environment_network):
    recording = RecordingClients.around(aws)
    assert await filesystem_pass(recording, database, clock) == Done()
    out = outputs(database)
    assert out["ready"] is True and out["mountPath"] == "/mnt/data"
    assert condition(database, ConditionType.READY).status
    assert not condition(database, ConditionType.DEGRADED).status

    systems = (await aws.efs.describe_file_systems(CreationToken=creation_token(KEY)))["FileSystems"]
    assert [fs["FileSystemId"] for fs in systems] == [out["filesystemId"]]
    fs = systems[0]
    assert fs["Encrypted"] and fs["PerformanceMode"] == "generalPurpose" and fs["ThroughputMode"] == "elastic"
    tags = {t["Key"]: t["Value"] for t in fs["Tags"]}
    assert tags["berth:environment-id"] == KEY and tags["Name"] == "acme_shop_production"

    (ap,) = (await aws.efs.describe_access_points(FileSystemId=out["filesystemId"]))["AccessPoints"]
    assert ap["AccessPointId"] == out["accessPointId"]
    assert ap["RootDirectory"]["Path"] == root_directory(KEY)
    assert ap["PosixUser"] == {"Uid": 1000, "Gid": 1000}

    targets = (await aws.efs.describe_mount_targets(FileSystemId=out["filesystemId"]))["MountTargets"]
    assert sorted(t["SubnetId"] for t in targets) == sorted(network["subnetIds"])
    for target in targets:
        groups = await aws.efs.describe_mount_target_security_groups(MountTargetId=target["MountTargetId"])
        assert groups["SecurityGroups"] == [out["securityGroupId"]]

    (permission,) = await nfs_sources(aws, out["securityGroupId"])
    assert (permission["IpProtocol"], permission["FromPort"], permission["ToPort"]) == ("tcp", NFS_PORT, NFS_PORT)
    assert sorted(p["GroupId"] for p in permission["UserIdGroupPairs"]) == environment_network
    assert not permission.get("IpRanges")
    assert {"FileSystemCreated", "AccessPointCreated", "MountTargetCreated", "SecurityGroupCreated"} <= set(
        database.event_reasons()
    )

    again = RecordingClients.around(aws)
    assert await filesystem_pass(again, database, clock) == Done()
    assert again.efs.writes() == [] and again.ec2.writes() == []
    assert outputs(database) == out
    # The mount targets' groups come from their network interfaces, in one call.
    assert "describe_mount_target_security_groups" not in again.efs.calls
    assert again.ec2.calls.count("describe_network_interfaces") == 1


async def test_waits_for_the_networks(aws, database, clock, env):
    assert isinstance(await filesystem_pass(aws, database, clock), RequeueAfter)
    assert outputs(database)["ready"] is False
    assert condition(database, ConditionType.READY).reason == "WaitingForAwsNetwork"


async def test_waits_for_the_environment_network(aws, database, clock, env, network):
    database.statuses[("environment-network", KEY)] = StatusUpdate(1, [], {"ready": False, "securityGroupIds": [], "peerSecurityGroupIds": []})
    assert isinstance(await filesystem_pass(aws, database, clock), RequeueAfter)
    assert (await aws.efs.describe_file_systems())["FileSystems"] == []


async def test_drift_is_put_back(aws, database, clock, env, network, environment_network):
    assert await filesystem_pass(aws, database, clock) == Done()
    before = outputs(database)
    fs_id, group_id = before["filesystemId"], before["securityGroupId"]
    await aws.efs.delete_access_point(AccessPointId=before["accessPointId"])
    targets = (await aws.efs.describe_mount_targets(FileSystemId=fs_id))["MountTargets"]
    await aws.efs.delete_mount_target(MountTargetId=targets[0]["MountTargetId"])
    await aws.ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=await nfs_sources(aws, group_id))
    await aws.ec2.authorize_security_group_ingress(
        GroupId=group_id,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )

    assert await filesystem_pass(aws, database, clock) == Done()
    after = outputs(database)
    assert after["ready"] and after["filesystemId"] == fs_id and after["accessPointId"] != before["accessPointId"]
    targets = (await aws.efs.describe_mount_targets(FileSystemId=fs_id))["MountTargets"]
    assert sorted(t["SubnetId"] for t in targets) == sorted(network["subnetIds"])
    (permission,) = await nfs_sources(aws, group_id)
    assert permission["FromPort"] == NFS_PORT and not permission.get("IpRanges")
    assert sorted(p["GroupId"] for p in permission["UserIdGroupPairs"]) == environment_network

    again = RecordingClients.around(aws)
    assert await filesystem_pass(again, database, clock) == Done()
    assert again.efs.writes() == [] and again.ec2.writes() == []


async def test_mount_target_security_groups_changed_out_of_band_are_put_back(
    aws, database, clock, env, network, environment_network, workload_group
):
    assert await filesystem_pass(aws, database, clock) == Done()
    fs_id, group_id = outputs(database)["filesystemId"], outputs(database)["securityGroupId"]
    target = (await aws.efs.describe_mount_targets(FileSystemId=fs_id))["MountTargets"][0]["MountTargetId"]
    await aws.efs.modify_mount_target_security_groups(MountTargetId=target, SecurityGroups=[workload_group])

    recording = RecordingClients.around(aws)
    assert await filesystem_pass(recording, database, clock) == Done()
    assert recording.efs.writes() == ["modify_mount_target_security_groups"]
    groups = await aws.efs.describe_mount_target_security_groups(MountTargetId=target)
    assert groups["SecurityGroups"] == [group_id]

    # Changed on the mount target's network interface itself: the same.
    interface = (await aws.efs.describe_mount_targets(MountTargetId=target))["MountTargets"][0]["NetworkInterfaceId"]
    await aws.ec2.modify_network_interface_attribute(NetworkInterfaceId=interface, Groups=[workload_group])
    recording = RecordingClients.around(aws)
    assert await filesystem_pass(recording, database, clock) == Done()
    assert recording.efs.writes() == ["modify_mount_target_security_groups"]
    answer = await aws.ec2.describe_network_interfaces(NetworkInterfaceIds=[interface])
    assert [g["GroupId"] for g in answer["NetworkInterfaces"][0]["Groups"]] == [group_id]


async def test_a_crash_after_create_file_system_makes_no_second_one(
    aws, database, clock, env, network, environment_network
):
    with pytest.raises(CrashAfter):
        await filesystem_pass(RecordingClients.around(aws, crash_after=["create_file_system"]), database, clock)
    assert await filesystem_pass(aws, database, clock) == Done()
    assert len((await aws.efs.describe_file_systems())["FileSystems"]) == 1


async def test_a_file_system_with_our_token_but_not_ours_is_left_alone(
    aws, database, clock, env, network, environment_network
):
    await aws.efs.create_file_system(CreationToken=creation_token(KEY), Tags=[{"Key": "Name", "Value": "theirs"}])
    recording = RecordingClients.around(aws)
    assert await filesystem_pass(recording, database, clock) == Done()
    assert recording.efs.writes() == [] and recording.ec2.writes() == []
    degraded = condition(database, ConditionType.DEGRADED)
    assert degraded.status and degraded.reason == "NameOwnedElsewhere" and "file system fs-" in degraded.message
    assert outputs(database)["ready"] is False and outputs(database)["filesystemId"] is None


async def _converged(aws, database, clock):
    assert await filesystem_pass(aws, database, clock) == Done()
    return outputs(database)


async def test_teardown_waits_for_the_workload_then_deletes_everything(
    aws, database, clock, env, network, environment_network
):
    out = await _converged(aws, database, clock)
    database.environments[env.id] = replace(env, deleting=True)
    assert isinstance(await filesystem_pass(aws, database, clock), RequeueAfter)
    assert condition(database, ConditionType.READY).reason == "Deleting"
    assert len((await aws.efs.describe_file_systems())["FileSystems"]) == 1

    database.environments[env.id] = replace(env, deleting=True, finalizers=(KIND,))
    assert await filesystem_pass(aws, database, clock) == Forget()
    assert (await aws.efs.describe_file_systems())["FileSystems"] == []
    assert (await aws.efs.describe_access_points())["AccessPoints"] == []
    groups = await aws.ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": [out["securityGroupId"]]}])
    assert groups["SecurityGroups"] == []
    assert (KIND, env.id) in database.released and env.id in database.finalized
    assert {"AccessPointDeleted", "MountTargetDeleted", "FileSystemDeleted", "SecurityGroupDeleted"} <= set(
        database.event_reasons()
    )


async def test_a_spec_without_a_file_system_tears_it_down_once_the_workload_rolled_on(
    aws, database, clock, env, network, environment_network
):
    await _converged(aws, database, clock)
    spec = env.spec.model_copy(update={"filesystem": None})
    database.environments[env.id] = replace(env, spec=spec, generation=2)
    database.statuses[("ecs-environment", KEY)] = StatusUpdate(
        1, [Condition(type=ConditionType.READY, status=True, reason="RolloutComplete", last_transition_time=clock())]
    )
    assert isinstance(await filesystem_pass(aws, database, clock), RequeueAfter)  # still on generation 1
    assert len((await aws.efs.describe_file_systems())["FileSystems"]) == 1

    database.statuses[("ecs-environment", KEY)] = replace(database.statuses[("ecs-environment", KEY)], observed_generation=2)
    assert await filesystem_pass(aws, database, clock) == Forget()
    assert (await aws.efs.describe_file_systems())["FileSystems"] == []
    assert KIND not in database.environments[env.id].finalizers and (KIND, KEY) not in database.statuses


async def test_teardown_leaves_what_is_not_ours(aws, database, clock, env, network):
    theirs = await aws.efs.create_file_system(CreationToken=creation_token(KEY))
    database.environments[env.id] = replace(env, deleting=True, finalizers=(KIND,))
    assert await filesystem_pass(aws, database, clock) == Forget()
    assert [fs["FileSystemId"] for fs in (await aws.efs.describe_file_systems())["FileSystems"]] == [
        theirs["FileSystemId"]
    ]
    assert "NameOwnedElsewhere" in database.event_reasons()


async def test_an_environment_that_is_gone_is_forgotten(aws, database, clock):
    assert await filesystem_pass(aws, database, clock) == Forget()


async def test_a_crash_after_create_access_point_makes_no_second_one(
    aws, database, clock, env, network, environment_network
):
    with pytest.raises(CrashAfter):
        await filesystem_pass(RecordingClients.around(aws, crash_after=["create_access_point"]), database, clock)
    assert await filesystem_pass(aws, database, clock) == Done()
    assert len((await aws.efs.describe_access_points())["AccessPoints"]) == 1


async def test_a_new_mount_path_changes_the_outputs_only(aws, database, clock, env, network, environment_network):
    before = await _converged(aws, database, clock)
    database.environments[env.id] = with_filesystem(env, mount_path="/srv/files", generation=2)
    recording = RecordingClients.around(aws)
    assert await filesystem_pass(recording, database, clock) == Done()
    assert recording.efs.writes() == [] and recording.ec2.writes() == []
    assert outputs(database) == {**before, "mountPath": "/srv/files"}
    assert database.statuses[(KIND, KEY)].observed_generation == 2


class StillCreating:
    """EFS as real AWS answers right after CreateFileSystem: the file system `creating`."""

    def __init__(self, efs):
        self._efs = efs

    def __getattr__(self, name):
        return getattr(self._efs, name)

    async def describe_file_systems(self, **kwargs):
        answer = await self._efs.describe_file_systems(**kwargs)
        for fs in answer["FileSystems"]:
            fs["LifeCycleState"] = "creating"
        return answer


async def test_mount_targets_wait_for_an_available_file_system(
    aws, database, clock, env, network, environment_network
):
    recording = RecordingClients.around(aws)
    recording.efs = StillCreating(recording.efs)
    result = await filesystem_pass(recording, database, clock)
    assert isinstance(result, RequeueAfter) and "file system creating" in result.reason
    assert condition(database, ConditionType.READY).reason == "Provisioning"
    assert outputs(database)["ready"] is False and outputs(database)["filesystemId"]
    assert (await aws.efs.describe_access_points())["AccessPoints"] == []
    assert await filesystem_pass(aws, database, clock) == Done()
