"""`berth apply` against the real API on PostgreSQL; the reconciler's status is written by
hand (tests/client/reconciling.py), so convergence, failure and time-outs are exact."""

import asyncio
import json

from tests.client.conftest import shop, write
from tests.client.reconciling import FAILED, READY, after_apply, environment


async def applications(pool) -> list[str]:
    return [r["name"] for r in await pool.fetch("SELECT name FROM applications ORDER BY name")]


async def test_apply_shows_the_diff_then_creates(cli, pool, tmp_path):
    ran = await cli("apply", "-f", str(write(tmp_path / "app.yaml", shop())), "--no-wait")
    assert ran.code == 0, ran.err
    lines = ran.out.splitlines()
    assert lines[0].startswith("shop  create") and "new deployment" in lines[0]
    assert any(line.startswith("  + /composeDefinition") for line in lines)
    assert "      ECS task definition: first revision registered" in lines
    assert lines[-1] == "shop: created"
    assert lines.index("shop: created") > lines.index("      ECS task definition: first revision registered")
    assert await applications(pool) == ["shop"]


async def test_a_second_apply_shows_no_changes_and_writes_nothing(cli, pool, tmp_path):
    path = write(tmp_path / "app.yaml", shop())
    assert (await cli("apply", "-f", str(path), "--no-wait")).code == 0
    before = await pool.fetchrow("SELECT e.generation, e.updated_at, a.generation AS app FROM environments e "
                                 "JOIN applications a ON a.id = e.application_id")
    queued = await pool.fetchval("SELECT count(*) FROM work_queue")
    again = await cli("apply", "-f", str(path), "--no-wait")
    assert again.code == 0, again.err
    assert again.out.splitlines() == ["shop  no changes", "shop: unchanged"]
    after = await pool.fetchrow("SELECT e.generation, e.updated_at, a.generation AS app FROM environments e "
                                "JOIN applications a ON a.id = e.application_id")
    assert after == before
    assert await pool.fetchval("SELECT count(*) FROM work_queue") == queued
    assert await pool.fetchval("SELECT count(*) FROM deployments") == 0


async def test_a_change_shows_the_field_and_its_effects(cli, tmp_path):
    assert (await cli("apply", "-f", str(write(tmp_path / "a.yaml", shop())), "--no-wait")).code == 0
    ran = await cli("apply", "-f", str(write(tmp_path / "b.yaml", shop("nginx:1.28"))), "--no-wait")
    assert ran.code == 0, ran.err
    assert ran.out.splitlines()[:5] == [
        "shop  update  (generation 1, production generation 1)  → new deployment",
        '  ~ /composeDefinition/containers/0/imageReference/identifier  "nginx:1.27" → "nginx:1.28"',
        "      ECS task definition: new revision",
        "      ECS service: rolling deployment of the new revision",
        "shop: replaced",
    ]


async def test_dry_run_shows_the_diff_and_writes_nothing(cli, pool, tmp_path):
    ran = await cli("apply", "--dry-run", "-f", str(write(tmp_path / "app.yaml", shop())))
    assert ran.code == 0, ran.err
    assert ran.out.startswith("shop  create")
    assert "shop: created" not in ran.out
    assert await applications(pool) == []
    assert await pool.fetchval("SELECT count(*) FROM work_queue") == 0


async def test_follows_convergence_to_ready(cli, pool, tmp_path):
    path = write(tmp_path / "app.yaml", shop())
    reconciler = asyncio.create_task(after_apply(pool, "shop", READY))
    ran = await cli("apply", "-f", str(path), "--timeout", "10", "--interval", "0.05")
    await reconciler
    assert ran.code == 0, ran.out + ran.err
    lines = ran.out.splitlines()
    progress = [line.split("] ", 1)[1].split() for line in lines if line.startswith("[")]
    assert ["environment", "shop/production", "pending", "waiting", "for", "the", "reconciler"] in progress
    assert ["environment", "shop/production", "ready", "2/2", "running"] in progress
    assert lines[-1].startswith("shop: converged in ")


async def test_a_failed_rollout_exits_1_with_the_reason(cli, pool, tmp_path):
    reconciler = asyncio.create_task(after_apply(pool, "shop", FAILED))
    ran = await cli("apply", "-f", str(write(tmp_path / "app.yaml", shop())), "--timeout", "10", "--interval", "0.05")
    await reconciler
    assert ran.code == 1
    assert ran.out.splitlines()[-1] == "shop: failed: RolloutFailed: the circuit breaker rolled the deployment back"


async def test_a_failure_left_by_an_older_spec_is_not_this_applys(cli, pool, tmp_path):
    """Degraded from generation 1 does not fail the apply of generation 2: it waits for the reconciler."""
    from tests.client.reconciling import report

    assert (await cli("apply", "-f", str(write(tmp_path / "a.yaml", shop())), "--no-wait")).code == 0
    await report(pool, "shop", FAILED)
    ran = await cli("apply", "-f", str(write(tmp_path / "b.yaml", shop("nginx:1.28"))), "--timeout", "0.3",
                    "--interval", "0.05")
    assert ran.code == 2, ran.out
    assert "generation 2 not yet observed (at 1)" in ran.out
    assert ran.out.splitlines()[-1].startswith("shop: not converged after")


async def test_times_out_with_exit_2(cli, tmp_path):
    ran = await cli("apply", "-f", str(write(tmp_path / "app.yaml", shop())), "--timeout", "0.2", "--interval", "0.05")
    assert ran.code == 2
    assert "shop: not converged after" in ran.out and "(pending)" in ran.out


async def test_many_applications_from_documents_lists_directories_and_stdin(cli, pool, tmp_path):
    write(tmp_path / "one.yaml", shop(name="a"), shop(name="b"))
    write(tmp_path / "two.json", [shop(name="c")], as_json=True)
    (tmp_path / "notes.txt").write_text("not an application")
    ran = await cli("apply", "--no-wait", "-f", str(tmp_path), "-f", "-", stdin=json.dumps([shop(name="d")]))
    assert ran.code == 0, ran.err
    assert [line for line in ran.out.splitlines() if line.endswith(": created")] == [
        "a: created", "b: created", "c: created", "d: created"]
    assert await applications(pool) == ["a", "b", "c", "d"]


async def test_nothing_is_written_unless_every_application_is_valid(cli, pool, tmp_path):
    bad = {"appName": "bad", "composeDefinition": {"containers": []}}
    ran = await cli("apply", "--no-wait", "-f", str(write(tmp_path / "apps.yaml", shop(), bad)))
    assert ran.code == 3
    assert await applications(pool) == []


async def test_json_output(cli, pool, tmp_path):
    reconciler = asyncio.create_task(after_apply(pool, "shop", READY, delay=0.1))
    ran = await cli("apply", "-o", "json", "-f", str(write(tmp_path / "app.yaml", shop())),
                    "--timeout", "10", "--interval", "0.05")
    await reconciler
    assert ran.code == 0, ran.err
    [found] = ran.json()["applications"]
    assert (found["appName"], found["applied"], found["result"]) == ("shop", "created", "converged")
    assert found["plan"]["action"] == "create"
    assert {"kind": "environment", "name": "shop/production", "phase": "ready", "detail": "2/2 running"} in found["resources"]
    dry = await cli("apply", "-o", "json", "--dry-run", "-f", str(tmp_path / "app.yaml"))
    assert dry.json() == {"applications": [{"appName": "shop", "plan": {
        "appName": "shop", "action": "none", "generation": 1, "productionGeneration": 1, "changes": [],
        "newDeployment": False}}]}
    assert (await environment(pool, "shop"))["generation"] == 1
