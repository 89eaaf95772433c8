"""ETag / If-Match / If-None-Match on the v3 resources (real PostgreSQL)."""

import asyncio
import re

import pytest

from tests.api.hardening_support import API, WEB, application, specs

TAG = re.compile(r'^"[0-9a-f-]{36}(\.\d+)+"$')


@pytest.fixture
async def shop(tenant):
    response = await tenant.client.post(tenant.applications, json=application("shop"))
    assert response.status_code == 201, response.text
    response = await tenant.client.post(f"{tenant.applications}/shop/environments", json={"envName": "dev"})
    assert response.status_code == 201, response.text
    return f"{tenant.applications}/shop"


async def etag(tenant, path: str) -> str:
    response = await tenant.client.get(path)
    assert response.status_code == 200, response.text
    return response.headers["etag"]


VIEWS = ["/environments/dev", "/environments/dev/compose", "/environments/dev/containers",
         "/environments/dev/variables", "/environments/dev/scaling-policies"]


async def test_every_view_of_an_environment_carries_its_strong_generation_tag(tenant, shop, pool):
    tags = {view: await etag(tenant, shop + view) for view in VIEWS}
    assert len(set(tags.values())) == 1
    tag = tags[VIEWS[0]]
    row = await pool.fetchrow("SELECT id, generation FROM environments WHERE name = 'dev'")
    assert tag == f'"{row["id"]}.{row["generation"]}"'
    application_tag = await etag(tenant, shop)
    assert TAG.match(application_tag) and application_tag != tag
    app = await pool.fetchrow("SELECT a.id, a.generation, p.generation AS p FROM applications a"
                              " JOIN environments p ON p.application_id = a.id AND p.name = 'production'")
    assert application_tag == f'"{app["id"]}.{app["generation"]}.{app["p"]}"'


async def test_a_change_moves_the_tag_and_a_no_change_write_keeps_it(tenant, shop):
    before = await etag(tenant, f"{shop}/environments/dev")
    assert (await tenant.client.put(f"{shop}/environments/dev/variables/A", json={"value": "1"})).status_code == 200
    after = await etag(tenant, f"{shop}/environments/dev")
    assert after != before
    assert (await tenant.client.put(f"{shop}/environments/dev/variables/A", json={"value": "1"})).status_code == 200
    assert await etag(tenant, f"{shop}/environments/dev") == after


WRITES = [
    ("put", "/environments/dev", {"composeDefinition": {"containers": [API]}}),
    ("patch", "/environments/dev/compose", {"minCapacity": 2, "maxCapacity": 3}),
    ("put", "/environments/dev/containers/web", {**WEB, "exposedPorts": [8080]}),
    ("put", "/environments/dev/variables", {"environment": [{"name": "B", "value": "2"}]}),
    ("put", "/environments/dev/variables/C", {"value": "3"}),
    ("delete", "/environments/dev/variables/A", None),
    ("put", "/environments/dev/state", {"action": "stop"}),
    ("put", "/environments/dev/scaling-policies", {"metric": "CPUUtilization", "targetValue": 60}),
    ("delete", "/environments/dev/scaling-policies", None),
    ("delete", "/environments/dev", None),
]


async def _send(tenant, method: str, path: str, body, headers: dict):
    if body is None:
        return await tenant.client.request(method, path, headers=headers)
    return await tenant.client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=[f"{m} {p}" for m, p, _ in WRITES])
async def test_a_stale_if_match_is_a_412_and_changes_nothing_then_the_current_tag_writes(
    tenant, shop, pool, method, path, body
):
    assert (await tenant.client.put(f"{shop}/environments/dev/variables/A", json={"value": "1"})).status_code == 200
    current = await etag(tenant, f"{shop}/environments/dev")
    row = await pool.fetchrow("SELECT id, generation FROM environments WHERE name = 'dev'")
    stale = f'"{row["id"]}.{row["generation"] - 1}"'
    before = await specs(pool)
    refused = await _send(tenant, method, shop + path, body, {"If-Match": stale})
    assert refused.status_code == 412, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["status"] == 412
    assert await specs(pool) == before
    # A list holding the current tag, and `*`, both match.
    accepted = await _send(tenant, method, shop + path, body, {"If-Match": f'{stale}, {current}'})
    assert accepted.status_code < 300, accepted.text


async def test_weak_and_foreign_tags_never_match_and_star_does(tenant, shop, pool):
    current = await etag(tenant, f"{shop}/environments/dev")
    other = await etag(tenant, f"{shop}/environments/production")
    path = f"{shop}/environments/dev/variables/X"
    for tag in (f"W/{current}", other, "garbage", '""'):
        assert (await tenant.client.put(path, json={"value": "1"}, headers={"If-Match": tag})).status_code == 412
    assert (await tenant.client.put(path, json={"value": "1"}, headers={"If-Match": "*"})).status_code == 200


async def test_no_if_match_is_unconditional(tenant, shop):
    assert (await tenant.client.put(f"{shop}/environments/dev/variables/X", json={"value": "1"})).status_code == 200


async def test_a_recreated_environment_does_not_match_the_old_tag(tenant, shop, pool):
    old = await etag(tenant, f"{shop}/environments/dev")
    await pool.execute("DELETE FROM environments WHERE name = 'dev'")
    assert (await tenant.client.post(f"{shop}/environments", json={"envName": "dev"})).status_code == 201
    response = await tenant.client.put(f"{shop}/environments/dev/variables/X", json={"value": "1"}, headers={"If-Match": old})
    assert response.status_code == 412


async def test_a_missing_environment_is_still_a_404(tenant, shop):
    response = await tenant.client.put(f"{shop}/environments/nope/variables/X", json={"value": "1"}, headers={"If-Match": "*"})
    assert response.status_code == 404
    assert (await tenant.client.delete(f"{shop}/environments/nope", headers={"If-Match": "*"})).status_code == 404


async def test_application_delete_and_declarative_put_check_the_application_tag(tenant, shop, pool):
    tag = await etag(tenant, shop)
    # A write to production moves the application's tag (the declarative PUT owns its fields).
    assert (await tenant.client.put(f"{shop}/environments/production/variables/A", json={"value": "1"})).status_code == 200
    before = await specs(pool)
    body = application("shop", maxCapacity=5)
    assert (await tenant.client.put(shop, json=body, headers={"If-Match": tag})).status_code == 412
    assert (await tenant.client.delete(shop, headers={"If-Match": tag})).status_code == 412
    assert await specs(pool) == before
    current = await etag(tenant, shop)
    replaced = await tenant.client.put(shop, json=body, headers={"If-Match": current})
    assert replaced.status_code == 200, replaced.text
    assert await pool.fetchval("SELECT spec->>'maxCapacity' FROM applications WHERE name = 'shop'") == "5"
    assert (await tenant.client.delete(shop, headers={"If-Match": current})).status_code == 412
    assert (await tenant.client.delete(shop, headers={"If-Match": await etag(tenant, shop)})).status_code == 204


async def test_a_declarative_put_with_if_match_never_creates(tenant, pool):
    response = await tenant.client.put(f"{tenant.applications}/new", json=application("new"), headers={"If-Match": "*"})
    assert response.status_code == 412
    assert await pool.fetchval("SELECT count(*) FROM applications") == 0


async def test_if_none_match_answers_304_on_desired_state_views_only(tenant, shop):
    for view in ("/environments/dev/compose", "/environments/dev/containers", "/environments/dev/variables"):
        tag = await etag(tenant, shop + view)
        response = await tenant.client.get(shop + view, headers={"If-None-Match": f"W/{tag}"})
        assert (response.status_code, response.headers["etag"], response.content) == (304, tag, b"")
    # Views showing observed state always answer in full.
    tag = await etag(tenant, f"{shop}/environments/dev")
    assert (await tenant.client.get(f"{shop}/environments/dev", headers={"If-None-Match": tag})).status_code == 200
    # A change: the old tag gets the new representation.
    old = await etag(tenant, f"{shop}/environments/dev/variables")
    await tenant.client.put(f"{shop}/environments/dev/variables/Z", json={"value": "1"})
    response = await tenant.client.get(f"{shop}/environments/dev/variables", headers={"If-None-Match": old})
    assert response.status_code == 200 and response.json()["Z"] == "1"


async def test_another_organisation_gets_no_tag_and_a_404(tenant, other_tenant, shop):
    path = shop.replace("/acme/", "/globex/")
    response = await other_tenant.client.get(path)
    assert response.status_code == 404 and "etag" not in response.headers
    response = await other_tenant.client.get(f"{other_tenant.applications}/shop")
    assert response.status_code == 404 and "etag" not in response.headers


async def test_an_environment_write_answers_the_tag_of_what_it_stored(tenant, shop):
    written = await tenant.client.put(f"{shop}/environments/dev/variables/W", json={"value": "1"})
    assert written.headers["etag"] == await etag(tenant, f"{shop}/environments/dev")
    stopped = await tenant.client.put(f"{shop}/environments/dev/state", json={"action": "stop"},
                                      headers={"If-Match": written.headers["etag"]})
    assert stopped.status_code == 204 and stopped.headers["etag"] == await etag(tenant, f"{shop}/environments/dev")
    refused = await tenant.client.put(f"{shop}/environments/dev/variables/W", json={"value": "2"},
                                      headers={"If-Match": written.headers["etag"]})
    assert refused.status_code == 412 and "etag" not in refused.headers


async def test_concurrent_writes_with_one_tag_let_exactly_one_through(tenant, shop, pool):
    tag = await etag(tenant, f"{shop}/environments/dev")
    answers = await asyncio.gather(*(
        tenant.client.put(f"{shop}/environments/dev/variables/V{n}", json={"value": "1"}, headers={"If-Match": tag})
        for n in range(6)
    ))
    assert sorted(a.status_code for a in answers) == [200] + [412] * 5
    variables = (await tenant.client.get(f"{shop}/environments/dev/variables")).json()
    assert len([name for name in variables if name.startswith("V")]) == 1
