"""The benchmarks run end to end with tiny numbers; their speed is not judged here."""

import inspect
from argparse import Namespace

from api.app import create_app
from controller.bench import run_benchmark
from controller.bench.servers import POOL_SIZE
from controller.runtime.settings import RuntimeSettings
from controller.settings import Settings


def _settings(server_dsn: str, data_dir) -> Settings:
    # The benchmark makes (and drops) its own database on the test server.
    return Settings(
        database_url=server_dsn, data_dir=data_dir, log_level="WARNING", log_json=True, runtime=RuntimeSettings()
    )


def test_bare_server_gets_the_pool_size_berth_has():
    assert POOL_SIZE == inspect.signature(create_app).parameters["pool_size"].default


async def test_api_benchmark_measures_all_three_servers(pg_admin, tmp_path, capsys):
    args = Namespace(
        action="api", requests=200, concurrency=8, warmup=20, paced_rate=200.0, paced_seconds=0.5, json=False
    )
    result = await run_benchmark(args, _settings(pg_admin, tmp_path))
    for server in ("insert", "bare", "berth"):
        for phase, answered in (("closed_loop", 200), ("paced", 100)):
            measured = result[server][phase]
            assert measured["errors"] == 0, measured["first_error"]
            assert measured["completed"] == answered
            assert measured["writes_per_s"] > 0
            assert 0 < measured["p50_ms"] <= measured["p99_ms"]
    assert result["ratio"] > 0
    printed = capsys.readouterr().out
    assert "berth API" in printed and "ratio berth / bare desired-state write" in printed


async def test_pickup_benchmark_sees_every_write_start(pg_admin, tmp_path, capsys):
    args = Namespace(action="pickup", rate=100.0, seconds=1.0, warmup_seconds=0.2, json=True)
    result = await run_benchmark(args, _settings(pg_admin, tmp_path))
    assert result["write_errors"] == 0
    assert result["count"] == result["expected"] >= 100
    assert result["missed"] == 0
    assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]
    assert '"p99_ms"' in capsys.readouterr().out
