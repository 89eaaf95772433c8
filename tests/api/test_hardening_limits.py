"""Request size limits and the per-token rate limit (real PostgreSQL, real HTTP)."""

import math

import httpx
import orjson
import pytest

from api.hardening import HOOK_PREFIX, Hardening
from api.rate_limit import TokenBuckets
from tests.api.hardening_support import application, counts, hardened, token_for

LIMIT = 4096
APPLICATIONS = "/api/v3/organizations/acme/applications"


def padded(size: int) -> bytes:
    """A valid create body of about `size` bytes (the padding is a variable's value)."""
    body = application("shop", environment=[{"name": "PAD", "value": ""}])
    base = len(orjson.dumps(body))
    body["environment"][0]["value"] = "x" * max(0, size - base)
    return orjson.dumps(body)


@pytest.fixture
async def client(database_url, pool):
    async with hardened(database_url, pool, Hardening(max_body_bytes=LIMIT, rate=0)) as client:
        yield client


async def test_a_body_within_the_limit_passes(client, pool):
    body = padded(LIMIT)
    assert len(body) == LIMIT
    response = await client.post(APPLICATIONS, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 201, response.text


async def test_a_declared_length_over_the_limit_is_a_413_and_nothing_changes(client, pool):
    response = await client.post(APPLICATIONS, content=padded(LIMIT + 1), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["limit"] == LIMIT
    assert await counts(pool) == (0, 0, 0)


async def test_a_streamed_body_over_the_limit_is_a_413_and_nothing_changes(client, pool):
    body = padded(LIMIT * 3)

    async def chunks():  # no Content-Length: chunked transfer encoding
        for start in range(0, len(body), 1000):
            yield body[start:start + 1000]

    response = await client.post(APPLICATIONS, content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await counts(pool) == (0, 0, 0)


async def test_a_streamed_body_within_the_limit_passes(client):
    body = padded(LIMIT - 100)

    async def chunks():
        yield body[:100]
        yield body[100:]

    response = await client.post(APPLICATIONS, content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 201, response.text


async def test_the_hook_route_has_its_own_larger_limit(client):
    # Over the general limit, within the hook's: the hook answers for itself (no secret configured).
    response = await client.post(HOOK_PREFIX, content=b"{" + b" " * (LIMIT * 2) + b"}")
    assert response.status_code != 413


def test_settings_come_from_the_environment():
    hardening = Hardening.from_environ(
        {"BERTH_MAX_BODY_BYTES": "2048", "BERTH_RATE_LIMIT": "5.5", "BERTH_RATE_LIMIT_BURST": "7"}
    )
    assert (hardening.max_body_bytes, hardening.rate, hardening.burst) == (2048, 5.5, 7)
    assert Hardening.from_environ({}) == Hardening()
    with pytest.raises(ValueError, match="BERTH_RATE_LIMIT"):
        Hardening.from_environ({"BERTH_RATE_LIMIT": "fast"})


# -- rate limit ---------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_its_rate():
    clock = Clock()
    buckets = TokenBuckets(rate=2.0, burst=3, clock=clock)
    assert [buckets.take("t")[0] for _ in range(4)] == [True, True, True, False]
    clock.now += 0.5  # one more token
    assert buckets.take("t")[0] and not buckets.take("t")[0]
    assert buckets.take("other")[0]  # buckets are per key
    clock.now += 100  # never above the burst
    assert [buckets.take("t")[0] for _ in range(4)] == [True, True, True, False]


@pytest.fixture
async def limited(database_url, pool):
    async with hardened(database_url, pool, Hardening(rate=1.0, burst=3)) as client:
        yield client


async def test_every_answer_carries_the_ratelimit_headers(limited):
    response = await limited.get(APPLICATIONS)
    assert response.status_code == 200
    assert response.headers["ratelimit-limit"] == "3"
    assert response.headers["ratelimit-remaining"] == "2"
    assert response.headers["ratelimit-policy"] == "3;w=3"
    assert 1 <= int(response.headers["ratelimit-reset"]) <= 3
    second = await limited.get(APPLICATIONS)
    assert second.headers["ratelimit-remaining"] == "1"


async def test_past_the_limit_is_a_429_with_retry_after_and_nothing_changes(limited, pool):
    for _ in range(3):
        assert (await limited.get(APPLICATIONS)).status_code == 200
    refused = await limited.post(APPLICATIONS, json=application("shop"))
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["ratelimit-remaining"] == "0"
    assert 1 <= int(refused.headers["retry-after"]) <= math.ceil(1 / 1.0)
    assert await counts(pool) == (0, 0, 0)


async def test_tokens_have_their_own_buckets_and_health_is_exempt(limited, pool):
    for _ in range(3):
        await limited.get(APPLICATIONS)
    assert (await limited.get(APPLICATIONS)).status_code == 429
    # The same token as X-API-Key shares the bucket; another token has its own.
    token = limited.headers["authorization"].removeprefix("Bearer ")
    same = await limited.get(APPLICATIONS, headers={"Authorization": "", "X-API-Key": token})
    assert same.status_code == 429
    other = await token_for(pool, "globex")
    answer = await limited.get("/api/v3/organizations/globex/applications", headers={"Authorization": f"Bearer {other}"})
    assert answer.status_code == 200
    for path in ("/healthz", "/metrics"):
        response = await limited.get(path)
        assert response.status_code == 200 and "ratelimit-limit" not in response.headers


async def test_anonymous_clients_are_limited_by_address(limited):
    anonymous = httpx.AsyncClient(base_url=str(limited.base_url))
    async with anonymous:
        statuses = [(await anonymous.get(APPLICATIONS)).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
