"""`berth logs` against the logs route, reading moto's CloudWatch Logs."""

import time

import pytest

from controller.store.organisations import add_token, create_organisation, new_token
from tests.api.cloud import aws_client, cloud_config, cloud_url, seed  # noqa: F401 (fixtures)
from tests.client.conftest import Connection, shop, write

GROUP = "/berth/acme/shop/production"
T0 = (int(time.time()) - 600) * 1000
STREAMS = {
    "berth/web/task1": [(T0, "GET / 200"), (T0 + 2000, "GET /missing 404")],
    "berth/worker/task1": [(T0 + 1000, "job started")],
}


@pytest.fixture
async def cli(pool, cloud_url) -> Connection:
    organisation = await create_organisation(pool, "acme", 10)
    token = new_token()
    await add_token(pool, organisation, token)
    return Connection(cloud_url, token, "acme")


def stamp(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def test_lines_of_every_container_oldest_first(cli, seed, tmp_path):
    assert (await cli("apply", "--no-wait", "-f", str(write(tmp_path / "app.yaml", shop())))).code == 0
    await seed(GROUP, STREAMS)
    ran = await cli("logs")  # the organisation's only application, production
    assert ran.code == 0, ran.err
    assert ran.out.splitlines() == [
        f"{stamp(T0)} web  GET / 200",
        f"{stamp(T0 + 1000)} worker  job started",
        f"{stamp(T0 + 2000)} web  GET /missing 404",
    ]
    web = await cli("logs", "shop", "production", "--container", "web", "-o", "json")
    assert [line for line in web.out.splitlines()] == [
        f'{{"timestamp": {T0}, "message": "GET / 200", "containerName": "web"}}',
        f'{{"timestamp": {T0 + 2000}, "message": "GET /missing 404", "containerName": "web"}}',
    ]
    assert (await cli("logs", "shop", "--since", "1s")).out == ""


async def test_errors(cli, tmp_path):
    assert (await cli("logs")).err == "berth: no applications in organisation 'acme'\n"
    assert (await cli("apply", "--no-wait", "-f", str(write(tmp_path / "app.yaml", shop(), shop(name="b"))))).code == 0
    assert (await cli("logs")).err == "berth: name the application: b, shop\n"
    missing = await cli("logs", "shop", "staging")
    assert (missing.code, missing.err) == (
        4, "berth: GET /api/v3/organizations/acme/applications/shop/environments/staging/logs: 404 Not Found: "
           "Environment not found\n")
    assert (await cli("logs", "shop", "--since", "yesterday")).code == 3
