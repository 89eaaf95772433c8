"""`berth bench converge` end to end with a few applications; its timings are not judged here."""

from argparse import Namespace

from botocore.exceptions import ClientError

from controller.bench import run_benchmark
from controller.bench.aws_limits import Call, HostileAws
from controller.bench.converge import floors, is_throttling
from controller.runtime.settings import RuntimeSettings
from controller.settings import Settings
from reconcilers.results import TemporaryError

APPLICATIONS = 3


def _settings(server_dsn: str, data_dir) -> Settings:
    return Settings(
        database_url=server_dsn, data_dir=data_dir, log_level="WARNING", log_json=True, runtime=RuntimeSettings()
    )


def test_the_floor_is_the_binding_buckets_calls_past_its_burst_over_its_rate():
    clock = [0.0]
    proxy = HostileAws("http://unused", clock=lambda: clock[0], limit_scale=0.5)  # burst 10, 0.5/s
    register = Call("a", "r", "ecs", "RegisterTaskDefinition", True, {})
    create = Call("a", "r", "ecs", "CreateService", True, {})
    assert all(proxy.allow(register) for _ in range(10))
    for _ in range(4):
        clock[0] += 2.0
        assert proxy.allow(register) and not proxy.allow(register)  # throttled: not served
    proxy.allow(create)
    binding, other = floors(proxy, began=0.0)
    assert binding["bucket"] == "ecs:RegisterTaskDefinition" and binding["served"] == 14
    assert binding["throttled"] == 4 and binding["last_served_at"] == 8.0
    assert binding["floor_seconds"] == (14 - 10) / 0.5
    assert (other["bucket"], other["floor_seconds"]) == ("ecs:CreateService", 0.0)


def test_throttling_is_told_through_the_chain_of_causes():
    throttled = ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "CreateService")
    try:
        raise TemporaryError("CreateService still failing") from throttled
    except TemporaryError as exc:
        assert is_throttling(exc)
    assert is_throttling(TemporaryError("RequestLimitExceeded: Request limit exceeded."))
    assert not is_throttling(TemporaryError("ServerException: We encountered an internal error"))


async def test_converge_runs_the_real_controller_against_the_rate_limited_proxy(pg_admin, tmp_path, capsys):
    args = Namespace(action="converge", applications=APPLICATIONS, limit_scale=10.0, concurrency=4, json=False)
    result = await run_benchmark(args, _settings(pg_admin, tmp_path))
    buckets = {b["bucket"]: b for b in result["buckets"]}
    assert buckets["ecs:RegisterTaskDefinition"]["served"] == APPLICATIONS
    assert buckets["ecs:RegisterTaskDefinition"]["burst"] == 200 and buckets["ecs:RegisterTaskDefinition"]["rate"] == 10
    assert buckets["ecs:CreateService"]["served"] == APPLICATIONS
    assert result["floor_seconds"] == 0.0 and result["ratio"] is None, "a few calls fit in the burst"
    assert result["surfaced_passes"] == 0 and result["throttling_conditions"] == 0
    assert result["outcomes"]["ecs-environment Done"] == APPLICATIONS
    printed = capsys.readouterr().out
    assert "berth bench converge" in printed and "floor" in printed
