"""Each server under test in its own process: one uvicorn worker on a free loopback port."""

import asyncio
import contextlib
import os
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from controller.bench.load import ask, get_request

HOST = "127.0.0.1"
BERTH_APP = "api.main:app"
BARE_APP = "controller.bench.bare:app"
# The pool both servers get: api.main builds its app with api.app.create_app's default
# (the smoke test checks the two agree), and the bare server is given the same.
POOL_SIZE = 10
STARTUP_SECONDS = 30.0
STOP_SECONDS = 10.0
NOT_STARTED = "{app} did not start within {seconds:.0f} s; its output:\n{output}"
EXITED = "{app} exited with {code} before it served; its output:\n{output}"


@dataclass(frozen=True, slots=True)
class Server:
    app: str
    pid: int
    host: str
    port: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def uvicorn_command(app: str, port: int) -> list[str]:
    """One worker; uvloop and httptools when installed ("auto"); no access log."""
    return [
        sys.executable, "-m", "uvicorn", app,
        "--host", HOST, "--port", str(port),
        "--workers", "1", "--loop", "auto", "--http", "auto",
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip


@contextlib.asynccontextmanager
async def serving(app: str, env: Mapping[str, str], health_path: str) -> AsyncIterator[Server]:
    """Start `app` under uvicorn, wait until `health_path` answers 200, stop it afterwards."""
    port = free_port()
    with tempfile.TemporaryFile() as output:
        process = await asyncio.create_subprocess_exec(
            *uvicorn_command(app, port),
            env={**os.environ, **env},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=output,
            stderr=output,
        )
        try:
            await _until_healthy(process, app, port, health_path, output)
            yield Server(app, process.pid, HOST, port)
        finally:
            await _stop(process)


async def _until_healthy(process, app: str, port: int, path: str, output) -> None:
    request = get_request(path, host=f"{HOST}:{port}")
    deadline = asyncio.get_running_loop().time() + STARTUP_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        if process.returncode is not None:
            raise RuntimeError(EXITED.format(app=app, code=process.returncode, output=_read(output)))
        try:
            if await ask(HOST, port, request) == 200:
                return
        except (OSError, TimeoutError):
            pass
        await asyncio.sleep(0.05)
    raise RuntimeError(NOT_STARTED.format(app=app, seconds=STARTUP_SECONDS, output=_read(output)))


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), STOP_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()


def _read(output) -> str:
    output.seek(0)
    return output.read().decode(errors="replace")[-4000:]
