"""SIGTERM and SIGINT set a stop event: work in flight finishes or is handed back."""

import asyncio
import contextlib
import signal

import uvicorn


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


class QuietServer(uvicorn.Server):
    """uvicorn without its own signal handling, for processes that own their signals."""

    def capture_signals(self):
        return contextlib.nullcontext()


async def serve_until(app, host: str, port: int, stop: asyncio.Event) -> None:
    server = QuietServer(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    await asyncio.wait([task, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    await task
