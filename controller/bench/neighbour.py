"""Another caller in the account, for `berth bench converge --neighbour F`.

It registers task definitions at F × AWS's RegisterTaskDefinition refill (the bucket
that binds a convergence), straight against the hostile proxy's buckets — the
account's, shared with berth — and, like a well-behaved tool, simply tries again at
its next tick when throttled. berth's limiter knows nothing of it: only AWS's
throttles tell it (its AIMD cut), which is what this measures.
"""

import asyncio

from controller.bench.aws_limits import Call, HostileAws
from controller.sandbox.aws import SIMULATED_CREDENTIALS
from reconcilers.aws.rate_limits import ECS_REGISTER_TASK_DEFINITION

OPERATION = "RegisterTaskDefinition"


class Neighbour:
    def __init__(self, proxy: HostileAws, fraction: float):
        self._proxy = proxy
        self.fraction = fraction
        self.served = 0
        self.throttled = 0
        self._call = Call(
            SIMULATED_CREDENTIALS["AWS_ACCESS_KEY_ID"], SIMULATED_CREDENTIALS["AWS_REGION"], "ecs", OPERATION, True, {}
        )

    async def run(self, stop: asyncio.Event) -> None:
        rate = ECS_REGISTER_TASK_DEFINITION.rate * self._proxy.limit_scale * self.fraction
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while not stop.is_set():
            if self._proxy.allow(self._call):
                self.served += 1
            else:
                self.throttled += 1
            next_at += 1 / rate
            try:
                await asyncio.wait_for(stop.wait(), max(0.0, next_at - loop.time()))
            except TimeoutError:
                pass
