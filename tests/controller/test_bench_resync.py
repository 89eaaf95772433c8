"""`berth bench resync` end to end with a few applications; its numbers are not judged here."""

from argparse import Namespace

from controller.bench import run_benchmark
from controller.bench.call_counts import Ledger, is_read
from controller.runtime.settings import RuntimeSettings
from controller.settings import Settings

ENVIRONMENT_KINDS = {"ecs-environment", "environment-network", "ecs-autoscaling"}


def _settings(server_dsn: str, data_dir) -> Settings:
    return Settings(
        database_url=server_dsn, data_dir=data_dir, log_level="WARNING", log_json=True, runtime=RuntimeSettings()
    )


def test_reads_are_told_from_writes_by_the_operation_name():
    assert [is_read(o) for o in ("DescribeServices", "ListTaskDefinitions", "GetSecretValue")] == [True] * 3
    assert [is_read(o) for o in ("UpdateService", "RegisterTaskDefinition", "PutScalingPolicy")] == [False] * 3


def test_only_the_first_pass_of_a_key_after_the_mark_is_measured():
    ledger = Ledger()
    before = ledger.open_pass("k", "a")
    ledger.mark()
    first, second = ledger.open_pass("k", "a"), ledger.open_pass("k", "a")
    assert (before.counted, first.counted, second.counted) == (False, True, False)
    assert ledger.extra_passes == {"k": 1}


async def test_resync_counts_every_key_once_and_no_writes(pg_admin, tmp_path, capsys):
    args = Namespace(action="resync", applications=3, concurrency=4, json=False)
    result = await run_benchmark(args, _settings(pg_admin, tmp_path))
    assert result["keys"] == 3 * len(ENVIRONMENT_KINDS) + 1  # and the shared network
    assert set(result["per_kind"]) >= ENVIRONMENT_KINDS | {"aws-network"}
    for kind in ENVIRONMENT_KINDS:
        assert result["per_kind"][kind]["passes"] == 3
    assert result["total"]["writes"] == 0, [o for o in result["operations"] if not o["read"]]
    assert result["total"]["reads"] > 0
    assert result["total"]["reads_per_app"] == round(result["total"]["reads"] / 3, 3)
    assert set(result["concurrency_per_kind"].values()) == {4}  # `--concurrency` sets every kind's
    printed = capsys.readouterr().out
    assert "berth bench resync" in printed and "reads/app" in printed


async def test_resync_with_database_and_filesystem_measures_their_kinds(pg_admin, tmp_path):
    args = Namespace(
        action="resync", applications=2, concurrency=4, with_database=True, with_filesystem=True, json=True
    )
    result = await run_benchmark(args, _settings(pg_admin, tmp_path))
    assert result["per_kind"]["rds-database"]["passes"] == 2
    assert result["per_kind"]["efs-filesystem"]["passes"] == 2
    assert result["total"]["writes"] == 0, [o for o in result["operations"] if not o["read"]]
