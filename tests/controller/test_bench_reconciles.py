"""`berth bench reconciles` runs end to end with tiny numbers; its speed is not judged here."""

from argparse import Namespace

from controller.bench import run_benchmark
from tests.controller.test_bench_smoke import _settings


async def test_reconciles_benchmark_passes_every_key_once_per_round_and_changes_nothing(pg_admin, tmp_path, capsys):
    args = Namespace(action="reconciles", applications=20, rounds=1, concurrency=4, profile=None, json=False)
    result = await run_benchmark(args, _settings(pg_admin, tmp_path))
    assert result["keys"] == 20 * len(result["kinds"])
    one, two = result["runs"]
    assert (one["processes"], two["processes"]) == (1, 2)
    for run in (one, two):
        assert run["changes"] == 0 and run["errors"] == 0, run
        # a warm-up round and one measured round: every key passed exactly twice, no key twice at once
        assert sum(run["passes"]) == 2 * result["keys"]
        assert run["passes_per_second"] > 0
    assert "2 processes vs 1" in capsys.readouterr().out
