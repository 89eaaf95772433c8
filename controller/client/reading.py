"""`berth status`, `berth events` and `berth logs`: what the API shows, for people or as JSON."""

import asyncio
import json
import re
import time
from datetime import UTC, datetime
from typing import Any

from controller.client.api_client import Api
from controller.client.outcomes import BadInput, Exit
from controller.client.render import Output, application_lines, applications_lines, event_line, log_line
from controller.client.sse import server_events

LOG_POLL_SECONDS = 3.0  # CloudWatch's FilterLogEvents quota is low: a few seconds between polls
RECONNECT_SECONDS = 1.0
DURATION = re.compile(r"^(\d+)([smhd])$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

BAD_SINCE = "--since {value!r}: give a duration such as 30s, 10m, 2h or 1d"
NO_APPLICATIONS = "no applications in organisation {organisation!r}"
WHICH_APPLICATION = "name the application: {names}"


async def status(api: Api, output: Output, name: str | None) -> Exit:
    if name is None:
        applications = await api.applications()
        if output.as_json:
            output.json({"applications": applications})
        else:
            output.print(*(applications_lines(applications) if applications else ["no applications"]))
        return Exit.OK
    application = await api.application(name)
    environments = [await api.environment(name, e["envName"]) for e in await api.environments(name)]
    if output.as_json:
        output.json({"application": application, "environments": environments})
    else:
        output.print(*application_lines(application, environments))
    return Exit.OK


async def only_application(api: Api) -> str:
    """The organisation's one application, for commands whose application was left out."""
    names = [a["appName"] for a in await api.applications()]
    if len(names) == 1:
        return names[0]
    if not names:
        raise BadInput(NO_APPLICATIONS.format(organisation=api.config.organisation))
    raise BadInput(WHICH_APPLICATION.format(names=", ".join(names)))


def _events_of(answer: Any) -> list[dict[str, Any]]:
    if isinstance(answer, dict):
        answer = answer.get("events") or answer.get("items") or []
    return [event for event in answer if isinstance(event, dict)]


def _show_event(output: Output, event: dict[str, Any]) -> None:
    if output.as_json:
        output.json_line(event)
    else:
        output.print(event_line(event))


async def events(
    api: Api, output: Output, name: str | None, *, follow: bool, limit: int, environment: str | None
) -> Exit:
    """The newest `limit` events, oldest first; with `follow`, then the stream of new ones
    (from the newest shown, so nothing falls between the page and the stream)."""
    params = {"environment": environment} if environment else {}
    page = _events_of(await api.events(name, {**params, "limit": limit}))[::-1]  # the API pages newest first
    if output.as_json and not follow:
        output.json({"events": page})
        return Exit.OK
    for event in page:
        _show_event(output, event)
    if not follow:
        return Exit.OK
    last_id = str(page[-1]["id"]) if page and page[-1].get("id") is not None else None
    while True:  # the server ends a stream now and then (STREAM_SECONDS, a restart): resume from the last id
        async for message in server_events(api.event_stream(name, params, last_id)):
            last_id = message.id or last_id
            try:
                event = json.loads(message.data)
            except json.JSONDecodeError:
                event = {"message": message.data}
            if isinstance(event, dict):
                _show_event(output, event)
        await asyncio.sleep(RECONNECT_SECONDS)


def since_ms(value: str | None, now: float) -> int | None:
    if value is None:
        return None
    match = DURATION.match(value.strip())
    if match is None:
        raise BadInput(BAD_SINCE.format(value=value))
    return int((now - int(match.group(1)) * UNITS[match.group(2)]) * 1000)


def _timestamp(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def logs(
    api: Api, output: Output, name: str | None, environment: str, *,
    container: str | None, since: str | None, filter_pattern: str | None, limit: int, follow: bool,
) -> Exit:
    name = name or await only_application(api)
    start = since_ms(since, time.time())
    seen: set[tuple[int, str, str]] = set()
    newest = start
    while True:
        token, shown = None, 0
        while True:  # every page: AWS may answer a short (even empty) page with a next token
            page = await api.logs(name, environment, {
                "startTime": start, "containerName": container, "filterPattern": filter_pattern,
                "limit": limit, "nextToken": token,
            })
            for event in page.get("logEvents") or []:
                key = (event.get("timestamp") or 0, event.get("containerName") or "", event.get("message") or "")
                if key in seen:  # a poll starts at the newest millisecond already shown
                    continue
                seen.add(key)
                shown += 1
                newest = max(newest or 0, key[0])
                if output.as_json:
                    output.json_line(event)
                else:
                    output.print(log_line(event, _timestamp(key[0])))
            token = page.get("nextToken")
            if not token or not follow and shown >= limit:
                break
        if not follow:
            return Exit.OK
        start = newest
        seen = {key for key in seen if key[0] >= (newest or 0)}
        await asyncio.sleep(LOG_POLL_SECONDS)
