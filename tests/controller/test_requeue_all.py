"""`requeue_all` (a restart's, the benches' "every key due now") keeps queue times honest."""

from controller.store.queries import QUERIES
from tests.controller.support import KIND, queue_row


async def test_a_scheduled_key_requeued_at_once_is_enqueued_now_not_at_its_future_due_time(pool, queue):
    await queue.enqueue(KIND, "scheduled")
    [lease] = await queue.claim(KIND, 1, "w", 30.0)
    await queue.finish(lease, delay=3600.0)  # next pass in an hour: enqueued_at is then
    assert (await queue_row(pool, "scheduled"))["due_in"] > 3000

    await pool.execute(QUERIES.requeue_all)
    [again] = await queue.claim(KIND, 1, "w", 30.0)

    assert again.enqueued_at <= again.claimed_at, "queue time is never negative"


async def test_a_key_already_due_keeps_the_time_it_has_waited(pool, queue):
    await queue.enqueue(KIND, "waiting")
    await pool.execute("UPDATE work_queue SET enqueued_at = now() - interval '5 seconds'")
    before = (await queue_row(pool, "waiting"))["enqueued_at"]

    await pool.execute(QUERIES.requeue_all)

    assert (await queue_row(pool, "waiting"))["enqueued_at"] == before
