"""`…/events`: an organisation's or an application's reconcile events, as a page or a stream.

A page is newest first, `limit` events below `cursor` (an event id). The same path with
`Accept: text/event-stream`, or the path with `/stream` appended, is a Server-Sent Events
stream of the events recorded from then on: each frame's `id:` is the event id, so a
client reconnecting with `Last-Event-ID` first gets what it missed (oldest first), then
the live events. Comments (`: keep-alive`) keep idle connections open; a stream ends
after `STREAM_SECONDS` and the client reconnects (EventSource does so by itself,
after the `retry:` delay), which also bounds how long a stream can hold up the API's
shutdown.
"""

import asyncio
import time
from collections.abc import AsyncIterator

import orjson
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from api.auth import authorised_organisation
from api.operations import Operation, declared_query, query_of, wire_names
from api.problems import Problem, field_errors
from api.responses import JSON
from controller.store import events as store
from controller.store.event_feed import EventFeed
from schemas.v3.events import EventPage, EventsQuery

APPLICATION_NOT_FOUND = "Application not found"
INVALID_QUERY = "The query parameters are invalid."
BAD_LAST_EVENT_ID = "must be an event id (a whole number) from this stream"
EVENT_STREAM = "text/event-stream"

KEEPALIVE_SECONDS = 15.0
STREAM_SECONDS = 300.0
RETRY_MILLISECONDS = 2000
CATCH_UP_PAGE = 500

ORGANISATION_EVENTS = "/api/v3/organizations/{organisation}/events"
APPLICATION_EVENTS = "/api/v3/organizations/{organisation}/applications/{application}/events"


def _bad_query(field: str, message: str) -> Problem:
    return Problem(400, "Bad Request", INVALID_QUERY, errors=[{"field": field, "pointer": "?" + field, "message": message}])


def _query(request: Request) -> EventsQuery:
    try:
        return EventsQuery.model_validate(dict(declared_query(request, wire_names(EventsQuery))))
    except ValidationError as error:
        errors = [{**e, "pointer": "?" + e["field"]} for e in field_errors(error)]
        raise Problem(400, "Bad Request", INVALID_QUERY, errors=errors) from None


async def _scope(request: Request) -> tuple[int, store.EventFilter, EventsQuery]:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    query = _query(request)
    application_id = None
    if "application" in request.path_params:
        application_id = await store.application_id(
            request.state.pool, organisation.id, request.path_params["application"]
        )
        if application_id is None:
            raise Problem(404, "Not Found", APPLICATION_NOT_FOUND)
    wanted = store.EventFilter(
        application_id=application_id,
        environment=query.environment,
        reasons=query.reasons,
        warning=query.warning,
        since=query.since,
    )
    return organisation.id, wanted, query


def _wants_stream(request: Request) -> bool:
    return EVENT_STREAM in request.headers.get("accept", "")


async def list_events(request: Request) -> Response:
    organisation_id, wanted, query = await _scope(request)
    if _wants_stream(request):
        return _stream(request, organisation_id, wanted)
    events = await store.list_events(
        request.state.pool, organisation_id, wanted, before=query.cursor, limit=query.limit
    )
    more = len(events) == query.limit
    return JSON({
        "events": [e.to_wire() for e in events],
        "nextCursor": str(events[-1].id) if more and events else None,
    })


async def stream_events(request: Request) -> Response:
    organisation_id, wanted, _ = await _scope(request)
    return _stream(request, organisation_id, wanted)


def _last_event_id(request: Request) -> int | None:
    raw = request.headers.get("last-event-id") or declared_query(request, ("lastEventId",)).get("lastEventId")
    if raw is None or not raw.strip():
        return None
    try:
        value = int(raw)
    except ValueError:
        raise _bad_query("Last-Event-ID", BAD_LAST_EVENT_ID) from None
    if value < 0:
        raise _bad_query("Last-Event-ID", BAD_LAST_EVENT_ID)
    return value


def frame(event: store.Event) -> str:
    return f"id: {event.id}\ndata: {orjson.dumps(event.to_wire()).decode()}\n\n"


def _stream(request: Request, organisation_id: int, wanted: store.EventFilter) -> Response:
    last = _last_event_id(request)
    body = _frames(request.state.pool, request.state.events, organisation_id, wanted, last)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(body, media_type=EVENT_STREAM, headers=headers)


async def _frames(
    pool, feed: EventFeed, organisation_id: int, wanted: store.EventFilter, last: int | None
) -> AsyncIterator[str]:
    # Subscribed before catching up, so nothing falls between the two; what both
    # deliver is sent once.
    subscription = await feed.subscribe(organisation_id, wanted)
    sent: set[int] = set()
    try:
        yield f"retry: {RETRY_MILLISECONDS}\n\n"
        if last is not None:
            while True:
                page = await store.events_after(pool, organisation_id, wanted.application_id, last, CATCH_UP_PAGE)
                for event in page:
                    last = event.id
                    if wanted.keeps(event):
                        sent.add(event.id)
                        yield frame(event)
                if len(page) < CATCH_UP_PAGE:
                    break
        ends = time.monotonic() + STREAM_SECONDS
        while (left := ends - time.monotonic()) > 0:
            try:
                event = await asyncio.wait_for(subscription.queue.get(), timeout=min(KEEPALIVE_SECONDS, left))
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if event.id in sent:
                continue
            yield frame(event)
            if subscription.overflowed and subscription.queue.empty():
                return  # too far behind: the client resumes from its last id
    finally:
        feed.unsubscribe(subscription)



STREAM_BODY = {"type": "string", "description": "Server-Sent Events: `id: <event id>` and `data: <EventView JSON>` per event"}
_LIST = {
    200: ("Newest first; with Accept: text/event-stream, the live stream", EventPage),
    400: ("A query parameter is invalid", None),
}
_STREAM = {
    200: ("Server-Sent Events; Last-Event-ID resumes after that event", STREAM_BODY),
    400: ("A query parameter or Last-Event-ID is invalid", None),
}
# `?lastEventId=` stands in for the Last-Event-ID header where a client cannot set it.
EVENTS_QUERY = {
    **query_of(EventsQuery),
    "lastEventId": ("With a live stream: resume after this event id (as Last-Event-ID does)", {"type": "integer"}),
}
_NOT_FOUND = {404: ("The organisation or application not found", None)}
operations = [
    Operation(ORGANISATION_EVENTS, "get", "listOrganisationEvents",
              "The organisation's reconcile events (or their live stream)", None, _LIST, query=EVENTS_QUERY, handler=list_events),
    Operation(ORGANISATION_EVENTS + "/stream", "get", "streamOrganisationEvents",
              "The organisation's reconcile events as Server-Sent Events", None, _STREAM, query=EVENTS_QUERY, handler=stream_events),
    Operation(APPLICATION_EVENTS, "get", "listApplicationEvents",
              "The application's reconcile events (or their live stream)", None, {**_LIST, **_NOT_FOUND},
              query=EVENTS_QUERY, handler=list_events),
    Operation(APPLICATION_EVENTS + "/stream", "get", "streamApplicationEvents",
              "The application's reconcile events as Server-Sent Events", None, {**_STREAM, **_NOT_FOUND},
              query=EVENTS_QUERY, handler=stream_events),
]
