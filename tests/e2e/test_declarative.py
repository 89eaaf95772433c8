"""A GitOps loop against the whole of berth: PUT the same spec again and again, change it
once, and check on the simulated AWS account that only the change rolled anything out."""

import asyncio

from tests.e2e.test_lifecycle import FAMILY, WEB, families_revisions, running

BODY = {"composeDefinition": {"containers": [WEB], "minCapacity": 1, "maxCapacity": 2}}


def writes(aws_proxy) -> dict[str, int]:
    return {op: n for op, n in aws_proxy.calls.items() if not op.startswith(("Describe", "List", "Get"))}


async def settled(pool) -> None:
    """Every queued pass has run (none due, none leased)."""
    async with asyncio.timeout(15):
        while await pool.fetchval("SELECT count(*) FROM work_queue WHERE not_before <= now() OR leased_by IS NOT NULL"):
            await asyncio.sleep(0.05)


async def test_the_same_spec_put_again_rolls_nothing_out_and_a_change_rolls_out_once(platform, controller, aws_proxy, ecs, pool):
    url = f"{platform.applications}/shop"
    assert (await platform.api.put(url, json=BODY)).status_code == 201
    await platform.wait_for("shop", running)
    await asyncio.sleep(0.5)
    await settled(pool)
    before = writes(aws_proxy)

    for _ in range(3):
        again = await platform.api.put(url, json=BODY)
        assert again.status_code == 200, again.text
    await asyncio.sleep(0.5)
    await settled(pool)
    assert writes(aws_proxy) == before
    shown = (await platform.api.get(url)).json()
    assert len(shown["deploymentInformation"]) == 1 and shown["status"] == "running"

    changed = {"composeDefinition": {**BODY["composeDefinition"], "containers": [{**WEB, "command": ["nginx"]}]}}
    planned = (await platform.api.post(f"{url}/plan", json=changed)).json()
    assert [c["path"] for c in planned["changes"]] == ["/composeDefinition/containers/0/command/2", "/composeDefinition/containers/0/command/1"]
    assert planned["newDeployment"] is True
    assert await families_revisions(ecs) == [f"arn:aws:ecs:{ecs.meta.region_name}:123456789012:task-definition/{FAMILY}:1"]

    assert (await platform.api.put(url, json=changed)).status_code == 200
    shown = (await platform.wait_for(
        "shop", lambda r: running(r) and len(r.json()["deploymentInformation"]) == 2
    )).json()
    assert shown["deploymentInformation"][0]["taskDefinitionArn"].endswith(f"{FAMILY}:2")
    definition = (await ecs.describe_task_definition(taskDefinition=FAMILY))["taskDefinition"]
    assert definition["containerDefinitions"][0]["command"] == ["nginx"]
    replan = (await platform.api.put(f"{url}?dryRun=true", json=changed)).json()
    assert (replan["action"], replan["changes"]) == ("none", [])
