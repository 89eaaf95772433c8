"""Server-Sent Events (the WHATWG `text/event-stream` format), parsed from lines."""

from collections.abc import AsyncIterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServerEvent:
    event: str
    data: str
    id: str | None


async def server_events(lines: AsyncIterator[str]) -> AsyncIterator[ServerEvent]:
    """The events in a stream: `data:` lines joined by newlines, dispatched at a blank
    line; comments (`:` keep-alives) and `retry:` are skipped; an event without data is
    not dispatched, as the format says."""
    event, data, last_id = "", list[str](), None
    async for raw in lines:
        line = raw.rstrip("\r")
        if not line:
            if data:
                yield ServerEvent(event or "message", "\n".join(data), last_id)
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
        elif name == "id" and "\0" not in value:
            last_id = value
