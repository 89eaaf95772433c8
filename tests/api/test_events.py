"""Events: pages newest first by id cursor, filters, isolation between organisations, and
the Server-Sent Events stream (live, resumed with Last-Event-ID)."""

import asyncio
import json

import httpx
import pytest

from api.v3 import events as events_route
from controller.store.event_feed import Gaps
from controller.store.queries import QUERIES

WEB = {"name": "web", "imageReference": {"type": "external", "identifier": "nginx:1.27"}, "exposedPorts": [80]}


async def make_app(tenant, name: str = "shop") -> None:
    body = {"appName": name, "composeDefinition": {"containers": [WEB]}}
    assert (await tenant.client.post(tenant.applications, json=body)).status_code == 201


async def environment_id(pool, organisation: str, application: str, environment: str = "production"):
    return await pool.fetchval(
        "SELECT e.id FROM environments e JOIN applications a ON a.id = e.application_id"
        " JOIN organisations o ON o.id = a.organisation_id WHERE o.slug = $1 AND a.name = $2 AND e.name = $3",
        organisation, application, environment,
    )


async def record(pool, env_id, reason: str, message: str = "", warning: bool = False, kind: str = "ecs-environment"):
    """As a reconciler records an event (the same statement, without the lease)."""
    await pool.execute(QUERIES.record_event, env_id, kind, str(env_id), reason, message or reason, warning)


async def test_pages_newest_first_by_cursor(tenant, pool):
    await make_app(tenant)
    env = await environment_id(pool, "acme", "shop")
    for number in range(7):
        await record(pool, env, f"Step{number}")
    url = f"{tenant.applications}/shop/events"
    first = (await tenant.client.get(url, params={"limit": 3})).json()
    assert [e["reason"] for e in first["events"]] == ["Step6", "Step5", "Step4"]
    event = first["events"][0]
    assert event["application"] == "shop" and event["environment"] == "production"
    assert event["type"] == "Normal" and event["controller"] == "ecs-environment"
    assert event["environmentId"] == str(env) and event["time"]
    second = (await tenant.client.get(url, params={"limit": 3, "cursor": first["nextCursor"]})).json()
    assert [e["reason"] for e in second["events"]] == ["Step3", "Step2", "Step1"]
    last = (await tenant.client.get(url, params={"limit": 3, "cursor": second["nextCursor"]})).json()
    assert [e["reason"] for e in last["events"]] == ["Step0"]
    assert last["nextCursor"] is None


async def test_filters(tenant, pool):
    await make_app(tenant)
    production = await environment_id(pool, "acme", "shop")
    created = await tenant.client.post(f"{tenant.applications}/shop/environments", json={"envName": "staging"})
    assert created.status_code == 201, created.text
    staging = await environment_id(pool, "acme", "shop", "staging")
    await record(pool, production, "ServiceUpdated")
    await record(pool, staging, "DeploymentFailed", warning=True)
    await record(pool, staging, "DriftCorrected")
    url = f"{tenant.applications}/shop/events"

    async def reasons(**params):
        response = await tenant.client.get(url, params=params)
        assert response.status_code == 200, response.text
        return [e["reason"] for e in response.json()["events"]]

    assert await reasons(environment="staging") == ["DriftCorrected", "DeploymentFailed"]
    assert await reasons(warning="true") == ["DeploymentFailed"]
    assert await reasons(warning="false") == ["DriftCorrected", "ServiceUpdated"]
    assert await reasons(reason="ServiceUpdated,DriftCorrected") == ["DriftCorrected", "ServiceUpdated"]
    assert await reasons(since="2000-01-01T00:00:00Z") == ["DriftCorrected", "DeploymentFailed", "ServiceUpdated"]
    assert await reasons(since="2999-01-01T00:00:00+00:00") == []


@pytest.mark.parametrize("params, field", [
    ({"limit": 0}, "limit"), ({"limit": 501}, "limit"), ({"cursor": "x"}, "cursor"),
    ({"warning": "maybe"}, "warning"), ({"since": "yesterday"}, "since"), ({"since": "2026-01-01T00:00:00"}, "since"),
])
async def test_a_bad_query_is_a_400_naming_the_parameter(tenant, params, field):
    await make_app(tenant)
    response = await tenant.client.get(f"{tenant.applications}/shop/events", params=params)
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_another_organisations_events_never_leak(tenant, other_tenant, pool):
    await make_app(tenant)
    await make_app(other_tenant)  # the same application name, in globex
    await record(pool, await environment_id(pool, "acme", "shop"), "Ours")
    await record(pool, await environment_id(pool, "globex", "shop"), "Theirs")
    organisation_url = f"/api/v3/organizations/{tenant.slug}/events"
    assert [e["reason"] for e in (await tenant.client.get(organisation_url)).json()["events"]] == ["Ours"]
    assert [e["reason"] for e in (await tenant.client.get(f"{tenant.applications}/shop/events")).json()["events"]] == [
        "Ours"
    ]
    # Their paths answer as if they did not exist, with our token.
    theirs = f"/api/v3/organizations/{other_tenant.slug}"
    assert (await tenant.client.get(theirs + "/events")).status_code == 404
    assert (await tenant.client.get(theirs + "/applications/shop/events")).status_code == 404
    assert (await tenant.client.get(theirs + "/events/stream")).status_code == 404
    assert (await tenant.client.get(f"{tenant.applications}/nope/events")).status_code == 404
    assert (await httpx.AsyncClient(base_url=str(tenant.client.base_url)).get(organisation_url)).status_code == 401


class Frames:
    """Reads an SSE response frame by frame: (id, data) for events, None for comments."""

    def __init__(self, response: httpx.Response):
        self._lines = response.aiter_lines()

    async def next(self, timeout: float = 10.0):
        fields: dict[str, str] = {}
        comment = False
        async with asyncio.timeout(timeout):
            async for line in self._lines:
                if line == "":
                    if "data" in fields:
                        return fields["id"], json.loads(fields["data"])
                    if comment or fields:
                        return None
                    continue
                if line.startswith(":"):
                    comment = True
                    continue
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
        raise AssertionError("the stream ended")

    async def event(self, timeout: float = 10.0):
        while (frame := await self.next(timeout)) is None:
            pass
        return frame


@pytest.fixture
def quick_streams(monkeypatch):
    monkeypatch.setattr(events_route, "KEEPALIVE_SECONDS", 0.2)


async def test_the_stream_delivers_new_events_live_and_resumes_after_last_event_id(
    tenant, other_tenant, pool, quick_streams
):
    await make_app(tenant)
    await make_app(other_tenant)
    ours = await environment_id(pool, "acme", "shop")
    theirs = await environment_id(pool, "globex", "shop")
    await record(pool, ours, "Before")  # not in a stream opened without Last-Event-ID
    url = f"{tenant.applications}/shop/events"
    headers = {"Accept": "text/event-stream"}
    async with tenant.client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        frames = Frames(response)
        assert await frames.next() is None  # the retry hint: the subscription is live
        await record(pool, theirs, "Theirs")
        await record(pool, ours, "Live", "service updated", warning=True)
        first_id, first = await frames.event()
        assert (first["reason"], first["message"], first["type"]) == ("Live", "service updated", "Warning")
        assert first["id"] == first_id
        assert await frames.next() is None  # a keep-alive comment while nothing happens

    # Missed while disconnected: resumed after the last id seen, oldest first, then live.
    await record(pool, ours, "Missed1")
    await record(pool, ours, "Missed2")
    async with tenant.client.stream(
        "GET", url + "/stream", headers={"Last-Event-ID": first_id}
    ) as response:
        frames = Frames(response)
        assert [(await frames.event())[1]["reason"] for _ in range(2)] == ["Missed1", "Missed2"]
        await record(pool, ours, "AfterResume")
        assert (await frames.event())[1]["reason"] == "AfterResume"


async def test_an_organisation_stream_filters_and_ends_cleanly(tenant, pool, quick_streams, monkeypatch):
    monkeypatch.setattr(events_route, "STREAM_SECONDS", 1.5)
    await make_app(tenant, "shop")
    await make_app(tenant, "blog")
    shop, blog = await environment_id(pool, "acme", "shop"), await environment_id(pool, "acme", "blog")
    url = f"/api/v3/organizations/{tenant.slug}/events/stream"
    async with tenant.client.stream("GET", url, params={"warning": "true"}) as response:
        frames = Frames(response)
        assert await frames.next() is None
        await record(pool, shop, "Quiet")
        await record(pool, blog, "Loud", warning=True)
        _, event = await frames.event()
        assert (event["application"], event["reason"]) == ("blog", "Loud")
        with pytest.raises(AssertionError, match="ended"):  # the stream's life is over: it closes
            while True:
                await frames.next(timeout=5)


async def test_a_bad_last_event_id_is_a_400(tenant):
    await make_app(tenant)
    response = await tenant.client.get(f"{tenant.applications}/shop/events/stream", headers={"Last-Event-ID": "x"})
    assert response.status_code == 400


def test_gaps_wait_for_an_id_still_committing_then_give_up():
    now = [0.0]
    gaps = Gaps(10, gap_seconds=5, clock=lambda: now[0])
    assert gaps.fresh([11, 13]) == [11, 13]
    assert gaps.floor == 11  # 12 may still commit
    now[0] = 1
    assert gaps.fresh([12, 13]) == [12]  # it did: delivered once, 13 not again
    assert gaps.floor == 13
    assert gaps.fresh([15]) == [15]
    now[0] = 7
    assert gaps.fresh([15]) == []  # 14 never came: given up
    assert gaps.floor == 15
