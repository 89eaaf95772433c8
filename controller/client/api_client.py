"""berth's HTTP API as the client uses it: one httpx client, the routes it calls, and every
error answer turned into one line (the problem+json detail and its field errors)."""

import json
from collections.abc import AsyncIterator, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from controller.client.config import ClientConfig
from controller.client.outcomes import ApiError, Unreachable

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
STREAM_TIMEOUT = httpx.Timeout(30.0, connect=10.0, read=None)
USER_AGENT = "berth-cli"
EVENT_STREAM = "text/event-stream"

UNREACHABLE = "cannot reach the API at {server}: {error}"
ANSWER = "{method} {path}: {status} {title}"
TOKEN_HINT = " (the token came from {source})"


def _segment(name: str) -> str:
    return quote(name, safe="")


class Api:
    """The routes of one organisation. Use as an async context manager."""

    def __init__(self, config: ClientConfig, transport: httpx.AsyncBaseTransport | None = None):
        self.config = config
        self._client = httpx.AsyncClient(
            base_url=config.server,
            headers={"Authorization": f"Bearer {config.token}", "User-Agent": USER_AGENT},
            timeout=TIMEOUT,
            transport=transport,
        )

    async def __aenter__(self) -> "Api":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._client.aclose()

    @property
    def organisation_path(self) -> str:
        return f"/api/v3/organizations/{_segment(self.config.organisation)}"

    def application_path(self, name: str | None = None) -> str:
        base = f"{self.organisation_path}/applications"
        return base if name is None else f"{base}/{_segment(name)}"

    def environment_path(self, application: str, environment: str | None = None) -> str:
        base = f"{self.application_path(application)}/environments"
        return base if environment is None else f"{base}/{_segment(environment)}"

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._client.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise Unreachable(UNREACHABLE.format(server=self.config.server, error=str(error) or type(error).__name__)) from None
        if response.is_error:
            raise self.error(method, path, response)
        return response

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        return (await self.request(method, path, **kwargs)).json()

    # --- the routes ------------------------------------------------------------------

    async def plan(self, name: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return await self.json("POST", f"{self.application_path(name)}/plan", json=body)

    async def apply(self, name: str, body: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        response = await self.request("PUT", self.application_path(name), json=body)
        return response.status_code, response.json()

    async def applications(self) -> list[dict[str, Any]]:
        return await self.json("GET", self.application_path())

    async def application(self, name: str) -> dict[str, Any]:
        return await self.json("GET", self.application_path(name))

    async def environments(self, application: str) -> list[dict[str, Any]]:
        return await self.json("GET", self.environment_path(application))

    async def environment(self, application: str, environment: str) -> dict[str, Any]:
        return await self.json("GET", self.environment_path(application, environment))

    async def logs(self, application: str, environment: str, params: Mapping[str, Any]) -> dict[str, Any]:
        path = f"{self.environment_path(application, environment)}/logs"
        return await self.json("GET", path, params={k: v for k, v in params.items() if v is not None})

    def events_path(self, application: str | None) -> str:
        base = self.application_path(application) if application else self.organisation_path
        return f"{base}/events"

    async def events(self, application: str | None, params: Mapping[str, Any]) -> Any:
        return await self.json("GET", self.events_path(application), params=params)

    async def event_stream(
        self, application: str | None, params: Mapping[str, Any], last_id: str | None = None
    ) -> AsyncIterator[str]:
        """The raw lines of the Server-Sent Events stream, until the server ends it."""
        path = self.events_path(application)
        headers = {"Accept": EVENT_STREAM, **({"Last-Event-ID": last_id} if last_id else {})}
        try:
            async with self._client.stream(
                "GET", path, params=params, headers=headers, timeout=STREAM_TIMEOUT
            ) as response:
                if response.is_error:
                    await response.aread()
                    raise self.error("GET", path, response)
                async for line in response.aiter_lines():
                    yield line
        except httpx.HTTPError as error:
            raise Unreachable(UNREACHABLE.format(server=self.config.server, error=str(error) or type(error).__name__)) from None

    # --- errors ----------------------------------------------------------------------

    def error(self, method: str, path: str, response: httpx.Response) -> ApiError:
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        return ApiError(self.error_line(method, path, response, body), response.status_code, body)

    def error_line(self, method: str, path: str, response: httpx.Response, body: Any) -> str:
        status = response.status_code
        title = _phrase(status)
        line = ANSWER.format(method=method, path=path, status=status, title=title)
        if isinstance(body, dict):
            # problem+json's `detail`; Quant Cloud's bodies (403 limits) say `message` and `error`.
            detail = body.get("detail") or body.get("error") or body.get("message") or body.get("title")
            if detail and detail != title:
                line += f": {detail}"
            fields = [
                f"{error.get('field') or error.get('pointer') or '?'}: {error.get('message', '')}"
                for error in body.get("errors") or []
                if isinstance(error, dict)
            ]
            if fields:
                line += " (" + "; ".join(fields) + ")"
        elif text := response.text.strip():
            line += ": " + " ".join(text.split())[:200]
        if status == 401:
            line += TOKEN_HINT.format(source=self.config.sources.get("token", "?"))
        return line


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
