"""`berth events`: a page of the application's reconcile events, then the live stream."""

import asyncio
import io

from controller.client.commands import run
from tests.client.conftest import parser, shop, write


async def record(pool, application: str, reason: str, message: str, warning: bool = False) -> None:
    await pool.execute(
        "INSERT INTO events (organisation_id, application_id, environment_id, kind, key, reason, message, warning) "
        "SELECT a.organisation_id, a.id, e.id, 'ecs-environment', e.id::text, $2, $3, $4 "
        "FROM applications a JOIN environments e ON e.application_id = a.id WHERE a.name = $1", application, reason,
        message, warning)


async def test_a_page_oldest_first(cli, pool, tmp_path):
    assert (await cli("apply", "--no-wait", "-f", str(write(tmp_path / "app.yaml", shop())))).code == 0
    await record(pool, "shop", "ServiceCreated", "created service shop-production")
    await record(pool, "shop", "RolloutFailed", "the circuit breaker rolled back", warning=True)
    ran = await cli("events", "shop")
    assert ran.code == 0, ran.err
    lines = ran.out.splitlines()
    assert len(lines) == 2
    assert lines[0].split("  ")[1:] == ["shop/production", "ecs-environment", "ServiceCreated",
                                        "created service shop-production"]
    assert "RolloutFailed  the circuit breaker rolled back" in lines[1]
    assert (await cli("events")).out == ran.out  # the organisation's
    found = (await cli("events", "shop", "-o", "json")).json()["events"]
    assert [e["reason"] for e in found] == ["ServiceCreated", "RolloutFailed"]
    assert found[1]["type"] == "Warning"


async def test_follow_streams_what_is_recorded_after_the_page(cli, pool, tmp_path):
    assert (await cli("apply", "--no-wait", "-f", str(write(tmp_path / "app.yaml", shop())))).code == 0
    await record(pool, "shop", "ServiceCreated", "created")
    out = io.StringIO()
    args = parser().parse_args(["events", "shop", "--follow", "-o", "json"])
    follower = asyncio.create_task(run(args, environ=cli.environ, data_dir=tmp_path, stdin=io.StringIO(),
                                       stdout=out, stderr=io.StringIO()))
    try:
        async with asyncio.timeout(15):
            while "ServiceCreated" not in out.getvalue():
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)  # the stream is open
            await record(pool, "shop", "RolloutComplete", "2/2 running")
            while "RolloutComplete" not in out.getvalue():
                await asyncio.sleep(0.05)
    finally:
        follower.cancel()
    import json

    reasons = [json.loads(line)["reason"] for line in out.getvalue().splitlines()]
    assert reasons == ["ServiceCreated", "RolloutComplete"]


async def test_an_unknown_application_is_4(cli):
    ran = await cli("events", "nothing", "--follow")
    assert ran.code == 4 and "404 Not Found" in ran.err
