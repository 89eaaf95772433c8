"""Controller processes sharing one database share AWS's limits (controller/runtime/heartbeat.py):
each live process's limiter gets 1 / (live processes); a process that leaves gives its
share back, and one that died is ignored once its row is stale."""

import asyncio

from controller.runtime.heartbeat import LIVE_BEATS, beat, heartbeat, share_limits
from reconcilers.aws.rate_limits import ClientRateLimiter
from tests.controller.support import wait_until

BEAT_SECONDS = 0.05


async def test_two_limiters_sharing_one_database_each_get_half_and_the_survivor_takes_it_back(pool):
    first, second = ClientRateLimiter(), ClientRateLimiter()
    async with heartbeat(pool, "first", share_limits(first), BEAT_SECONDS):
        assert first.share == 1.0, "alone at its first beat"
        async with heartbeat(pool, "second", share_limits(second), BEAT_SECONDS):
            await wait_until(lambda: first.share == second.share == 0.5, what="half each")
        await wait_until(lambda: first.share == 1.0, what="the whole share back")
        assert await pool.fetchval("SELECT array_agg(name) FROM controllers") == ["first"]
    assert await pool.fetchval("SELECT count(*) FROM controllers") == 0


async def test_a_row_older_than_three_beats_is_a_process_that_died(pool):
    await pool.execute(
        "INSERT INTO controllers (name, last_seen) VALUES ('dead', now() - make_interval(secs => $1))",
        BEAT_SECONDS * LIVE_BEATS * 2,
    )
    await pool.execute("INSERT INTO controllers (name, last_seen) VALUES ('alive', now())")
    assert await beat(pool, "me", BEAT_SECONDS) == 2, "itself and the live one"
    assert await beat(pool, "me", BEAT_SECONDS) == 2, "a second beat does not count itself twice"


async def test_when_a_beat_fails_the_last_share_stands(pool):
    limiter = ClientRateLimiter()
    await pool.execute("INSERT INTO controllers (name, last_seen) VALUES ('other', now() + interval '1 hour')")
    async with heartbeat(pool, "me", share_limits(limiter), BEAT_SECONDS):
        assert limiter.share == 0.5
        await pool.execute("ALTER TABLE controllers RENAME TO controllers_gone")
        await asyncio.sleep(BEAT_SECONDS * 4)  # a few beats fail meanwhile
        assert limiter.share == 0.5
        await pool.execute("ALTER TABLE controllers_gone RENAME TO controllers")
