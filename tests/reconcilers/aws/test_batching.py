"""`CoalescingBatcher`: concurrent gets become one describe; answers and errors go back per id."""

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcilers.aws.batching import CoalescingBatcher, chunks


class Describe:
    """A fake describe: records each call's (group, ids); finds ids that are not 'missing'."""

    def __init__(self, fail_ids=(), raise_on=None):
        self.calls: list[tuple[object, list]] = []
        self.fail_ids = set(fail_ids)
        self.raise_on = raise_on

    async def __call__(self, group, ids):
        self.calls.append((group, sorted(ids)))
        await asyncio.sleep(0)
        if self.raise_on is not None and self.raise_on in ids:
            raise RuntimeError("describe failed")
        return {
            i: (KeyError(i) if i in self.fail_ids else {"id": i, "group": group}) for i in ids if i != "missing"
        }


async def test_concurrent_gets_within_the_window_share_one_call():
    describe = Describe()
    batcher = CoalescingBatcher(describe, limit=10)
    answers = await asyncio.gather(*(batcher.get(f"id-{n}") for n in range(5)))
    assert describe.calls == [(None, [f"id-{n}" for n in range(5)])]
    assert [a["id"] for a in answers] == [f"id-{n}" for n in range(5)]


async def test_a_full_batch_goes_at_once_and_the_rest_waits_for_the_next():
    describe = Describe()
    batcher = CoalescingBatcher(describe, limit=3, window=10.0)  # only fullness can send the first
    first = [asyncio.create_task(batcher.get(n)) for n in range(3)]
    done, _ = await asyncio.wait(first, timeout=1.0)
    assert len(done) == 3 and describe.calls == [(None, [0, 1, 2])]


async def test_groups_are_described_apart():
    describe = Describe()
    batcher = CoalescingBatcher(describe, limit=10)
    a, b = await asyncio.gather(batcher.get("x", group="vpc-1"), batcher.get("x", group="vpc-2"))
    assert (a["group"], b["group"]) == ("vpc-1", "vpc-2")
    assert sorted(describe.calls) == [("vpc-1", ["x"]), ("vpc-2", ["x"])]


async def test_the_same_id_twice_is_asked_once_and_answered_twice():
    describe = Describe()
    batcher = CoalescingBatcher(describe, limit=10)
    first, second = await asyncio.gather(batcher.get("a"), batcher.get("a"))
    assert first == second == {"id": "a", "group": None}
    assert describe.calls == [(None, ["a"])]


async def test_absent_ids_get_none_and_errors_stay_with_their_id():
    batcher = CoalescingBatcher(Describe(fail_ids={"bad"}), limit=10)
    found, missing, bad = await asyncio.gather(
        batcher.get("ok"), batcher.get("missing"), batcher.get("bad"), return_exceptions=True
    )
    assert found == {"id": "ok", "group": None}
    assert missing is None
    assert isinstance(bad, KeyError)


async def test_a_failed_call_fails_every_id_in_it():
    batcher = CoalescingBatcher(Describe(raise_on="b"), limit=10)
    answers = await asyncio.gather(batcher.get("a"), batcher.get("b"), return_exceptions=True)
    assert all(isinstance(a, RuntimeError) for a in answers)


async def test_a_cancelled_caller_leaves_the_others_their_answers():
    describe = Describe()
    batcher = CoalescingBatcher(describe, limit=10, window=0.01)
    leaving = asyncio.create_task(batcher.get("a"))
    staying = asyncio.create_task(batcher.get("b"))
    await asyncio.sleep(0)
    leaving.cancel()
    assert (await staying) == {"id": "b", "group": None}
    with pytest.raises(asyncio.CancelledError):
        await leaving


async def test_calls_after_a_batch_went_start_a_new_one():
    describe = Describe()
    batcher = CoalescingBatcher(describe, limit=10)
    await batcher.get("a")
    await batcher.get("b")
    assert describe.calls == [(None, ["a"]), (None, ["b"])]


@given(st.lists(st.integers(0, 30), min_size=1, max_size=60), st.integers(1, 12))
def test_every_id_is_answered_and_no_call_exceeds_the_limit(ids, limit):
    async def run():
        describe = Describe()
        batcher = CoalescingBatcher(describe, limit=limit)
        answers = await asyncio.gather(*(batcher.get(i) for i in ids))
        return describe, answers

    describe, answers = asyncio.run(run())
    assert [a["id"] for a in answers] == ids
    assert all(len(called) <= limit for _, called in describe.calls)
    assert all(len(set(called)) == len(called) for _, called in describe.calls)  # no id twice in a call
    # A full batch goes at once: an id asked again after that is asked again (no stale answer).
    assert len(set(ids)) <= sum(len(called) for _, called in describe.calls) <= len(ids)


def test_chunks_cover_the_ids_in_order():
    assert chunks([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert chunks([], 3) == []
