"""A headless Chromium driven over the Chrome DevTools Protocol, for the console's tests.

Why not a driver package: Playwright and Selenium fetch browsers or drivers of their own,
which this offline machine cannot; Debian's chromium speaks CDP itself, and CDP over a
websocket (the `websockets` package already comes with uvicorn[standard]) needs nothing
else. This is the handful of commands the tests use: navigate, evaluate, wait, screenshot.
"""

import asyncio
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
LISTENING = re.compile(r"DevTools listening on (ws://\S+)")
START_SECONDS = 30.0


def find_chromium() -> str | None:
    """BERTH_CHROMIUM, else the first Chromium on PATH."""
    configured = os.environ.get("BERTH_CHROMIUM")
    if configured:
        return configured
    return next((path for name in CANDIDATES if (path := shutil.which(name))), None)


class BrowserError(AssertionError):
    pass


class Page:
    def __init__(self, socket):
        self._socket = socket
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future] = {}
        # What the page said went wrong: exceptions, console errors, CSP violations.
        self.problems: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self._socket:
            message = json.loads(raw)
            if "id" in message:
                future = self._waiting.pop(message["id"], None)
                if future is not None and not future.done():
                    future.set_result(message)
            elif message.get("method") == "Runtime.exceptionThrown":
                details = message["params"]["exceptionDetails"]
                self.problems.append(details.get("exception", {}).get("description") or details.get("text", ""))
            elif message.get("method") == "Log.entryAdded":
                entry = message["params"]["entry"]
                # A browser asks for /favicon.ico on its own; berth has none to serve.
                if entry.get("level") == "error" and not entry.get("url", "").endswith("/favicon.ico"):
                    self.problems.append(f"{entry.get('text', '')} {entry.get('url', '')}")

    async def send(self, method: str, **params) -> dict:
        number = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._waiting[number] = future
        await self._socket.send(json.dumps({"id": number, "method": method, "params": params}))
        answer = await asyncio.wait_for(future, timeout=30)
        if "error" in answer:
            raise BrowserError(f"{method}: {answer['error']}")
        return answer["result"]

    async def evaluate(self, expression: str):
        result = await self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r} threw {result['exceptionDetails']}")
        return result["result"].get("value")

    async def navigate(self, url: str) -> None:
        await self.send("Page.navigate", url=url)
        await self.wait_for("document.readyState === 'complete' && location.href !== 'about:blank'")

    async def wait_for(self, expression: str, timeout: float = 20.0):
        """Polls `expression` in the page until it is truthy; its value."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                text = await self.evaluate("document.body ? document.body.innerText : ''")
                raise BrowserError(f"timed out waiting for {expression!r}; page text:\n{text}\nproblems: {self.problems}")
            await asyncio.sleep(0.1)

    async def screenshot(self, path: Path) -> None:
        shot = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader


@contextlib.asynccontextmanager
async def chromium_page(executable: str) -> AsyncIterator[Page]:
    with tempfile.TemporaryDirectory(prefix="berth-chromium-") as profile:
        process = await asyncio.create_subprocess_exec(
            executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
            f"--user-data-dir={profile}", "--window-size=1280,900", "about:blank",
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )
        try:
            browser_url = await asyncio.wait_for(_listening(process), START_SECONDS)
            # Keep draining stderr so a chatty browser never blocks on a full pipe.
            drain = asyncio.create_task(_drain(process.stderr))
            port = browser_url.split("//", 1)[1].split("/", 1)[0]
            async with httpx.AsyncClient() as client:
                targets = (await client.get(f"http://{port}/json/list")).json()
            page_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
            async with connect(page_url, max_size=None) as socket:
                page = Page(socket)
                for domain in ("Page.enable", "Runtime.enable", "Log.enable"):
                    await page.send(domain)
                try:
                    yield page
                finally:
                    await page.close()
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 10)
                except TimeoutError:
                    process.kill()
                    await process.wait()
            if "drain" in locals():
                drain.cancel()


async def _listening(process) -> str:
    seen = []
    while line := await process.stderr.readline():
        text = line.decode(errors="replace")
        seen.append(text)
        if match := LISTENING.search(text):
            return match.group(1)
    raise BrowserError("chromium exited before it listened:\n" + "".join(seen))


async def _drain(stream) -> None:
    while await stream.readline():
        pass
