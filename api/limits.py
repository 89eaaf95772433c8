"""Request size limits: a body above the limit is refused with 413 before any handler
acts on it.

Pure ASGI, so streamed bodies are counted as they arrive: a declared Content-Length over
the limit is refused before a byte is read; a body without one (chunked) or one longer
than it declared fails the read (`receive`) as soon as the count passes the limit, which
the handler sees as a `Problem` (413) raised by `request.body()` — before it parsed or
wrote anything.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import Problem, problem_response

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
TOO_LARGE_TITLE = "Content Too Large"
TOO_LARGE = "The request body is larger than this API accepts ({limit} bytes)."
BAD_LENGTH = "The Content-Length header is not a number."


class BodyTooLarge(Problem):
    def __init__(self, limit: int):
        super().__init__(413, TOO_LARGE_TITLE, TOO_LARGE.format(limit=limit), limit=limit)


class BodySizeLimit:
    """ASGI middleware: `limit` bytes per request body; `overrides` maps path prefixes to
    their own limit (the first that matches wins)."""

    def __init__(self, app: ASGIApp, limit: int = DEFAULT_MAX_BODY_BYTES, overrides: dict[str, int] | None = None):
        self._app = app
        self._limit = limit
        self._overrides = tuple((overrides or {}).items())

    def _limit_for(self, path: str) -> int:
        for prefix, limit in self._overrides:
            if path.startswith(prefix):
                return limit
        return self._limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        limit = self._limit_for(scope["path"])
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit():
                    await _refuse(scope, receive, send, Problem(400, "Bad Request", BAD_LENGTH))
                    return
                if int(value) > limit:
                    await _refuse(scope, receive, send, BodyTooLarge(limit))
                    return
                break
        received = 0
        started = False

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self._app(scope, counting, sending)
        except BodyTooLarge as refused:
            # Read outside the handlers' exception map (a background read, a middleware):
            # answer here unless a response has begun.
            if started:
                raise
            await _refuse(scope, receive, send, refused)


async def _refuse(scope: Scope, receive: Receive, send: Send, problem: Problem) -> None:
    response = problem_response(problem.status, problem.title, problem.detail, **problem.extensions)
    # The client may still be sending; tell it (and any proxy) this connection is done.
    response.headers["connection"] = "close"
    await response(scope, receive, send)
