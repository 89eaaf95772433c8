"""A small HTTP/1.1 keep-alive load generator on raw asyncio protocols.

httpx spends more CPU per request than the server under test does, so on a small
machine it, not the server, would be measured. Here every request is prebuilt
bytes, each connection has one request in flight, and a response is read as its
head plus Content-Length bytes, nothing more. The load runs in its own thread on
its own (uvloop, when installed) event loop.
"""

import asyncio
import time
from collections import Counter
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

CONNECTION_LOST = "connection lost"


def post_request(path: str, body: bytes, *, host: str, token: str) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        f"Authorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def get_request(path: str, *, host: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()


@dataclass
class Sample:
    """What one phase saw: latencies (seconds) of answered requests, and failures."""

    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: Counter = field(default_factory=Counter)
    first_error: str | None = None

    @property
    def completed(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.completed / self.elapsed if self.elapsed > 0 else 0.0

    def record(self, seconds: float, status: int, body: bytes) -> None:
        self.latencies.append(seconds)
        self.statuses[status] += 1
        if not 200 <= status < 300:
            self.fail(f"HTTP {status}: {body[:300].decode(errors='replace')}")

    def fail(self, reason: str) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = reason


class _Connection(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiter: asyncio.Future | None = None
        self._body_start = -1
        self._end = -1
        self._status = 0
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ConnectionError(CONNECTION_LOST))

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        if self._end < 0:
            head_end = buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = bytes(buffer[:head_end]).lower()
            self._status = int(head[9:12])
            at = head.find(b"\r\ncontent-length:")
            length = 0
            if at >= 0:
                line_end = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : line_end if line_end >= 0 else head_end])
            self._body_start = head_end + 4
            self._end = self._body_start + length
        if len(buffer) >= self._end:
            body = bytes(buffer[self._body_start : self._end])
            del buffer[: self._end]
            self._end = -1
            waiter, self._waiter = self._waiter, None
            if waiter is not None and not waiter.done():
                waiter.set_result((self._status, body))

    def send(self, request: bytes) -> asyncio.Future:
        """Write the request; the future gives (status, body)."""
        waiter = asyncio.get_running_loop().create_future()
        if self.lost or self._transport is None:
            waiter.set_exception(ConnectionError(CONNECTION_LOST))
            return waiter
        self._waiter = waiter
        self._transport.write(request)
        return waiter

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def _connect(host: str, port: int) -> _Connection:
    _, protocol = await asyncio.get_running_loop().create_connection(_Connection, host, port)
    return protocol


async def _exchange(
    connection: _Connection, request: bytes, host: str, port: int
) -> tuple[_Connection, tuple[int, bytes] | str]:
    """Send one request; on a dropped connection, reconnect and report the failure."""
    try:
        return connection, await connection.send(request)
    except ConnectionError as error:
        connection.close()
        return await _connect(host, port), str(error)


async def closed_loop(host: str, port: int, requests: Sequence[bytes], concurrency: int) -> Sample:
    """`concurrency` connections, each sending its next request as soon as the last is answered."""
    connections = [await _connect(host, port) for _ in range(concurrency)]
    pending = iter(requests)
    sample = Sample()
    clock = time.perf_counter

    async def drive(connection: _Connection) -> None:
        for request in pending:
            started = clock()
            connection, answer = await _exchange(connection, request, host, port)
            if isinstance(answer, str):
                sample.fail(answer)
            else:
                sample.record(clock() - started, *answer)
        connection.close()

    began = clock()
    await asyncio.gather(*(drive(c) for c in connections))
    sample.elapsed = clock() - began
    return sample


async def open_loop(host: str, port: int, requests: Sequence[bytes], rate: float, connections: int) -> Sample:
    """Send at a fixed rate whatever the answers do (no coordinated omission).

    A request's latency runs from the moment it was due and the client was
    ready to send it, so time spent waiting for a free connection (because the
    server is behind) counts; the client's own timer lateness does not.
    """
    idle: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(await _connect(host, port))
    sample = Sample()
    clock = time.perf_counter

    async def one(request: bytes) -> None:
        started = clock()
        connection = await idle.get()
        connection, answer = await _exchange(connection, request, host, port)
        if isinstance(answer, str):
            sample.fail(answer)
        else:
            sample.record(clock() - started, *answer)
        idle.put_nowait(connection)

    tasks = []
    began = clock()
    for index, request in enumerate(requests):
        delay = began + index / rate - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(request)))
    await asyncio.gather(*tasks)
    sample.elapsed = clock() - began
    while not idle.empty():
        idle.get_nowait().close()
    return sample


async def ask(host: str, port: int, request: bytes, timeout: float = 1.0) -> int:
    """One request on a fresh connection: its status (raises when nothing answers)."""
    connection = await asyncio.wait_for(_connect(host, port), timeout)
    try:
        status, _ = await asyncio.wait_for(connection.send(request), timeout)
        return status
    finally:
        connection.close()


def _run_in_own_loop(work: Coroutine[Any, Any, Any]) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(work)
    return uvloop.run(work)


async def in_load_thread(work: Coroutine[Any, Any, Any]) -> Any:
    """Run a load coroutine on a fresh event loop in a thread, away from this loop."""
    return await asyncio.to_thread(_run_in_own_loop, work)


def bodies(names: Iterable[str], template: dict) -> list[bytes]:
    import orjson

    return [orjson.dumps({**template, "appName": name}) for name in names]
