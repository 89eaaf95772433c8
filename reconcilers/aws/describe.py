"""Batched DescribeServices: the passes running at the same moment share calls.

ECS answers DescribeServices for up to 10 services a call, and the call's rate
limit (20/s refill) is the first one a busy controller meets. Each pass asks for
its one service; requests that arrive within `window` seconds of each other go
out together, 10 names a call, one call per cluster. Descriptions carry the
services' tags: ownership is checked before anything is changed.
"""

import asyncio
from collections import defaultdict
from typing import Any

from reconcilers.aws.calls import call

DESCRIBE_SERVICES_LIMIT = 10


class ServiceDescriber:
    def __init__(self, ecs: Any, window: float = 0.005):
        self._ecs = ecs
        self._window = window
        self._waiting: dict[str, dict[str, list[asyncio.Future]]] = defaultdict(lambda: defaultdict(list))
        self._flushes: set[asyncio.Task] = set()

    async def describe(self, cluster: str, name: str) -> dict[str, Any] | None:
        """The service's description (any status), or None when ECS has never heard of it."""
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        waiting = self._waiting[cluster]
        if not waiting:
            task = asyncio.create_task(self._flush_after_window(cluster))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)
        waiting[name].append(future)
        return await future

    async def _flush_after_window(self, cluster: str) -> None:
        await asyncio.sleep(self._window)
        waiting = self._waiting.pop(cluster, {})
        names = sorted(waiting)
        for start in range(0, len(names), DESCRIBE_SERVICES_LIMIT):
            chunk = names[start : start + DESCRIBE_SERVICES_LIMIT]
            try:
                answer = await call(
                    self._ecs.describe_services, cluster=cluster, services=chunk, include=["TAGS"]
                )
            except Exception as exc:
                for name in chunk:
                    _settle(waiting[name], exception=exc)
                continue
            found = {s["serviceName"]: s for s in answer.get("services", ())}
            for name in chunk:
                _settle(waiting[name], result=found.get(name))


def _settle(
    futures: list[asyncio.Future], *, result: Any = None, exception: BaseException | None = None
) -> None:
    for future in futures:
        if future.done():
            continue
        if exception is not None:
            future.set_exception(exception)
        else:
            future.set_result(result)
