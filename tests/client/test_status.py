"""`berth status`: the applications, or one with its environments' conditions, outputs and
last deployments (statuses written as the workload reconciler writes them)."""

from tests.client.conftest import shop, write
from tests.client.reconciling import FAILED, READY, record_deployment, report


async def test_the_list(cli, tmp_path):
    assert (await cli("status")).out == "no applications\n"
    write(tmp_path / "apps.yaml", shop(), shop("busybox:1", name="worker"))
    assert (await cli("apply", "--no-wait", "-f", str(tmp_path / "apps.yaml"))).code == 0
    ran = await cli("status")
    assert ran.code == 0
    assert ran.out.splitlines() == [
        "NAME    STATUS   RUNNING  IMAGE       ENVIRONMENTS",
        "shop    pending  -        nginx:1.27  production",
        "worker  pending  -        busybox:1   production",
    ]


async def test_one_application_shows_conditions_outputs_and_deployments(cli, pool, tmp_path):
    assert (await cli("apply", "--no-wait", "-f", str(write(tmp_path / "app.yaml", shop())))).code == 0
    await report(pool, "shop", READY)
    await record_deployment(pool, "shop")
    ran = await cli("status", "shop")
    assert ran.code == 0, ran.err
    lines = ran.out.splitlines()
    assert lines[0] == "shop  running  nginx:1.27  2/2 running  capacity 1–2"
    assert lines[1:3] == ["environments:",
                          "  production  running  2/2 running  rollout COMPLETED  generation 1 (observed 1)"]
    assert "    Ready=True  RolloutComplete: 2/2 tasks running  since 2024-05-01T12:00:00Z" in lines
    assert "    serviceName: shop-production" in lines
    assert "    taskDefinitionArn: arn:aws:ecs:us-east-1:123456789012:task-definition/shop-production:1" in lines
    assert lines[-2] == "deployments (newest first):"
    assert lines[-1].split()[0] == "COMPLETED" and lines[-1].split()[-2:] == ["shop-production:1", "ecs-svc/1234"]


async def test_a_failure_is_shown_with_its_reason(cli, pool, tmp_path):
    assert (await cli("apply", "--no-wait", "-f", str(write(tmp_path / "app.yaml", shop())))).code == 0
    await report(pool, "shop", FAILED)
    lines = (await cli("status", "shop")).out.splitlines()
    assert lines[0].startswith("shop  degraded")
    assert ("    Degraded=True  RolloutFailed: the circuit breaker rolled the deployment back  "
            "since 2024-05-01T12:00:00Z") in lines


async def test_json(cli, pool, tmp_path):
    assert (await cli("apply", "--no-wait", "-f", str(write(tmp_path / "app.yaml", shop())))).code == 0
    await report(pool, "shop", READY)
    found = (await cli("status", "shop", "-o", "json")).json()
    assert found["application"]["status"] == "running"
    [production] = found["environments"]
    assert (production["envName"], production["generation"], production["observedGeneration"]) == ("production", 1, 1)
    assert [c["type"] for c in production["conditions"]] == ["Degraded", "Progressing", "Ready"]
    assert (await cli("status", "-o", "json")).json()["applications"][0]["appName"] == "shop"
