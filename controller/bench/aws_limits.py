"""A hostile AWS: a proxy in front of moto's server that throttles like AWS and fails on demand.

Simulated, for tests and `berth bench`; never in front of real AWS.

- AWS's published per-account, per-region request limits as token buckets
  (`reconcilers.aws.rate_limits.call_type`: ECS Create/Update/DeleteService 50 then
  5/s, DescribeServices/ListServices 100 then 20/s, RegisterTaskDefinition 20 then
  1/s, EC2 describes 100 then 20/s — unfiltered DescribeSecurityGroups 50 then
  10/s —, EC2 writes 50 then 5/s, every RDS call 300 then 12/s). Past them a call
  is answered with the protocol's own throttling error, exactly as AWS shapes it,
  and never reaches moto.
- On demand, per operation: 5xx answers, connection resets (the answer is cut
  off mid-body) and added latency.

The account is the request's access key (from its SigV4 credential scope), the
region and service come from the same scope, the operation from X-Amz-Target
(JSON protocols) or `Action=` (query protocols).
"""

import asyncio
import contextlib
import re
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

import httpx
import uvicorn

from reconcilers.aws.rate_limits import Limit, TokenBucket, call_type

HOP_HEADERS = {"host", "content-length", "connection", "transfer-encoding", "accept-encoding"}
CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/aws4_request")
THROTTLE_MESSAGE = "Rate exceeded"
EC2_THROTTLE_MESSAGE = "Request limit exceeded."
SERVER_ERROR_MESSAGE = "We encountered an internal error. Please try again."

JSON_ERROR = '{{"__type":"{code}","message":"{message}"}}'
EC2_ERROR = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{code}</Code>'
    "<Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
)
QUERY_ERROR = (
    '<ErrorResponse xmlns="http://{service}.amazonaws.com/doc/2014-10-31/"><Error><Type>{kind}</Type>'
    "<Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
)


@dataclass(frozen=True, slots=True)
class Call:
    account: str
    region: str
    service: str
    operation: str
    json_protocol: bool
    query: dict[str, list[str]]


def parse_call(headers: dict[str, str], body: bytes) -> Call:
    match = CREDENTIAL.search(headers.get("authorization", ""))
    account, region, service = match.groups() if match else ("unknown", "unknown", "unknown")
    target = headers.get("x-amz-target")
    if target:
        return Call(account, region, service, target.rsplit(".", 1)[-1], True, {})
    query = parse_qs(body.decode(errors="replace"))
    action = query.get("Action")
    return Call(account, region, service, action[0] if action else "unknown", False, query)


@dataclass
class Faults:
    """What to do to the next calls of one operation."""

    server_errors: int = 0
    resets: int = 0
    latency: float = 0.0  # seconds added to every call while set


def _error(call: Call, status: int, code: str, message: str, kind: str = "Sender") -> tuple[int, bytes, str]:
    request_id = str(uuid.uuid4())
    if call.json_protocol:
        body = JSON_ERROR.format(code=code, message=message)
        return status, body.encode(), "application/x-amz-json-1.1"
    if call.service == "ec2":
        return status, EC2_ERROR.format(code=code, message=message, request_id=request_id).encode(), "text/xml"
    body = QUERY_ERROR.format(service=call.service, kind=kind, code=code, message=message, request_id=request_id)
    return status, body.encode(), "text/xml"


def throttled(call: Call) -> tuple[int, bytes, str]:
    """AWS's answer past a limit: ECS (JSON) `ThrottlingException` 400, EC2
    `RequestLimitExceeded` 503, RDS (and other query services) `Throttling` 400."""
    if call.json_protocol:
        return _error(call, 400, "ThrottlingException", THROTTLE_MESSAGE)
    if call.service == "ec2":
        return _error(call, 503, "RequestLimitExceeded", EC2_THROTTLE_MESSAGE)
    return _error(call, 400, "Throttling", THROTTLE_MESSAGE)


def server_error(call: Call) -> tuple[int, bytes, str]:
    if call.json_protocol:
        return _error(call, 500, "ServerException", SERVER_ERROR_MESSAGE)
    if call.service == "ec2":
        return _error(call, 500, "InternalError", SERVER_ERROR_MESSAGE)
    return _error(call, 500, "InternalFailure", SERVER_ERROR_MESSAGE, kind="Receiver")


class HostileAws:
    """An ASGI app; serve it (uvicorn) and point AWS_ENDPOINT_URL at it.

    `calls` counts every call by operation, `throttled` those answered with a
    throttling error, `faulted` those given an injected 5xx or reset.
    `served_by_bucket` / `throttled_by_bucket` count the limited calls by bucket
    (served: passed on to moto). `limits=False` forwards everything (only the injected
    faults remain); `limit_scale` multiplies every bucket's burst and refill (a faster
    AWS of the same shape, for development runs of `berth bench converge`)."""

    def __init__(
        self,
        upstream: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        limits: bool = True,
        limit_scale: float = 1.0,
    ):
        self.upstream = upstream
        self.limits = limits
        self.limit_scale = limit_scale
        self.calls: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self.faulted: Counter[str] = Counter()
        self.served_by_bucket: Counter[str] = Counter()
        self.throttled_by_bucket: Counter[str] = Counter()
        self.bucket_limits: dict[str, Limit] = {}  # bucket -> its (scaled) limit, once seen
        self.first_served: dict[str, float] = {}  # bucket -> clock of its first / last served call
        self.last_served: dict[str, float] = {}
        self._clock = clock
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}
        self._faults: dict[str, Faults] = {}
        self._client = httpx.AsyncClient(base_url=upstream, timeout=60)

    # -- on demand -------------------------------------------------------------

    def _faults_of(self, operation: str) -> Faults:
        return self._faults.setdefault(operation, Faults())

    def fail(self, operation: str, times: int = 1) -> None:
        """The next `times` calls of `operation` get a 5xx without reaching moto."""
        self._faults_of(operation).server_errors += times

    def reset(self, operation: str, times: int = 1) -> None:
        """The next `times` calls of `operation` have their connection cut before the answer."""
        self._faults_of(operation).resets += times

    def delay(self, operation: str, seconds: float) -> None:
        """Every call of `operation` takes `seconds` longer (0 to stop)."""
        self._faults_of(operation).latency = seconds

    # -- the limits ------------------------------------------------------------

    def allow(self, call: Call) -> bool:
        """Whether AWS would serve `call` now (takes the token when it would)."""
        if not self.limits:
            return True
        kind = call_type(call.service, call.operation, call.query)
        if kind is None:
            return True
        key = (call.account, call.region, kind.bucket)
        bucket = self._buckets.get(key)
        if bucket is None:
            limit = self._scaled(kind.limit)
            self.bucket_limits[kind.bucket] = limit
            bucket = self._buckets[key] = TokenBucket(limit, self._clock)
        if bucket.take():
            self.served_by_bucket[kind.bucket] += 1
            now = self._clock()
            self.first_served.setdefault(kind.bucket, now)
            self.last_served[kind.bucket] = now
            return True
        self.throttled_by_bucket[kind.bucket] += 1
        return False

    def limit_of(self, call: Call) -> Limit | None:
        kind = call_type(call.service, call.operation, call.query)
        if kind is None:
            return None
        return self._scaled(kind.limit)

    def _scaled(self, limit: Limit) -> Limit:
        return Limit(burst=limit.burst * self.limit_scale, rate=limit.rate * self.limit_scale)

    # -- ASGI ------------------------------------------------------------------

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
                message = await receive()
            await self._client.aclose()
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = await _body(receive)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        call = parse_call(headers, body)
        self.calls[call.operation] += 1
        faults = self._faults.get(call.operation)
        if faults is not None and faults.latency:
            await asyncio.sleep(faults.latency)
        if not self.allow(call):
            self.throttled[call.operation] += 1
            await _answer(send, *throttled(call))
            return
        if faults is not None and faults.server_errors > 0:
            faults.server_errors -= 1
            self.faulted[call.operation] += 1
            await _answer(send, *server_error(call))
            return
        if faults is not None and faults.resets > 0:
            faults.resets -= 1
            self.faulted[call.operation] += 1
            # Announce an answer, then die: uvicorn closes the connection and the
            # client sees it cut mid-answer (botocore: ConnectionClosedError).
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]})
            raise ConnectionResetError("simulated connection reset")
        path = scope["path"] + (f"?{scope['query_string'].decode()}" if scope.get("query_string") else "")
        upstream = await self._client.request(
            scope["method"],
            path,
            content=body,
            headers={k: v for k, v in headers.items() if k not in HOP_HEADERS},
        )
        answer_headers = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in upstream.headers.items()
            if k.lower() not in HOP_HEADERS
        ]
        answer_headers.append((b"content-length", str(len(upstream.content)).encode()))
        await send({"type": "http.response.start", "status": upstream.status_code, "headers": answer_headers})
        await send({"type": "http.response.body", "body": upstream.content})


async def _body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _answer(send, status: int, body: bytes, content_type: str) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"x-amzn-requestid", str(uuid.uuid4()).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@contextlib.asynccontextmanager
async def serving(proxy: HostileAws, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """`async with serving(HostileAws(moto_endpoint)) as endpoint:` — the proxy on a
    free port in this loop, its URL for AWS_ENDPOINT_URL."""
    server = uvicorn.Server(uvicorn.Config(proxy, host=host, port=0, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await task
