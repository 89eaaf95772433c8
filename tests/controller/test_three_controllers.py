"""Three controller processes (real OS processes, each the real `Worker`) on one
database: every key runs exactly once per round, and never on two processes at once."""

import asyncio
import dataclasses
import tempfile
import time

from controller.bench.reconciles import NO_RESYNC_SECONDS, _round, _seed, _start, overlapping, passes_per_key
from controller.bench.worker_process import stop_worker
from controller.runtime.settings import RuntimeSettings
from controller.store.organisations import create_organisation

APPLICATIONS = 100  # three kinds each: 300 keys
PROCESSES = 3
ROUNDS = 2


async def test_three_controllers_run_every_key_once_a_round_and_never_one_key_twice_at_once(pool, database_url):
    organisation = await create_organisation(pool, "acme", application_limit=APPLICATIONS)
    kinds = await _seed(pool, organisation.id, APPLICATIONS)
    keys = APPLICATIONS * len(kinds)
    # few passes in flight per kind, so that the three processes share every round
    runtime = {**dataclasses.asdict(RuntimeSettings()), "resync_seconds": NO_RESYNC_SECONDS, "concurrency": 4}
    outputs = [tempfile.TemporaryFile() for _ in range(PROCESSES)]
    try:
        workers = await asyncio.gather(*(_start(database_url, runtime, output, None) for output in outputs))
        rounds = []
        try:
            for _ in range(ROUNDS):
                began = time.time()
                await _round(pool)
                rounds.append((began, time.time()))
        finally:
            tallies = [await stop_worker(w, o) for w, o in zip(workers, outputs, strict=True)]
    finally:
        for output in outputs:
            output.close()

    records = [tally["record"] for tally in tallies]
    assert sum(tally["errors"] for tally in tallies) == 0 and sum(tally["changes"] for tally in tallies) == 0
    for began, ended in rounds:
        in_round = [[r for r in process if began <= r[2] <= ended] for process in records]
        counts = passes_per_key(in_round)
        assert len(counts) == keys and set(counts.values()) == {1}, "every key exactly once in the round"
    assert sum(len(process) for process in records) == ROUNDS * keys, "no pass outside the rounds"
    assert overlapping(records) == [], "no key ran on two processes at once"
    assert all(tally["passes"] > 0 for tally in tallies), "all three processes took part"
