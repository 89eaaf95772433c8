"""No secret in PostgreSQL or in the logs: `berth api` and `berth controller` run as real
processes (their structlog output kept in files, at DEBUG), a run writes v1 secret
configurations, a v3 container secret reference and an environment with a database (whose
password Secrets Manager alone holds), then every row of every table and both logs are
scanned for the secret values and the raw API tokens. Tokens are stored hashed.
"""

import asyncio
import contextlib
import hashlib
import json

import aioboto3
import httpx

from controller.store.organisations import add_token, create_organisation, new_token
from controller.store.v1.sealing import new_key
from tests.e2e.conftest import AWS_ENVIRONMENT, FAST, aws_proxy, rollouts  # noqa: F401 (fixtures)
from tests.fakes.aws import AWS_REGION
from tests.fuzz.support import WEB, seed
from tests.processes import berth_processes, free_port

SECRET_CONFIG = "v1-secret-value-7d1c9e"
BULK_SECRET = "v1-bulk-secret-4b2a77"
HOOK_SECRET = "github-hook-secret-93ef"
CONNECTION_SECRET = "berth/acme/vault/production/database"
READY_SECONDS = 45


async def _until(read, seconds: float = READY_SECONDS):
    async with asyncio.timeout(seconds):
        while not (answer := await read()):
            await asyncio.sleep(0.3)
    return answer


async def _rows_as_text(pool) -> dict[str, str]:
    """Every table's rows as JSON text (bytea columns appear as \\x-hex)."""
    tables = await pool.fetch(
        "SELECT table_schema, table_name FROM information_schema.tables"
        " WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')")
    dumped = {}
    for table in tables:
        name = f'"{table["table_schema"]}"."{table["table_name"]}"'
        rows = await pool.fetch(f"SELECT row_to_json(t)::text AS row FROM {name} t")
        dumped[name] = "\n".join(row["row"] for row in rows)
    return dumped


def _forms(secret: str) -> list[str]:
    """The secret as text and as PostgreSQL's hex of its bytes."""
    return [secret, secret.encode().hex()]


async def test_no_secret_reaches_postgresql_or_the_logs(database_url, pool, aws_proxy, rollouts, tmp_path):
    organisation = await create_organisation(pool, "acme", 10)
    token = new_token()
    await add_token(pool, organisation, token)
    port = free_port()
    environ = {**AWS_ENVIRONMENT, **FAST, "AWS_ENDPOINT_URL": aws_proxy.url, "DATABASE_URL": database_url,
               "BERTH_SECRETS_KEY": new_key(), "BERTH_GITHUB_WEBHOOK_SECRET": HOOK_SECRET, "BERTH_RATE_LIMIT": "0"}
    base_url = f"http://127.0.0.1:{port}"
    with berth_processes(tmp_path, environ, port, "DEBUG") as logs:
        async def answering():
            with contextlib.suppress(httpx.HTTPError):
                async with httpx.AsyncClient() as client:
                    return (await client.get(f"{base_url}/healthz")).status_code == 200

        await _until(answering, 30)
        seeded = await asyncio.to_thread(seed, base_url, "acme", token, secret_value=SECRET_CONFIG)
        async with httpx.AsyncClient(base_url=base_url, headers={"X-API-Key": token}) as v1, \
                httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as v3:
            application = seeded.path_values["application_id"]
            bulk = await v1.post(f"/api/v1/configurations/{application}/bulk",
                                 json={"variables": {"BULK_TOKEN": BULK_SECRET}, "secret": True})
            assert bulk.status_code == 201, bulk.text
            listed = await v1.get(f"/api/v1/configurations/{application}")
            assert SECRET_CONFIG not in listed.text and BULK_SECRET not in listed.text
            # An application with a database: the connection secret the reconciler makes.
            database = await v3.post("/api/v3/organizations/acme/applications", json={
                "appName": "vault", "composeDefinition": {"containers": [WEB]}, "database": {"engine": "postgres"}})
            assert database.status_code == 201, database.text

        session = aioboto3.Session()
        async with session.client("secretsmanager", endpoint_url=aws_proxy.upstream,
                                  region_name=AWS_REGION) as secrets:
            async def password():
                with contextlib.suppress(secrets.exceptions.ResourceNotFoundException):
                    value = json.loads((await secrets.get_secret_value(SecretId=CONNECTION_SECRET))["SecretString"])
                    return value.get("password")

            database_password = await _until(password)
        await asyncio.sleep(2)  # a few more passes of the controller, logging what it did

    dumped = await _rows_as_text(pool)
    logged = {path.name: path.read_text(errors="replace") for path in logs.values()}
    assert any(logged.values()), "the processes logged nothing"
    wanted = {"v1 secret configuration": SECRET_CONFIG, "v1 bulk secret": BULK_SECRET,
              "database password": database_password, "API token": token, "webhook secret": HOOK_SECRET}
    found = [f"{what} in {where}" for what, secret in wanted.items() for form in _forms(secret)
             for where, text in {**dumped, **logged}.items() if form in text]
    assert not found, found

    # The scan reads bytea as hex: the token's hash is there in that form, the token is not.
    assert hashlib.sha256(token.encode()).hexdigest() in dumped['"public"."api_tokens"']
    stored = await pool.fetch("SELECT token_hash FROM api_tokens")
    assert [bytes(row["token_hash"]) for row in stored] == [hashlib.sha256(token.encode()).digest()]
    scanned = sum(text.count("\n") + 1 for text in dumped.values() if text)
    print(f"\nsecret scan: {len(dumped)} tables ({scanned} rows) and {sum(map(len, logged.values()))} bytes "
          f"of logs, {len(wanted)} secrets, none found")
