"""`berth apply` against the whole of berth: the API, a controller and moto with the
simulated ECS scheduler (tests/e2e's harness) — it converges for real, and applying the
same file again shows no changes and rolls nothing out."""

import asyncio

from tests.client.conftest import Connection, shop, write
from tests.e2e.conftest import aws_proxy, controller, ecs, platform, rollouts  # noqa: F401 (fixtures)


async def test_apply_converges_and_a_second_apply_changes_nothing(platform, controller, pool, tmp_path):
    token = platform.api.headers["Authorization"].removeprefix("Bearer ")
    cli = Connection(str(platform.api.base_url).rstrip("/"), token, platform.organisation)
    path = write(tmp_path / "app.yaml", shop())
    ran = await cli("apply", "-f", str(path), "--timeout", "60", "--interval", "0.2")
    assert ran.code == 0, ran.out + ran.err
    assert ran.out.splitlines()[-1].startswith("shop: converged in ")
    progress = [line.split("] ", 1)[1].split() for line in ran.out.splitlines() if line.startswith("[")]
    assert ["environment", "shop/production", "ready", "1/1", "running"] in progress
    again = await cli("apply", "-f", str(path), "--timeout", "30", "--interval", "0.2")
    assert again.code == 0, again.out + again.err
    assert again.out.splitlines()[:2] == ["shop  no changes", "shop: unchanged"]
    await asyncio.sleep(0.5)
    assert len((await platform.api.get(f"{platform.applications}/shop")).json()["deploymentInformation"]) == 1
    status = await cli("status", "shop")
    assert "Ready=True" in status.out and "deployments (newest first):" in status.out
