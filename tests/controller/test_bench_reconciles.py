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
        assert run["each_key_once_per_round"] and run["keys_run_at_once_twice"] == 0, run
    assert "2 processes vs 1" in capsys.readouterr().out


async def test_reconciles_benchmark_measures_the_process_counts_asked_for(pg_admin, tmp_path, capsys):
    args = Namespace(action="reconciles", applications=10, rounds=1, concurrency=4, profile=None, json=False,
                     processes="1,3")  # fmt: skip
    result = await run_benchmark(args, _settings(pg_admin, tmp_path))
    assert [run["processes"] for run in result["runs"]] == [1, 3]
    assert len(result["runs"][1]["passes"]) == 3 and result["runs"][1]["each_key_once_per_round"]
    assert set(result["scalings"]) == {"3"} and result["scaling"] is None
    assert "3 processes vs 1" in capsys.readouterr().out
