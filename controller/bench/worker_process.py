"""A benchmark's worker in its own OS process: started until it says `ready` on stdout,
stopped by closing its stdin, its last stdout line read back as its JSON tally."""

import asyncio
import sys

import orjson

WORKER_START_SECONDS = 30.0
WORKER_EXIT_SECONDS = 60.0
WORKER_FAILED = "the bench worker failed ({reason}); its output:\n{output}"


def read_output(output) -> str:
    """The end of what the worker wrote to `output` (a binary file), for an error."""
    output.seek(0)
    return output.read().decode(errors="replace")[-4000:]


async def start_worker(
    module: str, arguments: list[str], output, start_seconds: float = WORKER_START_SECONDS
) -> asyncio.subprocess.Process:
    """`python -m module *arguments`, its stderr into `output`."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *arguments,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=output,
    )  # fmt: skip
    assert process.stdout is not None  # PIPE
    try:
        line = await asyncio.wait_for(process.stdout.readline(), start_seconds)
    except TimeoutError:
        line = b""
    if line.strip() != b"ready":
        process.kill()
        await process.wait()
        raise RuntimeError(WORKER_FAILED.format(reason="did not start", output=read_output(output)))
    return process


async def stop_worker(process: asyncio.subprocess.Process, output) -> dict:
    assert process.stdin is not None and process.stdout is not None  # PIPEs (start_worker)
    process.stdin.close()
    try:
        out = await asyncio.wait_for(process.stdout.read(), WORKER_EXIT_SECONDS)
        await asyncio.wait_for(process.wait(), WORKER_EXIT_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise RuntimeError(WORKER_FAILED.format(reason="did not stop", output=read_output(output))) from None
    if process.returncode != 0 or not out.strip():
        reason = f"exit {process.returncode}"
        raise RuntimeError(WORKER_FAILED.format(reason=reason, output=read_output(output)))
    return orjson.loads(out.strip().splitlines()[-1])
