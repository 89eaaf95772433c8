"""POST an application, watch it become a running ECS service, DELETE it, watch it go."""

import asyncio
import signal

import pytest

WEB = {
    "name": "web",
    "imageReference": {"type": "external", "identifier": "nginx:1.27"},
    "exposedPorts": [80],
    "environment": [{"name": "GREETING", "value": "hello"}],
    "command": ["nginx", "-g", "daemon off;"],
}
BODY = {
    "appName": "shop",
    "composeDefinition": {"containers": [WEB], "taskCpu": 512, "taskMemory": 1024, "minCapacity": 2, "maxCapacity": 3},
    "environment": [{"name": "MODE", "value": "live"}],
}
FAMILY = SERVICE = "acme_shop_production"


def running(response) -> bool:
    return response.status_code == 200 and response.json()["status"] == "running"


async def families_revisions(ecs) -> list[str]:
    listed = await ecs.list_task_definitions(familyPrefix=FAMILY)
    return listed["taskDefinitionArns"]


async def test_an_application_converges_and_is_torn_down(platform, controller, ecs, pool):
    created = await platform.api.post(platform.applications, json=BODY)
    assert created.status_code == 201, created.text

    shown = (await platform.wait_for("shop", running)).json()
    assert (shown["desiredCount"], shown["runningCount"]) == (2, 2)
    [deployment] = shown["deploymentInformation"]
    assert deployment["status"] == "COMPLETED"
    assert deployment["imageTag"] == "1.27"
    assert deployment["taskDefinitionArn"].endswith(f"task-definition/{FAMILY}:1")

    [service] = (await ecs.describe_services(cluster="berth", services=[SERVICE]))["services"]
    assert service["status"] == "ACTIVE" and service["desiredCount"] == 2
    assert service["taskDefinition"] == deployment["taskDefinitionArn"]
    definition = (await ecs.describe_task_definition(taskDefinition=FAMILY))["taskDefinition"]
    [container] = definition["containerDefinitions"]
    assert (definition["cpu"], definition["memory"]) == ("512", "1024")
    assert container["image"] == "nginx:1.27"
    assert container["command"] == WEB["command"]
    assert {e["name"]: e["value"] for e in container["environment"]} == {"GREETING": "hello", "MODE": "live"}
    assert [p["containerPort"] for p in container["portMappings"]] == [80]

    conditions = await pool.fetchval("SELECT conditions FROM statuses WHERE kind = 'ecs-environment'")
    assert {c["type"]: c["status"] for c in conditions}["Ready"] is True
    reasons = await pool.fetch("SELECT reason FROM events ORDER BY id")
    assert reasons, "reconcilers record events"

    assert (await platform.api.delete(f"{platform.applications}/shop")).status_code == 204
    await platform.wait_for("shop", lambda r: r.status_code == 404)
    services = (await ecs.describe_services(cluster="berth", services=[SERVICE]))["services"]
    assert all(s["status"] != "ACTIVE" for s in services)
    assert await families_revisions(ecs) == []
    assert await pool.fetchval("SELECT count(*) FROM applications") == 0
    assert await pool.fetchval("SELECT count(*) FROM environments") == 0
    assert await pool.fetchval("SELECT application_count FROM organisations") == 0
    assert [r["kind"] for r in await pool.fetch("SELECT kind FROM work_queue")] == ["aws-network"]


async def test_a_second_pass_of_a_converged_application_writes_nothing(platform, controller, aws_proxy, pool):
    assert (await platform.api.post(platform.applications, json=BODY)).status_code == 201
    await platform.wait_for("shop", running)
    await asyncio.sleep(0.5)  # let the pass that saw it converge finish
    writes_before = {op: n for op, n in aws_proxy.calls.items() if not op.startswith(("Describe", "List"))}
    await pool.execute("SELECT berth_enqueue('ecs-environment', key) FROM work_queue WHERE kind = 'ecs-environment'")
    async with asyncio.timeout(10):
        while await pool.fetchval("SELECT not_before <= now() OR leased_by IS NOT NULL FROM work_queue WHERE kind = 'ecs-environment'"):
            await asyncio.sleep(0.05)
    writes_after = {op: n for op, n in aws_proxy.calls.items() if not op.startswith(("Describe", "List"))}
    assert writes_after == writes_before


@pytest.mark.parametrize(
    ("operation", "reaches_aws"),
    [
        ("RegisterTaskDefinition", True),
        ("CreateService", True),
        ("CreateService", False),
        ("UpdateService", True),
    ],
    ids=["killed-after-register-sent", "killed-after-create-sent", "killed-before-create-sent", "killed-during-update"],
)
async def test_a_controller_killed_mid_reconcile_converges_without_duplicates(
    platform, spawn_controller, aws_proxy, ecs, operation, reaches_aws
):
    hold = aws_proxy.hold(operation)
    first = spawn_controller()
    assert (await platform.api.post(platform.applications, json=BODY)).status_code == 201
    async with asyncio.timeout(30):
        await hold.arrived.wait()
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    aws_proxy.release(operation, forward=reaches_aws)

    spawn_controller()
    shown = (await platform.wait_for("shop", running, timeout=40)).json()

    assert len(await families_revisions(ecs)) == 1, "no second task-definition revision"
    listed = await ecs.list_services(cluster="berth")
    assert [arn.rsplit("/", 1)[-1] for arn in listed["serviceArns"]] == [SERVICE]
    assert aws_proxy.calls["RegisterTaskDefinition"] == 1
    assert aws_proxy.calls["CreateService"] == (1 if reaches_aws or operation != "CreateService" else 2)
    assert shown["deploymentInformation"][0]["status"] == "COMPLETED"
