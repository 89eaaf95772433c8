"""One application with everything the contract can ask of AWS — database, file system,
cross-environment networking, origin protection, a scaling policy — converged by the
real controller on moto, then deleted: every reconciler kind acts, and nothing is left."""

import asyncio
import contextlib
from types import SimpleNamespace

import aioboto3
import pytest

from tests.e2e.test_lifecycle import running
from tests.fakes.aws import AWS_REGION as REGION

WEB = {
    "name": "web",
    "imageReference": {"type": "external", "identifier": "nginx:1.27"},
    "exposedPorts": [80],
    "originProtectionConfig": {"enabled": True, "ipAllow": ["203.0.113.0/24"]},
}
BODY = {
    "appName": "shop",
    "composeDefinition": {
        "containers": [WEB], "taskCpu": 512, "taskMemory": 1024, "minCapacity": 1, "maxCapacity": 3,
        "enableCrossEnvNetworking": True,
    },
    "database": {"engine": "postgres"},
    "filesystem": {"required": True, "mountPath": "/srv/data"},
}
FAMILY = "acme_shop_production"
POLICY = {"metric": "CPUUtilization", "targetValue": 60}


@pytest.fixture
async def aws(aws_proxy):
    """Clients straight to moto, to check the cloud side (not recorded by the proxy)."""
    session = aioboto3.Session()
    names = {"ecs": "ecs", "ec2": "ec2", "rds": "rds", "efs": "efs", "secrets": "secretsmanager",
             "scaling": "application-autoscaling"}
    clients = {}
    async with contextlib.AsyncExitStack() as stack:
        for attribute, service in names.items():
            clients[attribute] = await stack.enter_async_context(
                session.client(service, endpoint_url=aws_proxy.upstream, region_name=REGION)
            )
        yield SimpleNamespace(**clients)


async def eventually(read, timeout: float = 30.0):
    """`await read()` until it answers something truthy."""
    async with asyncio.timeout(timeout):
        while not (answer := await read()):
            await asyncio.sleep(0.2)
    return answer


def converged(response) -> bool:
    if not running(response):
        return False
    body = response.json()
    database, filesystem = body.get("database") or {}, body.get("filesystem") or {}
    return database.get("rdsInstanceStatus") == "available" and bool(filesystem.get("filesystemId"))


async def test_everything_converges_and_goes(platform, controller, aws, pool):
    created = await platform.api.post(platform.applications, json=BODY)
    assert created.status_code == 201, created.text
    policies = f"{platform.applications}/shop/environments/production/scaling-policies"
    assert (await platform.api.put(policies, json=POLICY)).status_code == 200

    shown = (await platform.wait_for("shop", converged, timeout=60)).json()
    identifier = shown["database"]["rdsInstanceIdentifier"]
    filesystem_id = shown["filesystem"]["filesystemId"]

    [instance] = (await aws.rds.describe_db_instances(DBInstanceIdentifier=identifier))["DBInstances"]
    assert instance["Engine"] == "postgres" and instance["StorageEncrypted"] and not instance["PubliclyAccessible"]
    definition = (await aws.ecs.describe_task_definition(taskDefinition=FAMILY))["taskDefinition"]
    [container] = definition["containerDefinitions"]
    assert {s["name"] for s in container["secrets"]} == {"DB_HOST", "DB_PORT", "DB_DATABASE", "DB_USERNAME",
                                                         "DB_PASSWORD"}
    assert [m["containerPath"] for m in container["mountPoints"]] == ["/srv/data"]
    [volume] = definition["volumes"]
    assert volume["efsVolumeConfiguration"]["fileSystemId"] == filesystem_id
    targets = (await aws.efs.describe_mount_targets(FileSystemId=filesystem_id))["MountTargets"]
    assert len(targets) == 2

    [service] = (await aws.ecs.describe_services(cluster="berth", services=[FAMILY]))["services"]
    groups = set(service["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"])
    described = (await aws.ec2.describe_security_groups(GroupIds=sorted(groups)))["SecurityGroups"]
    by_name = {g["GroupName"]: g for g in described}
    ingress = next(g for name, g in by_name.items() if name.startswith("berth-env-"))
    assert [(p["FromPort"], [r["CidrIp"] for r in p["IpRanges"]]) for p in ingress["IpPermissions"]] == [
        (80, ["203.0.113.0/24"])  # origin protection: only the allow list reaches the exposed port
    ]
    assert any(name.startswith("berth-app-") for name in by_name)  # cross-environment networking

    async def scalable_targets():
        return (await aws.scaling.describe_scalable_targets(ServiceNamespace="ecs"))["ScalableTargets"]

    scalable = await eventually(scalable_targets)  # it follows the service on its own period
    assert [(t["MinCapacity"], t["MaxCapacity"]) for t in scalable] == [(1, 3)]
    async def scaling_policies():
        return (await aws.scaling.describe_scaling_policies(ServiceNamespace="ecs"))["ScalingPolicies"]

    scaling = await eventually(scaling_policies)
    assert [p["PolicyType"] for p in scaling] == ["TargetTrackingScaling"]

    assert (await platform.api.delete(f"{platform.applications}/shop")).status_code == 204
    try:
        await platform.wait_for("shop", lambda r: r.status_code == 404, timeout=60)
    except TimeoutError:
        left = await pool.fetch("SELECT e.finalizers, s.kind, s.conditions FROM environments e"
                                " LEFT JOIN statuses s ON s.key = e.id::text")
        queue = await pool.fetch("SELECT kind, attempts, last_error, not_before FROM work_queue")
        raise AssertionError([dict(r) for r in left] + [dict(r) for r in queue]) from None

    instances = (await aws.rds.describe_db_instances())["DBInstances"]
    assert instances == []
    snapshots = (await aws.rds.describe_db_snapshots(SnapshotType="manual"))["DBSnapshots"]
    [snapshot] = snapshots  # named after the generation the delete was at
    assert snapshot["DBSnapshotIdentifier"].startswith(f"{identifier}-final-")
    assert (await aws.efs.describe_file_systems())["FileSystems"] == []
    left = (await aws.ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["berth-*"]}]))
    assert [g["GroupName"] for g in left["SecurityGroups"]] == ["berth-tasks"]  # the shared network's own
    assert (await aws.scaling.describe_scalable_targets(ServiceNamespace="ecs"))["ScalableTargets"] == []
    assert await pool.fetchval("SELECT count(*) FROM environments") == 0
    assert await pool.fetchval("SELECT count(*) FROM statuses WHERE key <> 'default'") == 0
