"""Wake on whichever comes first: a NOTIFY, or the poll timer when the listener is down."""

import pytest

from controller.runtime.worker import Worker
from tests import postgres
from tests.controller.support import (
    KIND,
    ClaimSpy,
    FakeReconciler,
    fast_settings,
    run_worker,
    running,
    settled_row,
    wait_until,
)

SLOW_POLL = fast_settings(poll_seconds=30.0)  # polling alone would take 30 s
PROMPTLY = 5.0

LISTENERS = """
SELECT pid FROM pg_stat_activity
WHERE datname = current_database() AND state = 'idle' AND query = 'LISTEN "berth_work"'
"""


async def _listeners(pool) -> list[int]:
    return [r["pid"] for r in await pool.fetch(LISTENERS)]


def _spied_worker(pool, database_url, reconciler) -> tuple[Worker, ClaimSpy]:
    worker = Worker(pool, database_url, [reconciler], SLOW_POLL)
    return worker, ClaimSpy(worker)


async def _idle_listening(pool, spy: ClaimSpy, claims: int) -> list[int]:
    """Wait until the listener is connected and the worker, woken once by it, has
    claimed (finding nothing) and gone back to sleep for the 30 s poll."""
    pids = await wait_until(lambda: _listeners(pool), what="the listener")
    await spy.claimed(claims)
    return pids


async def test_a_notify_wakes_an_idle_worker_long_before_its_poll(pool, database_url, queue):
    reconciler = FakeReconciler()
    worker, spy = _spied_worker(pool, database_url, reconciler)
    async with running(worker):
        await _idle_listening(pool, spy, claims=2)  # the first round, and the listener's
        for key in ("first", "second"):
            await queue.enqueue(KIND, key)
            await wait_until(lambda: settled_row(pool, key), timeout=PROMPTLY, what=f"{key} via NOTIFY")
    assert reconciler.tracker.passes == {"first": 1, "second": 1}


async def test_the_listener_reconnects_after_its_connection_is_killed(pool, database_url, queue):
    reconciler = FakeReconciler()
    worker, spy = _spied_worker(pool, database_url, reconciler)
    async with running(worker):
        [killed] = await _idle_listening(pool, spy, claims=2)
        claims = spy.started
        await pool.execute("SELECT pg_terminate_backend($1)", killed)

        await wait_until(lambda: _replaced(pool, killed), what="a new listener")
        await spy.claimed(claims + 1)  # reconnected, it wakes the worker once
        await queue.enqueue(KIND, "k")
        await wait_until(lambda: settled_row(pool, "k"), timeout=PROMPTLY, what="k via NOTIFY")
    assert reconciler.tracker.passes == {"k": 1}


async def _replaced(pool, killed):
    pids = await _listeners(pool)
    return pids and killed not in pids


@pytest.mark.parametrize(
    "listener_dsn",
    [
        lambda url: "postgresql://postgres@127.0.0.1:1/berth",  # nothing listens there
        lambda url: postgres.with_database(url, "no_such_database"),  # the server says no
    ],
    ids=["refused", "rejected"],
)
async def test_polling_picks_work_up_when_the_listener_cannot_connect(pool, database_url, queue, listener_dsn):
    reconciler = FakeReconciler()
    keys = ["a", "b", "c"]
    async with run_worker(pool, listener_dsn(database_url), [reconciler], fast_settings(poll_seconds=0.1)) as running:
        for key in keys:
            await queue.enqueue(KIND, key)
            await wait_until(lambda: settled_row(pool, key), what=f"{key} by polling")
        assert not running.task.done()
    assert await _listeners(pool) == []
    assert reconciler.tracker.passes == dict.fromkeys(keys, 1)
