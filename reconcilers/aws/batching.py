"""Coalesced describes: the passes running at the same moment share one call.

Many AWS describes take many ids a call (DescribeServices 10, DescribeScalableTargets
50, DescribeDBInstances' `db-instance-id` filter, DescribeSecurityGroups' filters),
but each pass asks about its own object. A `CoalescingBatcher` collects the ids
asked for within `window` seconds of the first (or until `limit` are waiting, then
at once), makes one describe for them all and hands each caller its own answer — as
`describe.ServiceDescriber` does for ECS services.

Nothing is cached: every answer comes from a call made after it was asked for, so a
pass never sees state older than its request (its own earlier writes included).

`fetch(group, ids)` makes the describe for up to `limit` distinct ids of one group
(a cluster, a VPC, or None) and returns what it found by id; an id left out is
absent (None to its callers); an exception as an id's value fails that id alone; an
exception raised fails every id of the call.
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

Id = TypeVar("Id", bound=Hashable)
Group = Hashable
Fetch = Callable[[Any, list[Any]], Awaitable[Mapping[Any, Any]]]

DEFAULT_WINDOW = 0.005


@dataclass
class _Batch:
    group: Any
    waiting: dict[Any, list[asyncio.Future]] = field(default_factory=dict)
    timer: asyncio.Task | None = None


class CoalescingBatcher(Generic[Id]):
    def __init__(self, fetch: Fetch, *, limit: int, window: float = DEFAULT_WINDOW):
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._fetch = fetch
        self._limit = limit
        self._window = window
        self._open: dict[Any, _Batch] = {}
        self._tasks: set[asyncio.Task] = set()  # strong references until they finish

    async def get(self, id_: Id, group: Group = None) -> Any:
        """What `fetch` found for `id_` (in `group`), or None when it found nothing."""
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        batch = self._open.get(group)
        if batch is None:
            batch = self._open[group] = _Batch(group)
            batch.timer = self._spawn(self._send_after_window(batch))
        batch.waiting.setdefault(id_, []).append(future)
        if len(batch.waiting) >= self._limit:
            self._close(batch)
            if batch.timer is not None:
                batch.timer.cancel()
            self._spawn(self._send(batch))
        return await future

    def _spawn(self, work: Awaitable[None]) -> asyncio.Task:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _close(self, batch: _Batch) -> None:
        if self._open.get(batch.group) is batch:
            del self._open[batch.group]

    async def _send_after_window(self, batch: _Batch) -> None:
        await asyncio.sleep(self._window)
        self._close(batch)
        batch.timer = None
        await self._send(batch)

    async def _send(self, batch: _Batch) -> None:
        ids = list(batch.waiting)
        try:
            found = await self._fetch(batch.group, ids)
        except Exception as exc:
            for futures in batch.waiting.values():
                _settle(futures, exception=exc)
            return
        except BaseException:  # cancelled (the loop is closing): so are its callers
            for futures in batch.waiting.values():
                for future in futures:
                    future.cancel()
            raise
        for id_, futures in batch.waiting.items():
            value = found.get(id_)
            if isinstance(value, BaseException):
                _settle(futures, exception=value)
            else:
                _settle(futures, result=value)


def _settle(futures: list[asyncio.Future], *, result: Any = None, exception: BaseException | None = None) -> None:
    for future in futures:
        if future.done():  # its caller was cancelled meanwhile
            continue
        if exception is not None:
            future.set_exception(exception)
        else:
            future.set_result(result)


def chunks(ids: list[Any], size: int) -> list[list[Any]]:
    """`ids` in slices of at most `size`, for describes whose own limit is below a batch's."""
    return [ids[start : start + size] for start in range(0, len(ids), size)]
