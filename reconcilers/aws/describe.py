"""Batched DescribeServices: the passes running at the same moment share calls.

ECS answers DescribeServices for up to 10 services a call, and the call's rate
limit (20/s refill) is the first one a busy controller meets. Each pass asks for
its one service; requests that arrive within `window` seconds of the first go out
together (at once when 10 are waiting), one call per cluster: a `CoalescingBatcher`.
Descriptions carry the services' tags: ownership is checked before anything is
changed.

The window: passes of a kind drift apart as they run, so 5 ms caught 1-3 passes a
call (0.38-0.43 calls per service in `berth bench resync`); with 50 ms, as for the
other shared describes, calls fill up to 10. A pass waits at most that long.
"""

from typing import Any

from reconcilers.aws.batching import CoalescingBatcher
from reconcilers.aws.calls import call

DESCRIBE_SERVICES_LIMIT = 10
SERVICES_WINDOW = 0.05


class ServiceDescriber:
    def __init__(self, ecs: Any, window: float = SERVICES_WINDOW):
        self._ecs = ecs
        self._batcher = CoalescingBatcher(self._fetch, limit=DESCRIBE_SERVICES_LIMIT, window=window)

    async def describe(self, cluster: str, name: str) -> dict[str, Any] | None:
        """The service's description (any status), or None when ECS has never heard of it."""
        return await self._batcher.get(name, cluster)

    async def _fetch(self, cluster: str, names: list[str]) -> dict[str, dict[str, Any]]:
        answer = await call(self._ecs.describe_services, cluster=cluster, services=sorted(names), include=["TAGS"])
        return {s["serviceName"]: s for s in answer.get("services", ()) if s.get("serviceName") in names}
