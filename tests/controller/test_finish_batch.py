"""`finish_many`: many passes end in one statement, each fenced by its own lease token."""

from tests.controller.support import KIND, queue_row


async def test_a_batch_finishes_the_leases_still_held_and_leaves_a_stale_one_alone(pool, queue):
    for key in ("a", "b", "c"):
        await queue.enqueue(KIND, key)
    leases = {lease.key: lease for lease in await queue.claim(KIND, 3, "w", 30.0)}
    await pool.execute("UPDATE work_queue SET lease_token = gen_random_uuid() WHERE key = 'c'")  # taken over
    await queue.enqueue(KIND, "b")  # written during its pass: due again at once

    held = await queue.finish_many([(leases["a"], 60.0, 0, None), (leases["b"], 60.0, 2, "boom"),
                                    (leases["c"], 60.0, 0, None)])  # fmt: skip

    assert held == {leases["a"].token, leases["b"].token}
    a, b, c = [await queue_row(pool, key) for key in ("a", "b", "c")]
    assert a["lease_token"] is None and (a["not_before"] - a["enqueued_at"]).total_seconds() == 0
    assert (b["lease_token"], b["attempts"], b["last_error"]) == (None, 2, "boom")
    assert b["not_before"] < a["not_before"], "the dirty key is due at once"
    assert c["lease_token"] is not None, "a stale lease finishes nothing"
