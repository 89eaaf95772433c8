"""A recording, fault-injecting HTTP proxy in front of moto's server.

Clients point AWS_ENDPOINT_URL at the proxy. Every call is recorded by its
operation name (`CreateService`, `RegisterTaskDefinition`, …, from the JSON
protocol's X-Amz-Target or the query protocol's Action), and a test can hold
calls of one operation: the proxy reports the call arrived and forwards it only
when released — so a test can kill the caller while its request is in flight,
and choose whether that request ever reaches AWS. It can also lose answers: the
call reaches AWS and acts, and the caller gets a 503 instead of AWS's answer.
"""

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import httpx
from starlette.requests import Request
from starlette.responses import Response

HOP_HEADERS = {"host", "content-length", "connection", "transfer-encoding", "accept-encoding"}


def operation_of(headers, body: bytes) -> str:
    target = headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    action = parse_qs(body.decode(errors="replace")).get("Action")
    return action[0] if action else "unknown"


@dataclass
class Hold:
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    forward: bool = True


class AwsProxy:
    def __init__(self, upstream: str):
        self.upstream = upstream
        self.calls: Counter[str] = Counter()
        self._holds: dict[str, Hold] = {}
        self._lost: Counter[str] = Counter()
        self._client = httpx.AsyncClient(base_url=upstream, timeout=30)

    def hold(self, operation: str) -> Hold:
        """The next call of `operation` waits for `release(forward=…)`."""
        self._holds[operation] = Hold()
        return self._holds[operation]

    def lose_answers(self, operation: str, times: int = 1) -> None:
        """The next `times` calls of `operation` reach AWS, but their answers become 503s."""
        self._lost[operation] += times

    def release(self, operation: str, *, forward: bool) -> None:
        hold = self._holds.pop(operation)
        hold.forward = forward
        hold.released.set()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
                message = await receive()
            await self._client.aclose()
            await send({"type": "lifespan.shutdown.complete"})
            return
        request = Request(scope, receive)
        body = await request.body()
        operation = operation_of(request.headers, body)
        self.calls[operation] += 1
        hold = self._holds.get(operation)
        if hold is not None:
            hold.arrived.set()
            await hold.released.wait()
            if not hold.forward:
                response = Response(b"", status_code=503)
                await response(scope, receive, send)
                return
        upstream = await self._client.request(
            request.method,
            request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            content=body,
            headers={k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS},
        )
        headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_HEADERS}
        response = Response(upstream.content, status_code=upstream.status_code, headers=headers)
        if self._lost[operation] > 0:
            self._lost[operation] -= 1
            response = Response(b"", status_code=503)
        await response(scope, receive, send)
