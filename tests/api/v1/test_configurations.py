"""/api/v1/configurations on PostgreSQL: secrets sealed at rest, masked in every answer."""

import uuid

import httpx

from api.app import create_app
from controller.store.organisations import add_token, create_organisation, new_token
from controller.store.v1.sealing import Sealer
from tests.api.v1.conftest import queued
from tests.serving import serve

SECRET = "s3cr3t-Value-that-must-never-leak-9f2c"


async def _plain_text_anywhere(pool, needle: str) -> list[str]:
    """Every table.column whose text holds `needle`, across the whole database."""
    columns = await pool.fetch(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND data_type IN ('text', 'jsonb', 'json', 'character varying', 'bytea', 'ARRAY')"
    )
    found = []
    for column in columns:
        table, name = column["table_name"], column["column_name"]
        hits = await pool.fetchval(
            f'SELECT count(*) FROM "{table}" WHERE strpos("{name}"::text, $1) > 0', needle
        )
        if hits:
            found.append(f"{table}.{name}")
    return found


async def test_a_secret_is_sealed_at_rest_and_never_answered(tenant, pool, secrets_key):
    app = await tenant.application("web")
    url = f"/api/v1/configurations/{app['id']}"
    made = await tenant.client.post(url, json={"name": "API_TOKEN", "value": SECRET, "secret": True})
    assert made.status_code == 201, made.text
    assert made.json()["value"] == "********" and made.json()["secret"] is True
    plain = await tenant.client.post(url, json={"name": "DEBUG", "value": "1", "buildtime": True})
    assert plain.json()["value"] == "1" and plain.json()["buildtime"] is True
    bulk = await tenant.client.post(url + "/bulk", json={"raw": f"OTHER_SECRET={SECRET}\n", "secret": True})
    patched = await tenant.client.patch(f"{url}/{made.json()['id']}", json={"value": SECRET + "-2"})
    answers = [made, plain, bulk, patched, await tenant.client.get(url), await tenant.client.get(f"{url}/{made.json()['id']}")]
    assert not any(SECRET in a.text for a in answers)
    assert await _plain_text_anywhere(pool, SECRET) == []
    sealed = await pool.fetchrow("SELECT value, sealed_value FROM configurations WHERE name = 'API_TOKEN'")
    assert sealed["value"] == "" and Sealer(secrets_key).open(sealed["sealed_value"]) == SECRET + "-2"


async def test_create_list_get_patch_delete_bump_the_generation_and_queue(tenant, pool):
    app = await tenant.application("web")
    application = uuid.UUID(app["id"])
    url = f"/api/v1/configurations/{app['id']}"
    await pool.execute("DELETE FROM work_queue")
    made = (await tenant.client.post(url, json={"name": "MODE", "value": "dev"})).json()
    assert await queued(pool, "kube-application", app["id"])
    assert [c["name"] for c in (await tenant.client.get(url)).json()] == ["MODE"]
    patched = await tenant.client.patch(f"{url}/{made['id']}", json={"value": "prod", "secret": True})
    assert patched.json()["value"] == "********" and patched.json()["secret"] is True
    back = await tenant.client.patch(f"{url}/{made['id']}", json={"value": "dev", "secret": False})
    assert back.json()["value"] == "dev"
    deleted = await tenant.client.delete(f"{url}/{made['id']}")
    assert deleted.status_code == 200 and deleted.json() == {"ok": True}
    assert (await tenant.client.get(f"{url}/{made['id']}")).status_code == 404
    assert (await tenant.client.delete(f"{url}/{made['id']}")).status_code == 404
    assert await pool.fetchval("SELECT generation FROM kube_applications WHERE id = $1", application) == 5


async def test_bad_names_taken_names_and_other_organisations(tenant, other_tenant):
    app = await tenant.application("web")
    url = f"/api/v1/configurations/{app['id']}"
    bad = await tenant.client.post(url, json={"name": "1BAD", "value": "x"})
    assert bad.status_code == 400 and bad.json()["extra"][0]["key"] == "name"
    missing = await tenant.client.post(url, json={"name": "A"})
    assert missing.status_code == 400 and missing.json()["extra"][0]["key"] == "value"
    await tenant.client.post(url, json={"name": "A", "value": "1"})
    taken = await tenant.client.post(url, json={"name": "A", "value": "2"})
    assert taken.status_code == 400 and taken.json()["extra"][0]["key"] == "name"
    assert (await other_tenant.client.get(url)).status_code == 404
    assert (await other_tenant.client.post(url, json={"name": "B", "value": "1"})).status_code == 404
    assert (await tenant.client.get("/api/v1/configurations/nope")).status_code == 404


async def test_bulk_import_creates_new_names_skips_existing_and_reports_bad_entries(tenant):
    app = await tenant.application("web")
    url = f"/api/v1/configurations/{app['id']}"
    await tenant.client.post(url, json={"name": "KEEP", "value": "old"})
    answer = await tenant.client.post(url + "/bulk", json={
        "variables": {"A": "1", "KEEP": "new", "9X": "bad"},
        "raw": "# comment\nexport B='two words'\nnot a pair\n",
        "buildtime": True,
    })
    assert answer.status_code == 201, answer.text
    assert answer.json() == {
        "created": ["A", "B"],
        "skipped": ["KEEP"],
        "errors": [
            {"name": "9X", "message": "must be an environment variable name: letters, digits and '_', not starting with a digit"},
            {"line": 3, "message": "expected NAME=value"},
        ],
    }
    listed = {c["name"]: c for c in (await tenant.client.get(url)).json()}
    assert listed["KEEP"]["value"] == "old" and listed["B"]["value"] == "two words" and listed["B"]["buildtime"]


async def test_without_a_secrets_key_a_secret_is_refused_and_nothing_is_stored(pool, database_url):
    organisation = await create_organisation(pool, "acme")
    token = new_token()
    await add_token(pool, organisation, token)
    async with serve(create_app(database_url, secrets_key="")) as url, httpx.AsyncClient(
        base_url=url, headers={"X-API-Key": token}
    ) as client:
        project = (await client.post("/api/v1/projects", json={"name": "S", "slug": "s", "organization_id": "acme"})).json()
        app = (await client.post("/api/v1/applications", json={"name": "W", "slug": "w", "project_id": project["id"]})).json()
        refused = await client.post(f"/api/v1/configurations/{app['id']}", json={"name": "K", "value": SECRET, "secret": True})
        assert refused.status_code == 503 and "BERTH_SECRETS_KEY" in refused.json()["detail"]
        bulk = await client.post(f"/api/v1/configurations/{app['id']}/bulk", json={"variables": {"K": SECRET}, "secret": True})
        assert bulk.status_code == 503
        plain = await client.post(f"/api/v1/configurations/{app['id']}", json={"name": "P", "value": "1"})
        assert plain.status_code == 201
    assert await pool.fetchval("SELECT count(*) FROM configurations WHERE secret") == 0
